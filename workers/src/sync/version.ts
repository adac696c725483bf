/**
 * The version a document is guarded by: (epoch, phase, lsn), compared in that order.
 *
 * - **epoch**: the source's generation (`coexist:postgres.generation`, stamped on every record
 *   by the connector as `__epoch`). LSNs only order changes of one PostgreSQL timeline; a new or
 *   restored server starts again lower. Bumping the generation makes every change of the new
 *   source beat every document written from the old one.
 * - **phase**: 0 for snapshot images (`op: "r"`) and reconciler repairs, 1 for streamed changes.
 *   A snapshot image carries the LSN read when the snapshot started, and a transaction that
 *   modified a row before that point but committed after it streams with a smaller change LSN.
 *   Debezium does not emit the commit LSN (`source.sequence` starts with the *previous*
 *   transaction's commit), so the only safe order is: within one epoch, any streamed change
 *   beats any snapshot image or repair of the row.
 * - **lsn**: the change's LSN (`source.lsn`). Per row it grows with every change: the row's next
 *   modifier can only write it after the previous one committed.
 *
 * Stored as one fixed-width string (`_v`), so MongoDB's `$lt` compares the tuple in one
 * condition: 8 hex digits of epoch, the phase, 16 hex digits of LSN.
 */
export interface Version {
  readonly epoch: number;
  readonly phase: Phase;
  readonly lsn: bigint;
}

export type Phase = 0 | 1;
export const SNAPSHOT: Phase = 0;
export const STREAM: Phase = 1;

const MAX_EPOCH = 0xffff_ffff;
const MAX_LSN = (1n << 64n) - 1n;
const PATTERN = /^([0-9a-f]{8})-([01])-([0-9a-f]{16})$/;

export function version(epoch: number, phase: Phase, lsn: bigint | number): Version {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new RangeError(`epoch ${epoch} is not an integer between 0 and ${MAX_EPOCH}`);
  const l = BigInt(lsn);
  if (l < 0n || l > MAX_LSN) throw new RangeError(`lsn ${l} is not an unsigned 64-bit integer`);
  return { epoch, phase, lsn: l };
}

/** The `_v` string; comparing two of them as strings compares the versions. */
export function encodeVersion(v: Version): string {
  return `${v.epoch.toString(16).padStart(8, "0")}-${v.phase}-${v.lsn.toString(16).padStart(16, "0")}`;
}

export function decodeVersion(s: string): Version {
  const m = PATTERN.exec(s);
  if (!m) throw new RangeError(`"${s}" is not a document version (expected eeeeeeee-p-llllllllllllllll)`);
  return { epoch: Number.parseInt(m[1] as string, 16), phase: Number(m[2]) as Phase, lsn: BigInt(`0x${m[3]}`) };
}

export function compareVersions(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (a.phase !== b.phase) return a.phase < b.phase ? -1 : 1;
  return a.lsn === b.lsn ? 0 : a.lsn < b.lsn ? -1 : 1;
}

/**
 * The MongoDB condition "the stored version is older than `v`". Documents written before `_v`
 * existed (no field) count as older than anything, so they are upgraded by the next change
 * instead of freezing.
 */
export function olderThan(v: string): { $or: [{ _v: { $lt: string } }, { _v: { $exists: false } }] } {
  return { $or: [{ _v: { $lt: v } }, { _v: { $exists: false } }] };
}
