import type { DecodeOptions } from "../decode/connect.js";
import type { DeadLetter, DeadLetterSink } from "../kafka/types.js";
import type { Rejection, WriteResult } from "../mongo/writer.js";
import type { Capture } from "../runtime/config.js";
import type { SyncMetrics } from "../runtime/metrics.js";
import { parseRecord, type Change, type RawRecord } from "./change.js";
import { compactByKey } from "./compact.js";

/** Where compacted changes go; MongoDB in production, a map in unit tests. */
export interface ChangeStore {
  /** Rejections are changes the store refused for good (see writer.ts); they are dead-lettered. */
  write(collection: string, changes: readonly Change[]): Promise<WriteResult & { rejected: readonly Rejection[] }>;
}

export interface BatchOutcome {
  readonly applied: number;
  readonly stale: number;
  readonly deadLettered: number;
  readonly tombstones: number;
}

export interface ProcessorDeps {
  readonly captures: readonly Capture[];
  readonly store: ChangeStore;
  readonly dlq: DeadLetterSink;
  readonly metrics: SyncMetrics;
  readonly decode: DecodeOptions;
  readonly now?: () => number;
}

/**
 * Handles one fetched batch: parse, dead-letter poison, compact per
 * partition, write each partition's changes as one bulk write. Resolves
 * only when every record is durably handled (written, skipped as stale or
 * dead-lettered), so the caller may then commit the batch's offsets.
 */
export class BatchProcessor {
  readonly #byTopic: ReadonlyMap<string, Capture>;

  constructor(private readonly deps: ProcessorDeps) {
    this.#byTopic = new Map(deps.captures.map((c) => [c.topic, c]));
  }

  async process(records: readonly RawRecord[]): Promise<BatchOutcome> {
    const letters: DeadLetter[] = [];
    const partitions = new Map<string, Change[]>();
    let tombstones = 0;
    for (const record of records) {
      const parsed = parseRecord(record, this.#byTopic, this.deps.decode);
      if (parsed.kind === "tombstone") tombstones++;
      else if (parsed.kind === "poison") letters.push({ record, reason: parsed.reason, message: parsed.message });
      else {
        const k = `${record.topic}:${record.partition}`;
        const list = partitions.get(k);
        if (list) list.push(parsed.change);
        else partitions.set(k, [parsed.change]);
      }
    }

    const { metrics } = this.deps;
    try {
      await this.deps.dlq.send(letters);
    } catch (e) {
      metrics.errors.inc({ stage: "dlq" });
      throw e;
    }
    for (const l of letters) metrics.deadLettered.inc({ reason: l.reason });

    const writes = [...partitions.values()].map(async (changes) => {
      const compacted = compactByKey(changes);
      const collection = (changes[0] as Change).capture.collection;
      metrics.compacted.inc({ collection }, changes.length - compacted.length);
      const result = await this.deps.store.write(collection, compacted);
      metrics.applied.inc({ collection }, result.applied);
      metrics.stale.inc({ collection }, result.stale);
      return { compacted, result };
    });
    let results: Awaited<(typeof writes)[number]>[];
    try {
      results = await Promise.all(writes);
    } catch (e) {
      metrics.errors.inc({ stage: "write" });
      throw e;
    }

    const rejected: DeadLetter[] = results.flatMap(({ result }) =>
      result.rejected.map((r) => ({ record: r.change.record, reason: "rejected-by-store", message: `MongoDB refused the document (code ${r.code}): ${r.message}` })),
    );
    try {
      await this.deps.dlq.send(rejected);
    } catch (e) {
      metrics.errors.inc({ stage: "dlq" });
      throw e;
    }
    for (const l of rejected) metrics.deadLettered.inc({ reason: l.reason });

    const now = (this.deps.now ?? Date.now)();
    let applied = 0;
    let stale = 0;
    for (const { compacted, result } of results) {
      applied += result.applied;
      stale += result.stale;
      // Snapshot reads carry the snapshot time, not a commit time.
      for (const c of compacted) if (c.op !== "r" && c.sourceTsMs !== null) metrics.endToEndLag.observe(Math.max(0, now - c.sourceTsMs) / 1000);
    }
    return { applied, stale, deadLettered: letters.length + rejected.length, tombstones };
  }
}
