import type { DecodeOptions } from "../decode/connect.js";
import type { DeadLetter, DeadLetterSink } from "../kafka/types.js";
import type { Rejection, WriteOutcome } from "../mongo/writer.js";
import type { Capture } from "../runtime/config.js";
import type { SyncMetrics } from "../runtime/metrics.js";
import { parseRecord, type Change, type RawRecord, type Truncate } from "./change.js";
import { compactRounds, idKey } from "./compact.js";

/** Where compacted changes go; MongoDB in production (mongo/writer.ts, mongo/truncate.ts). */
export interface ChangeStore {
  write(collection: string, changes: readonly Change[]): Promise<WriteOutcome>;
  /** Tombstones every document of the truncated table's collection older than the truncate. */
  truncate(t: Truncate): Promise<number>;
}

export interface BatchOutcome {
  readonly applied: number;
  readonly stale: number;
  readonly deadLettered: number;
  readonly tombstones: number;
  readonly truncated: number;
}

export interface ProcessorDeps {
  readonly captures: readonly Capture[];
  readonly store: ChangeStore;
  readonly dlq: DeadLetterSink;
  readonly metrics: SyncMetrics;
  readonly decode: DecodeOptions;
  readonly now?: () => number;
  /**
   * Attempts before a change that collides on a unique index other than `_id` is
   * dead-lettered (the batch is retried meanwhile, with the worker's backoff). @default 5
   */
  readonly conflictAttempts?: number;
}

/**
 * One fetched batch, parsed once. The worker retries a failing batch with the same
 * PreparedBatch, so what it already did survives the retry: a dead letter is sent once per
 * record however often the writes fail, and the count of attempts that met a unique-index
 * conflict decides when it stops being retried.
 */
export class PreparedBatch {
  readonly letters: DeadLetter[] = [];
  readonly partitions = new Map<string, Change[]>();
  readonly truncates: Truncate[] = [];
  tombstones = 0;
  /**
   * Attempts that met a unique-index conflict. Only those count towards dead-lettering: an
   * attempt that failed for another reason (store unavailable, a half-applied bulk) says
   * nothing about the conflict, and must not spend its retries (issue 14 §1.8).
   */
  conflicted = 0;
  /** Records already acknowledged by the DLQ, by "topic:partition:offset". */
  readonly sent = new Set<string>();

  constructor(readonly records: readonly RawRecord[]) {}
}

class ConflictRetry extends Error {}

export function recordKey(r: RawRecord): string {
  return `${r.topic}:${r.partition}:${r.offset}`;
}

/**
 * Handles one fetched batch: parse, dead-letter poison, carry truncates, compact per
 * partition, write each partition's changes as one bulk write. Resolves only when every
 * record is durably handled (written, skipped as stale or dead-lettered), so the caller may
 * then commit the batch's offsets.
 */
export class BatchProcessor {
  readonly #byTopic: ReadonlyMap<string, Capture>;

  constructor(private readonly deps: ProcessorDeps) {
    this.#byTopic = new Map(deps.captures.map((c) => [c.topic, c]));
  }

  prepare(records: readonly RawRecord[]): PreparedBatch {
    const batch = new PreparedBatch(records);
    for (const record of records) {
      const parsed = parseRecord(record, this.#byTopic, this.deps.decode);
      if (parsed.kind === "tombstone") batch.tombstones++;
      else if (parsed.kind === "poison") batch.letters.push({ record, reason: parsed.reason, message: parsed.message });
      else if (parsed.kind === "truncate") batch.truncates.push(parsed.truncate);
      else {
        const k = `${record.topic}:${record.partition}`;
        const list = batch.partitions.get(k);
        if (list) list.push(parsed.change);
        else batch.partitions.set(k, [parsed.change]);
      }
    }
    return batch;
  }

  /** Processes a batch; pass the same PreparedBatch again to retry it. */
  async process(input: readonly RawRecord[] | PreparedBatch): Promise<BatchOutcome> {
    const batch = input instanceof PreparedBatch ? input : this.prepare(input);
    const { metrics } = this.deps;
    await this.#deadLetter(batch, batch.letters);

    const truncated = await this.#truncate(batch.truncates);

    const lastAttempt = batch.conflicted + 1 >= (this.deps.conflictAttempts ?? 5);
    const writes = [...batch.partitions.values()].map(async (changes) => {
      const rounds = compactRounds(changes);
      const collection = (changes[0] as Change).capture.collection;
      // Rounds in order: a key's partial images are applied after its full image (compact.ts).
      const result = { applied: 0, stale: 0, rejected: [] as Rejection[], conflicts: [] as Rejection[] } satisfies WriteOutcome;
      // A key whose change collided is retried whole: its later partial images wait, or one
      // would create the document without the columns the collided image carries. On the last
      // attempt the collided change is dead-lettered and the rest of the key is written.
      const blocked = new Set<string>();
      for (const round of rounds) {
        const todo = lastAttempt ? round : round.filter((c) => !blocked.has(idKey(c.id)));
        if (todo.length === 0) continue;
        const r = await this.deps.store.write(collection, todo);
        for (const c of r.conflicts) blocked.add(idKey(c.change.id));
        result.applied += r.applied;
        result.stale += r.stale;
        result.rejected.push(...r.rejected);
        result.conflicts.push(...r.conflicts);
      }
      const compacted = rounds.flat();
      return { collection, compactedAway: changes.length - compacted.length, compacted, result };
    });
    let results: Awaited<(typeof writes)[number]>[];
    try {
      results = await Promise.all(writes);
    } catch (e) {
      metrics.errors.inc({ stage: "write" });
      throw e;
    }

    const rejected = results.flatMap(({ result }) => result.rejected.map((r) => letterFor(r, "rejected-by-store", `MongoDB refused the document (code ${r.code}): ${r.message}`)));
    await this.#deadLetter(batch, rejected);

    const conflicts = results.flatMap(({ result }) => result.conflicts);
    if (conflicts.length > 0) {
      metrics.errors.inc({ stage: "conflict" }, conflicts.length);
      batch.conflicted++;
      if (batch.conflicted < (this.deps.conflictAttempts ?? 5)) {
        const first = conflicts[0] as Rejection;
        throw new ConflictRetry(
          `${conflicts.length} change(s) collide on a unique index other than _id, e.g. _id ${String(first.change.id)} in ${first.change.capture.collection}: ${first.message}; ` +
            "retrying, then dead-lettering (a read service's unique index rejects rows PostgreSQL accepts)",
        );
      }
      await this.#deadLetter(
        batch,
        conflicts.map((r) => letterFor(r, "unique-index-conflict", `${r.message}; drop or relax that index: the read model must accept every row PostgreSQL accepts`)),
      );
    }

    // Counted once the batch went through, so a retried batch does not count twice.
    const now = (this.deps.now ?? Date.now)();
    let applied = 0;
    let stale = 0;
    for (const { collection, compactedAway, compacted, result } of results) {
      metrics.compacted.inc({ collection }, compactedAway);
      metrics.applied.inc({ collection }, result.applied);
      metrics.stale.inc({ collection }, result.stale);
      applied += result.applied;
      stale += result.stale;
      // Snapshot reads carry the snapshot time, not a commit time.
      for (const c of compacted) if (c.op !== "r" && c.sourceTsMs !== null) metrics.endToEndLag.observe(Math.max(0, now - c.sourceTsMs) / 1000);
    }
    return { applied, stale, deadLettered: batch.sent.size, tombstones: batch.tombstones, truncated };
  }

  async #deadLetter(batch: PreparedBatch, letters: readonly DeadLetter[]): Promise<void> {
    const unsent = letters.filter((l) => !batch.sent.has(recordKey(l.record)));
    if (unsent.length === 0) return;
    try {
      await this.deps.dlq.send(unsent);
    } catch (e) {
      this.deps.metrics.errors.inc({ stage: "dlq" });
      throw e;
    }
    for (const l of unsent) {
      batch.sent.add(recordKey(l.record));
      this.deps.metrics.deadLettered.inc({ reason: l.reason });
    }
  }

  async #truncate(truncates: readonly Truncate[]): Promise<number> {
    // The newest truncate per collection covers the older ones.
    const newest = new Map<string, Truncate>();
    for (const t of truncates) {
      const prev = newest.get(t.capture.collection);
      if (!prev || t.v > prev.v) newest.set(t.capture.collection, t);
    }
    let swept = 0;
    for (const t of newest.values()) {
      try {
        const n = await this.deps.store.truncate(t);
        this.deps.metrics.truncated.inc({ collection: t.capture.collection }, n);
        swept += n;
      } catch (e) {
        this.deps.metrics.errors.inc({ stage: "write" });
        throw e;
      }
    }
    return swept;
  }
}

function letterFor(r: Rejection, reason: DeadLetter["reason"], message: string): DeadLetter {
  return { record: r.change.record, reason, message };
}
