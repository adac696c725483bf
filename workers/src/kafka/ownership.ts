/**
 * Partition ownership, owned explicitly and kept pure (no I/O).
 *
 * The Kafka adapter (librdkafka) reports rebalances, fetched records and commit
 * answers here; this module decides which records may be emitted and which
 * offsets may be committed. Guarantees (issue 14 §2):
 *  - fetched records of a revoked partition are never emitted (admit → false);
 *  - a commit only covers offsets contiguous (in fetch order) from the
 *    partition's start in the current ownership epoch, only of records this
 *    member admitted and wrote in that epoch, never backwards;
 *  - offsets computed in one generation are never committed under another.
 */
import type { RawRecord } from "../sync/change.ts";

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

interface Owned {
  /** Increases each time this member (re)gains the partition. */
  readonly epoch: number;
  /** Sequence number of the next admitted record in this epoch. */
  nextSeq: number;
  /** Highest sequence such that every record 0..it was written (−1: none). */
  writtenSeq: number;
  /** Written sequences above writtenSeq, waiting for a gap to close. */
  readonly pending: Map<number, bigint>;
  /** Offset to commit for the contiguous written prefix (null: nothing yet). */
  writtenOffset: bigint | null;
}

interface Tag {
  readonly key: string;
  readonly epoch: number;
  readonly seq: number;
}

export class Ownership {
  #generation = -1;
  #epochs = 0;
  readonly #owned = new Map<string, Owned>();
  readonly #tags = new WeakMap<RawRecord, Tag>();
  /** Per partition, the highest offset the broker accepted from this member. */
  readonly #committed = new Map<string, bigint>();

  /** The last generation seen in a rebalance (−1 before the first). */
  get generation(): number {
    return this.#generation;
  }

  /** Whether the partition is owned now. */
  owns(tp: TopicPartition): boolean {
    return this.#owned.has(tpKey(tp));
  }

  /** The partitions owned now, as "topic:partition" keys. */
  ownedKeys(): string[] {
    return [...this.#owned.keys()];
  }

  /** Partitions this member now owns, from a rebalance; `generation` increases with every rebalance this member sees. */
  assigned(tps: readonly TopicPartition[], generation: number): void {
    if (!Number.isInteger(generation) || generation < this.#generation) {
      throw new Error(`Ownership.assigned: generation ${generation} goes backwards from ${this.#generation}`);
    }
    this.#generation = generation;
    for (const tp of tps) {
      const key = tpKey(tp);
      // A partition kept across a cooperative rebalance keeps its epoch: nothing of it was revoked.
      if (this.#owned.has(key)) continue;
      this.#owned.set(key, {
        epoch: ++this.#epochs,
        nextSeq: 0,
        writtenSeq: -1,
        pending: new Map(),
        writtenOffset: null,
      });
    }
  }

  /** Partitions taken away: records of theirs already fetched are never emitted, nothing of theirs is committed any more. */
  revoked(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#owned.delete(tpKey(tp));
  }

  /** A fetched record: false when its partition is not owned now (drop it); else tags it with the ownership epoch it was fetched in. */
  admit(record: RawRecord): boolean {
    const key = tpKey(record);
    const owned = this.#owned.get(key);
    if (!owned) return false;
    this.#tags.set(record, { key, epoch: owned.epoch, seq: owned.nextSeq++ });
    return true;
  }

  /** Whether a record admitted earlier still belongs to a partition owned in the same epoch. */
  current(record: RawRecord): boolean {
    const tag = this.#tags.get(record);
    if (!tag) return false;
    return this.#owned.get(tag.key)?.epoch === tag.epoch;
  }

  /** Per "topic:partition", the offset to commit after these records were written (in order): only partitions still owned in the epoch the records were admitted in, only up to the last offset contiguous (in fetch order) from the partition's start in this epoch, never backwards from what this member committed. */
  commitFor(records: readonly RawRecord[]): Map<string, bigint> {
    const touched = new Set<string>();
    for (const record of records) {
      const tag = this.#tags.get(record);
      if (!tag) continue; // never admitted: never committed
      const owned = this.#owned.get(tag.key);
      if (!owned || owned.epoch !== tag.epoch) continue; // revoked since, or an older epoch
      if (tag.seq <= owned.writtenSeq) continue; // already counted
      owned.pending.set(tag.seq, record.offset + 1n);
      while (owned.pending.has(owned.writtenSeq + 1)) {
        const next = owned.pending.get(owned.writtenSeq + 1)!;
        owned.pending.delete(owned.writtenSeq + 1);
        owned.writtenSeq += 1;
        if (owned.writtenOffset === null || next > owned.writtenOffset) owned.writtenOffset = next;
      }
      touched.add(tag.key);
    }
    const out = new Map<string, bigint>();
    for (const key of touched) {
      const offset = this.#owned.get(key)!.writtenOffset;
      if (offset === null) continue;
      const committed = this.#committed.get(key);
      if (committed !== undefined && offset <= committed) continue;
      out.set(key, offset);
    }
    return out;
  }

  /** The broker answered a commit (accepted or not): a commit is never retried across generations. */
  commitResult(offsets: ReadonlyMap<string, bigint>, generation: number, ok: boolean): void {
    if (!ok) return; // not retried here; the next commitFor in the same generation recomputes
    for (const [key, offset] of offsets) {
      const previous = this.#committed.get(key);
      if (previous === undefined || offset > previous) this.#committed.set(key, offset);
    }
    void generation;
  }

  /** Whether offsets computed in `generation` may still be sent (false once a rebalance moved on). */
  mayCommit(generation: number): boolean {
    return generation === this.#generation;
  }
}
