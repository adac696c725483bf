import { Long, type Db, type Document } from "mongodb";
import { decodeVersion } from "../sync/version.js";

/**
 * The TRUNCATE watermark, shared by the writer (which fences older changes with it) and the
 * truncate sweep (which sets it); its own file so neither imports the other.
 */

/**
 * One document per collection that saw a TRUNCATE: `{ _id: <collection>, _v: <version of the
 * newest truncate> }`. It outlives the tombstones (which expire): any change older than it,
 * replayed or late, belongs to a truncated table and is dropped.
 */
export const TRUNCATIONS = "coexist_truncations";

export async function readWatermark(db: Db, collection: string): Promise<string | null> {
  const doc = await db.collection(TRUNCATIONS).findOne({ _id: collection } as Document, { projection: { _v: 1 } });
  return typeof doc?._v === "string" ? doc._v : null;
}

/** The `_lsn` to store for a version: a number when exact, else a Long (as everywhere else). */
export function lsnOf(v: string): number | Long {
  const lsn = decodeVersion(v).lsn;
  return lsn <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(lsn) : Long.fromBigInt(lsn);
}
