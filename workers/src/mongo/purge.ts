import type { Db, Document } from "mongodb";

/**
 * Deletes soft tombstones older than `ttlSeconds` (by `_synced_at`, the time the tombstone was
 * written, which is never earlier than the delete's commit). A tombstone exists to make older
 * changes of its row lose against it; once it is older than anything the CDC topics (and a DLQ
 * re-drive) can still deliver, nothing older can arrive and it only takes space.
 *
 * A purge loop in the worker rather than a TTL index: it behaves the same on MongoDB and on
 * the local store (FerretDB v1 answers `expireAfterSeconds` with NotImplemented), so the tested
 * code is the deployed code. A tombstone rewritten by a newer change no longer matches.
 */
export async function purgeTombstones(db: Db, collection: string, ttlSeconds: number, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - ttlSeconds * 1000);
  const r = await db.collection(collection).deleteMany({ _deleted: true, _synced_at: { $lt: cutoff } } as Document);
  return r.deletedCount;
}
