/**
 * Liveness of the consume → write → commit loop: dead when no batch has completed within
 * `boundMs` while records are waiting. Records wait when a batch is in hand (being written or
 * retried) or when Kafka reports lag on the assigned partitions. A lag that cannot be read for
 * longer than the bound counts as waiting too: a hung broker connection looks exactly like
 * that, and a restart is what clears it.
 *
 * Every client has its own timeout (Kafka requests, MongoDB socket and server selection), so
 * a hung service turns into failed, retried batches; this bound catches whatever still makes
 * no progress, e.g. a store that accepts connections but never answers within any retry.
 */
export class Liveness {
  #batchSince: number | null = null;
  #lastProgress: number;
  #lagPending = false;
  #lagReadAt: number;

  constructor(
    readonly boundMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#lastProgress = now();
    this.#lagReadAt = now();
  }

  batchStarted(): void {
    if (this.#batchSince !== null) return;
    const t = this.now();
    this.#batchSince = t;
    // Nothing was known to wait before this batch: the wait starts with it.
    if (!this.#lagPending) this.#lastProgress = t;
  }

  batchCompleted(): void {
    this.#batchSince = null;
    this.#lastProgress = this.now();
  }

  /** Total lag over the assigned partitions, as last read from Kafka. */
  lagObserved(total: bigint): void {
    const t = this.now();
    const wasPending = this.#lagPending;
    this.#lagReadAt = t;
    this.#lagPending = total > 0n;
    // Nothing to do is progress too: an idle worker is alive. Records that were not pending at
    // the previous reading only started waiting now, so the bound starts now.
    if (this.#batchSince === null && (!this.#lagPending || !wasPending)) this.#lastProgress = t;
  }

  /** Milliseconds since the last completed batch (or the last idle observation). */
  sinceProgressMs(): number {
    return this.now() - this.#lastProgress;
  }

  live(): boolean {
    const t = this.now();
    if (this.#batchSince !== null && t - this.#batchSince > this.boundMs) return false;
    const waiting = this.#lagPending || t - this.#lagReadAt > this.boundMs;
    return !(waiting && t - this.#lastProgress > this.boundMs);
  }
}
