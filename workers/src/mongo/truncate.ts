import { MongoServerError, type Db, type Document } from "mongodb";
import type { Truncate } from "../sync/change.js";
import { olderThan } from "../sync/version.js";
import { lsnOf, readWatermark, TRUNCATIONS } from "./watermark.js";
import { DUPLICATE_KEY, sourceOf } from "./writer.js";

export { lsnOf, readWatermark, TRUNCATIONS } from "./watermark.js";

const SWEEP_PAGE = 500;

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
