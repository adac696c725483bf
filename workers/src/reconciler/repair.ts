import { Long, MongoServerError, type AnyBulkWriteOperation, type Collection, type Document } from "mongodb";
import { DUPLICATE_KEY, sourceOf } from "../mongo/writer.js";
import { decodeVersion, encodeVersion, type Version } from "../sync/version.js";
import type { Divergence } from "./compare.js";

/**
 * Repair writes are compare-and-set on the version (`_v`) the scan observed, so a CDC write
 * that lands between the scan and the repair changes `_v` and the repair matches nothing.
 *
 * A repair is written with `version`: the current generation, the snapshot phase and the WAL
 * position read together with the row it writes. Any streamed change of that generation beats
 * it, so a CDC event still in flight, or any later one, overwrites the repair; so does a later
 * snapshot. And it replaces whatever version the document had, which is what heals a document
 * frozen at a version no change can beat (an LSN reset without a generation bump): the old
 * design kept the observed LSN and so kept it frozen.
 */
export function buildRepairOps(divergences: readonly Divergence[], table: string, version: Version, now: Date): AnyBulkWriteOperation<Document>[] {
  const v = encodeVersion(version);
  const lsn = version.lsn <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(version.lsn) : Long.fromBigInt(version.lsn);
  const meta = { _v: v, _lsn: lsn, _source: sourceOf(table), _synced_at: now };
  return divergences.map((d): AnyBulkWriteOperation<Document> => {
    if (d.kind === "missing" && d.observed === null) {
      return { insertOne: { document: { _id: d.id, ...d.expected.doc, ...meta } as Document } };
    }
    const observed = d.observed as Document;
    const filter: Document = { _id: d.id, _v: typeof observed._v === "string" ? observed._v : { $exists: false } };
    if (d.kind === "extra") {
      return { replaceOne: { filter: { ...filter, _deleted: { $ne: true } }, replacement: { _deleted: true, ...meta } } };
    }
    if (d.kind === "missing") filter._deleted = true;
    return { replaceOne: { filter, replacement: { ...d.expected.doc, ...meta } } };
  });
}

/** Whether a stored `_v` is beyond what the source can have written: a later epoch, or an LSN past `walLsn`. */
export function isAhead(doc: Document, generation: number, walLsn: bigint): boolean {
  if (typeof doc._v !== "string") return false;
  try {
    const v = decodeVersion(doc._v);
    return v.epoch > generation || (v.epoch === generation && v.lsn > walLsn);
  } catch {
    return false;
  }
}

/**
 * Codes with which MongoDB refuses one document for good (as mongo/writer.ts's REJECTED_CODES):
 * such a repair is counted as rejected and the run goes on (issue 14 §1.8).
 */
const REJECTED_CODES = new Set([2, 14, 52, 55, 56, 57, 121, 10334, 17419, 17280]);

export interface RepairOutcome {
  /** Repairs that took effect; the others lost a race with CDC and were skipped, or were rejected. */
  readonly applied: number;
  /** Repairs the store refused for good (invalid or too large a document), by `_id`. */
  readonly rejected: ReadonlyArray<{ readonly id: unknown; readonly message: string }>;
}

/**
 * Applies the repairs one write at a time: they are few, and this keeps the accounting exact
 * on servers that stop an unordered bulk at the first error (FerretDB v1). One rejected repair
 * does not stop the others.
 */
export async function applyRepairs(
  collection: Pick<Collection, "insertOne" | "replaceOne">,
  divergences: readonly Divergence[],
  table: string,
  version: Version,
  now: Date = new Date(),
): Promise<RepairOutcome> {
  let applied = 0;
  const rejected: Array<{ id: unknown; message: string }> = [];
  for (const op of buildRepairOps(divergences, table, version, now)) {
    try {
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
    } catch (e) {
      if (!(e instanceof MongoServerError && typeof e.code === "number" && REJECTED_CODES.has(e.code))) throw e;
      const id = "insertOne" in op ? op.insertOne.document._id : "replaceOne" in op ? (op.replaceOne.filter as Document)._id : undefined;
      rejected.push({ id, message: `${e.message} (code ${e.code})` });
    }
  }
  return { applied, rejected };
}
