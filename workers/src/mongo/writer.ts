import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type Document } from "mongodb";
import type { StoreFlavor } from "./compat.js";
import type { Change } from "../sync/change.js";

/** Fields the sync adds; excluded from reconciler hashes. */
export const META_FIELDS = ["_lsn", "_source", "_synced_at"] as const;
export const DUPLICATE_KEY = 11000;

export interface WriteResult {
  /** Changes that replaced an older version or created the document. */
  readonly applied: number;
  /** Changes skipped because the stored version has the same or a newer LSN. */
  readonly stale: number;
}

export function sourceOf(table: string): string {
  return `postgresql:${table}`;
}

/**
 * One guarded upsert per change. The filter only matches a stored document
 * with an older `_lsn`; when the stored one is newer or equal, the upsert
 * tries to insert a second document with the same `_id` and fails with
 * E11000, which means "skip". A delete writes a soft tombstone under the
 * same guard, so a replayed insert can never resurrect it.
 */
export function buildWriteOps(changes: readonly Change[], now: Date): AnyBulkWriteOperation<Document>[] {
  return changes.map((c) => {
    const filter = { _id: c.id, _lsn: { $lt: c.lsn } } as Document;
    const meta = { _lsn: c.lsn, _source: sourceOf(c.capture.table), _synced_at: now };
    if (c.deleted || c.doc === null) {
      return { replaceOne: { filter, replacement: { _deleted: true, ...meta }, upsert: true } };
    }
    if (c.partial) {
      return { updateOne: { filter, update: { $set: { ...c.doc, ...meta }, $unset: { _deleted: "" } }, upsert: true } };
    }
    return { replaceOne: { filter, replacement: { ...c.doc, ...meta }, upsert: true } };
  });
}

/**
 * Write errors that reject one document for good (invalid field name,
 * too large, failed validation): retrying cannot help, so the change is
 * dead-lettered instead of blocking its partition. Anything else fails
 * the batch, which is retried.
 */
const REJECTED_CODES = new Set([2, 14, 52, 55, 56, 57, 121, 10334, 17419, 17280]);

export interface Rejection {
  readonly change: Change;
  readonly code: number;
  readonly message: string;
}

/**
 * Writes one partition's compacted changes into their collection.
 * `flavor: "ferretdb-v1"` handles FerretDB v1 stopping an unordered bulk
 * write at its first error (MongoDB carries on): the unprocessed tail is
 * resubmitted. With real MongoDB an incomplete acknowledgement is an error.
 */
export async function writeChanges(
  db: Db,
  collection: string,
  changes: readonly Change[],
  flavor: StoreFlavor = "mongodb",
  now: Date = new Date(),
): Promise<WriteResult & { rejected: Rejection[] }> {
  const ops = buildWriteOps(changes, now);
  let applied = 0;
  let stale = 0;
  const rejected: Rejection[] = [];
  let offset = 0;
  while (offset < ops.length) {
    const slice = ops.slice(offset);
    let done: number;
    try {
      const r = await db.collection(collection).bulkWrite(slice, { ordered: false });
      applied += r.upsertedCount + r.matchedCount;
      done = slice.length;
    } catch (e) {
      if (!(e instanceof MongoBulkWriteError)) throw e;
      const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
      for (const w of errors) {
        const change = changes[offset + w.index] as Change;
        if (w.code === DUPLICATE_KEY) stale++;
        else if (REJECTED_CODES.has(w.code)) rejected.push({ change, code: w.code, message: w.errmsg ?? "rejected" });
        else throw new Error(`${collection}: write of _id ${String(change.id)} failed: ${w.errmsg ?? "unknown error"} (code ${w.code})`, { cause: e });
      }
      const ok = e.result.upsertedCount + e.result.matchedCount;
      applied += ok;
      done = slice.length;
      if (ok + errors.length !== slice.length) {
        if (flavor !== "ferretdb-v1") {
          throw new Error(`${collection}: the server acknowledged ${ok + errors.length} of ${slice.length} unordered writes; refusing to commit the batch`, { cause: e });
        }
        done = Math.max(...errors.map((w) => w.index)) + 1;
      }
    }
    offset += done;
  }
  return { applied, stale, rejected };
}
