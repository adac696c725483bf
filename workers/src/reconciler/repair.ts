import { MongoServerError, type AnyBulkWriteOperation, type Collection, type Document } from "mongodb";
import { DUPLICATE_KEY, sourceOf } from "../mongo/writer.js";
import type { Divergence } from "./compare.js";

/**
 * Repair writes are compare-and-set on the `_lsn` the scan observed, and
 * keep that `_lsn` (0 for a document that did not exist). So:
 * - a CDC write that lands between the scan and the repair changes `_lsn`
 *   and the repair matches nothing (skipped);
 * - a CDC event still in flight carries a higher LSN than the one kept
 *   and overwrites the repair when it arrives.
 * A repair can therefore never win over a newer write, in either order.
 */
export function buildRepairOps(divergences: readonly Divergence[], table: string, now: Date): AnyBulkWriteOperation<Document>[] {
  const meta = (lsn: unknown) => ({ _lsn: lsn ?? 0, _source: sourceOf(table), _synced_at: now });
  return divergences.map((d): AnyBulkWriteOperation<Document> => {
    if (d.kind === "missing" && d.observed === null) {
      return { insertOne: { document: { _id: d.id, ...d.expected.doc, ...meta(0) } as Document } };
    }
    const observed = d.observed as Document;
    const filter: Document = { _id: d.id, _lsn: observed._lsn === undefined ? { $exists: false } : observed._lsn };
    if (d.kind === "extra") {
      return { replaceOne: { filter: { ...filter, _deleted: { $ne: true } }, replacement: { _deleted: true, ...meta(observed._lsn) } } };
    }
    if (d.kind === "missing") filter._deleted = true;
    return { replaceOne: { filter, replacement: { ...d.expected.doc, ...meta(observed._lsn) } } };
  });
}

/**
 * Applies the repairs one write at a time: they are few, and this keeps the
 * accounting exact on servers that stop an unordered bulk at the first
 * error (FerretDB v1). Returns how many took effect; the rest lost a race
 * with CDC and were skipped.
 */
export async function applyRepairs(collection: Collection, divergences: readonly Divergence[], table: string, now: Date = new Date()): Promise<number> {
  let applied = 0;
  for (const op of buildRepairOps(divergences, table, now)) {
    if ("insertOne" in op) {
      try {
        await collection.insertOne(op.insertOne.document);
        applied++;
      } catch (e) {
        if (!(e instanceof MongoServerError && e.code === DUPLICATE_KEY)) throw e;
      }
    } else if ("replaceOne" in op) {
      const r = await collection.replaceOne(op.replaceOne.filter, op.replaceOne.replacement);
      applied += r.modifiedCount;
    }
  }
  return applied;
}
