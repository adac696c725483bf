import type { RecordSource } from "../kafka/types.js";
import type { HealthState } from "../runtime/http.js";
import { Liveness } from "../runtime/liveness.js";
import type { Logger } from "../runtime/log.js";
import type { SyncMetrics } from "../runtime/metrics.js";
import type { RawRecord } from "./change.js";
import type { BatchProcessor } from "./processor.js";

export interface WorkerOptions {
  readonly source: RecordSource;
  readonly processor: Pick<BatchProcessor, "process" | "prepare">;
  readonly topics: readonly string[];
  readonly batch: { readonly maxRecords: number; readonly maxWaitMs: number };
  readonly metrics: SyncMetrics;
  readonly log: Logger;
  /** Backoff between retries of a failed batch. @default { initialMs: 200, maxMs: 10_000 } */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /** Decides /healthz; main.ts feeds it Kafka's lag. @default a 120 s bound */
  readonly liveness?: Liveness;
  /** Waits between retries instead of a timer (the model test passes one that yields once, so runs are deterministic). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The consume → write → commit loop. A batch's offsets are committed only
 * after its writes succeeded; a failing batch is retried with backoff
 * (writes are LSN-guarded, so retries are idempotent) and never skipped.
 */
export class SyncWorker implements HealthState {
  #stopping = false;
  #consuming = false;
  #lastWriteOk = true;
  #wakeSleep: (() => void) | undefined;
  readonly liveness: Liveness;

  constructor(private readonly o: WorkerOptions) {
    this.liveness = o.liveness ?? new Liveness(120_000);
  }

  /**
   * Resolves true after a clean stop, false if stopped while a batch was still failing (not committed).
   *
   * The next batch is fetched and decoded while the previous one is being written: the store
   * works while the worker decodes. Writes and commits stay strictly in batch order (one batch
   * written at a time, each committed only after its writes and before the next is written),
   * so a commit never covers a record whose write was not acknowledged.
   */
  async run(): Promise<boolean> {
    const { source, log } = this.o;
    await source.start(this.o.topics);
    this.#consuming = true;
    log.info("consuming", { topics: this.o.topics });
    let inFlight: Promise<boolean> = Promise.resolve(true);
    try {
      while (!this.#stopping) {
        const records = await source.next(this.o.batch.maxRecords, this.o.batch.maxWaitMs);
        if (records.length === 0) continue;
        // Parsed once: a retry keeps what the failed attempts already did (dead letters sent).
        const batch = this.o.processor.prepare(records);
        if (!(await inFlight)) return false;
        inFlight = this.#writeAndCommit(records, batch);
        // Handled here so a failure cannot go unobserved while the next batch is fetched; it is
        // still read when the loop awaits this batch.
        inFlight.catch(() => undefined);
      }
      return await inFlight;
    } finally {
      this.#consuming = false;
    }
  }

  async #writeAndCommit(records: readonly RawRecord[], batch: ReturnType<WorkerOptions["processor"]["prepare"]>): Promise<boolean> {
    const { source, log } = this.o;
    this.liveness.batchStarted();
    const end = this.o.metrics.batchSeconds.startTimer();
    if (!(await this.#processWithRetry(records, batch))) return false;
    try {
      await source.commit(records);
    } catch (e) {
      // Not fatal: the records are redelivered (e.g. after a rebalance) and the LSN guard skips them.
      this.o.metrics.errors.inc({ stage: "commit" });
      log.warn("offset commit failed; records will be redelivered", { error: (e as Error).message });
    }
    end();
    this.liveness.batchCompleted();
    this.o.metrics.lastBatch.setToCurrentTime();
    this.o.metrics.batchRecords.observe(records.length);
    return true;
  }

  /** Finish the batch in hand, commit it, then let `run` return. */
  stop(): void {
    this.#stopping = true;
    this.o.source.interrupt();
    this.#wakeSleep?.();
  }

  live(): boolean {
    return this.liveness.live();
  }

  ready(): boolean {
    return this.#consuming && this.#lastWriteOk;
  }

  async #processWithRetry(records: readonly RawRecord[], batch: ReturnType<WorkerOptions["processor"]["prepare"]>): Promise<boolean> {
    const { initialMs, maxMs } = this.o.retry ?? { initialMs: 200, maxMs: 10_000 };
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.o.processor.process(batch);
        this.#lastWriteOk = true;
        this.o.log.debug("batch", { records: records.length, ...outcome });
        return true;
      } catch (e) {
        this.#lastWriteOk = false;
        const delay = Math.min(maxMs, initialMs * 2 ** attempt);
        this.o.log.error("batch failed; retrying without committing", { attempt, delayMs: delay, error: (e as Error).message });
        if (this.#stopping) return false;
        await (this.o.sleep?.(delay) ??
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            this.#wakeSleep = () => {
              clearTimeout(t);
              resolve();
            };
          }));
        if (this.#stopping) return false;
      }
    }
  }
}
