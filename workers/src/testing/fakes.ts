import type { DeadLetter, DeadLetterSink, RecordSource } from "../kafka/types.js";
import type { Rejection, WriteResult } from "../mongo/writer.js";
import type { Change, RawRecord } from "../sync/change.js";
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

/** Store with the same guard as MongoDB: a change applies only over an older _lsn. */
export class GuardedMemoryStore implements ChangeStore {
  readonly docs = new Map<string, { lsn: number; doc: Record<string, unknown> | null }>();
  readonly calls: Array<{ collection: string; changes: readonly Change[] }> = [];
  failuresLeft = 0;
  /** Ids the store refuses for good, like MongoDB refusing an invalid document. */
  readonly refuse = new Set<unknown>();
  async write(collection: string, changes: readonly Change[]): Promise<WriteResult & { rejected: Rejection[] }> {
    this.calls.push({ collection, changes });
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("MongoDB unavailable");
    }
    let applied = 0;
    const rejected: Rejection[] = [];
    for (const c of changes) {
      if (this.refuse.has(c.id)) {
        rejected.push({ change: c, code: 2, message: "invalid value" });
        continue;
      }
      const k = `${collection}/${idKey(c.id)}`;
      const stored = this.docs.get(k);
      if (stored && stored.lsn >= Number(c.lsn)) continue;
      this.docs.set(k, { lsn: Number(c.lsn), doc: c.deleted ? null : (c.doc ?? null) });
      applied++;
    }
    return { applied, stale: changes.length - applied - rejected.length, rejected };
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
