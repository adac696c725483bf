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
  /** "topic:partition". */
  readonly key: string;
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

/**
 * A record's tag lives on the record itself, under these symbols (no WeakMap: an ephemeron per
 * record in flight cost the garbage collector more than the rest of the source did): the
 * ownership it was admitted in (the Owned object: a partition regained gets a new one) and its
 * sequence number in it. A source that builds its records with both slots (`newRecord`) keeps
 * them at one shape.
 */
const OWNED = Symbol("coexist.owned");
const SEQ = Symbol("coexist.seq");
type Tagged = RawRecord & { [OWNED]?: Owned; [SEQ]?: number };

/** A record with its tag slots already there (unset): every record of the source keeps one shape. */
export function newRecord(topic: string, partition: number, offset: bigint, key: Buffer | null, value: Buffer | null): RawRecord {
  const r: Tagged = { topic, partition, offset, key, value, [OWNED]: undefined, [SEQ]: -1 };
  return r;
}

export class Ownership {
  #generation = -1;
  #epochs = 0;
  readonly #owned = new Map<string, Owned>();
  /** The same Owned objects by topic, then partition: admit looks records up without building a key. */
  readonly #byTopic = new Map<string, (Owned | undefined)[]>();
  /** Per partition, the highest offset the broker accepted from this member. */
  readonly #committed = new Map<string, bigint>();

  /** Counts revocations: records admitted before can stop being current only when it moves. */
  revocations = 0;

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
      const owned: Owned = {
        key,
        epoch: ++this.#epochs,
        nextSeq: 0,
        writtenSeq: -1,
        pending: new Map(),
        writtenOffset: null,
      };
      this.#owned.set(key, owned);
      let parts = this.#byTopic.get(tp.topic);
      if (!parts) this.#byTopic.set(tp.topic, (parts = []));
      parts[tp.partition] = owned;
    }
  }

  /** Partitions taken away: records of theirs already fetched are never emitted, nothing of theirs is committed any more. */
  revoked(tps: readonly TopicPartition[]): void {
    this.revocations++;
    for (const tp of tps) {
      this.#owned.delete(tpKey(tp));
      const parts = this.#byTopic.get(tp.topic);
      if (parts) parts[tp.partition] = undefined;
    }
  }

  /** A fetched record: false when its partition is not owned now (drop it); else tags it with the ownership epoch it was fetched in. */
  admit(record: RawRecord): boolean {
    const owned = this.#byTopic.get(record.topic)?.[record.partition];
    if (!owned) return false;
    const r = record as Tagged;
    r[OWNED] = owned;
    r[SEQ] = owned.nextSeq++;
    return true;
  }

  /** Whether a record admitted earlier still belongs to a partition owned in the same epoch. */
  current(record: RawRecord): boolean {
    const owned = (record as Tagged)[OWNED];
    return owned !== undefined && this.#owned.get(owned.key) === owned;
  }

  /** Per "topic:partition", the offset to commit after these records were written (in order): only partitions still owned in the epoch the records were admitted in, only up to the last offset contiguous (in fetch order) from the partition's start in this epoch, never backwards from what this member committed. */
  commitFor(records: readonly RawRecord[]): Map<string, bigint> {
    const touched = new Set<string>();
    let last: Owned | undefined;
    for (const record of records) {
      const owned = (record as Tagged)[OWNED];
      if (owned === undefined) continue; // never admitted: never committed
      // Revoked since, or an older epoch (a regained partition has a new Owned object).
      if (owned !== last && this.#owned.get(owned.key) !== owned) continue;
      last = owned;
      const seq = (record as Tagged)[SEQ] as number;
      if (seq <= owned.writtenSeq) continue; // already counted
      if (seq === owned.writtenSeq + 1 && owned.pending.size === 0) {
        // The usual case, records written in fetch order: no gap to wait for.
        owned.writtenSeq = seq;
        const next = record.offset + 1n;
        if (owned.writtenOffset === null || next > owned.writtenOffset) owned.writtenOffset = next;
      } else {
        owned.pending.set(seq, record.offset + 1n);
        while (owned.pending.has(owned.writtenSeq + 1)) {
          const next = owned.pending.get(owned.writtenSeq + 1)!;
          owned.pending.delete(owned.writtenSeq + 1);
          owned.writtenSeq += 1;
          if (owned.writtenOffset === null || next > owned.writtenOffset) owned.writtenOffset = next;
        }
      }
      touched.add(owned.key);
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
