import { Long, MongoServerError, type Db, type Document } from "mongodb";
import type { Truncate } from "../sync/change.js";
import { decodeVersion, olderThan } from "../sync/version.js";
import { DUPLICATE_KEY, sourceOf } from "./writer.js";

/**
 * One document per collection that saw a TRUNCATE: `{ _id: <collection>, _v: <version of the
 * newest truncate> }`. It outlives the tombstones (which expire): any change older than it,
 * replayed or late, belongs to a truncated table and is dropped.
 */
export const TRUNCATIONS = "coexist_truncations";

const SWEEP_PAGE = 500;

export async function readWatermark(db: Db, collection: string): Promise<string | null> {
  const doc = await db.collection(TRUNCATIONS).findOne({ _id: collection } as Document, { projection: { _v: 1 } });
  return typeof doc?._v === "string" ? doc._v : null;
}

/** The `_lsn` to store for a version: a number when exact, else a Long (as everywhere else). */
export function lsnOf(v: string): number | Long {
  const lsn = decodeVersion(v).lsn;
  return lsn <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(lsn) : Long.fromBigInt(lsn);
}

/**
 * Carries a TRUNCATE into the read model: first the watermark (so concurrent writers of older
 * changes fence themselves, see writeChanges), then every live document older than it becomes
 * a tombstone, under the same guard as any delete. Returns how many documents it tombstoned.
 * Idempotent: replaying the truncate finds nothing left to sweep.
 */
export async function applyTruncate(db: Db, t: Truncate, now: Date = new Date()): Promise<number> {
  const collection = t.capture.collection;
  try {
    await db
      .collection(TRUNCATIONS)
      .updateOne({ _id: collection, ...olderThan(t.v) } as Document, { $set: { _v: t.v, _lsn: t.lsn, _source: sourceOf(t.capture.table), _synced_at: now } }, { upsert: true });
  } catch (e) {
    // A newer truncate is already recorded: sweep up to that one instead.
    if (!(e instanceof MongoServerError && e.code === DUPLICATE_KEY)) throw e;
  }
  const watermark = (await readWatermark(db, collection)) ?? t.v;
  const tombstone = { _deleted: true, _v: watermark, _lsn: lsnOf(watermark), _source: sourceOf(t.capture.table), _synced_at: now };
  const coll = db.collection(collection);
  let swept = 0;
  for (;;) {
    const page = await coll
      .find({ _deleted: { $ne: true }, ...olderThan(watermark) } as Document, { projection: { _id: 1 } })
      .limit(SWEEP_PAGE)
      .toArray();
    if (page.length === 0) return swept;
    for (const d of page) {
      // One write at a time: FerretDB v1 stops an unordered bulk at its first error, and a
      // document that a newer change rewrote meanwhile simply no longer matches.
      const r = await coll.replaceOne({ _id: d._id, ...olderThan(watermark) } as Document, tombstone);
      swept += r.modifiedCount;
    }
  }
}
