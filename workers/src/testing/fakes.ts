import type { DeadLetter, DeadLetterSink, RecordSource } from "../kafka/types.js";
import type { Rejection, WriteOutcome } from "../mongo/writer.js";
import type { Change, RawRecord, Truncate } from "../sync/change.js";
import { idKey } from "../sync/compact.js";
import type { ChangeStore } from "../sync/processor.js";

/** In-memory source: hands out preloaded records, records commits, calls `onDrained` when empty. */
export class FakeSource implements RecordSource {
  readonly committed = new Map<string, bigint>();
  onDrained: () => void = () => {};
  #queue: RawRecord[];
  #interrupted = false;
  constructor(records: RawRecord[]) {
    this.#queue = [...records];
  }
  async start(): Promise<void> {}
  async next(max: number): Promise<RawRecord[]> {
    if (this.#interrupted) return [];
    if (this.#queue.length === 0) {
      this.onDrained();
      // Yield like a real poll so an idle loop cannot starve timers.
      await new Promise((r) => setImmediate(r));
      return [];
    }
    return this.#queue.splice(0, max);
  }
  async commit(records: readonly RawRecord[]): Promise<void> {
    for (const r of records) this.committed.set(`${r.topic}:${r.partition}`, r.offset + 1n);
  }
  async lag(): Promise<Map<string, bigint>> {
    return new Map();
  }
  interrupt(): void {
    this.#interrupted = true;
  }
  async close(): Promise<void> {}
}

/**
 * Records what the processor hands to the store, with no guard of its own: unit tests check
 * what is sent (compaction, retries, dead letters). Whether the guard keeps the newest version
 * is tested against the real writer and a real store (test/guard.test.ts).
 */
export class RecordingStore implements ChangeStore {
  readonly calls: Array<{ collection: string; changes: readonly Change[] }> = [];
  readonly truncates: Truncate[] = [];
  failuresLeft = 0;
  /** Ids the store refuses for good, like MongoDB refusing an invalid document. */
  readonly refuse = new Set<unknown>();
  /** Ids that collide on a unique index other than _id. */
  readonly collide = new Set<unknown>();
  async write(collection: string, changes: readonly Change[]): Promise<WriteOutcome> {
    this.calls.push({ collection, changes });
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("MongoDB unavailable");
    }
    const rejected: Rejection[] = changes.filter((c) => this.refuse.has(c.id)).map((change) => ({ change, code: 2, message: "invalid value" }));
    const conflicts: Rejection[] = changes.filter((c) => this.collide.has(c.id)).map((change) => ({ change, code: 11000, message: "E11000 on email_1" }));
    return { applied: changes.length - rejected.length - conflicts.length, stale: 0, rejected, conflicts };
  }
  async truncate(t: Truncate): Promise<number> {
    this.truncates.push(t);
    return 0;
  }
}

/**
 * Keeps the newest version per document in memory, comparing `_v` strings exactly as the real
 * writer's `$lt` does. For the benchmark only (to measure the worker without a store); tests
 * of the guard run against the real writer and store.
 */
export class VersionedMemoryStore implements ChangeStore {
  readonly docs = new Map<string, { v: string; doc: Record<string, unknown> | null }>();
  async write(collection: string, changes: readonly Change[]): Promise<WriteOutcome> {
    let applied = 0;
    for (const c of changes) {
      const k = `${collection}/${idKey(c.id)}`;
      const stored = this.docs.get(k);
      if (stored && stored.v >= c.v) continue;
      this.docs.set(k, { v: c.v, doc: c.deleted ? null : (c.doc ?? null) });
      applied++;
    }
    return { applied, stale: changes.length - applied, rejected: [], conflicts: [] };
  }
  async truncate(): Promise<number> {
    return 0;
  }
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly sent: DeadLetter[] = [];
  fail = false;
  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (this.fail && letters.length > 0) throw new Error("DLQ topic unavailable");
    this.sent.push(...letters);
  }
  async close(): Promise<void> {}
}
