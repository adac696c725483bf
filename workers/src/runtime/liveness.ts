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
    this.#batchSince ??= this.now();
  }

  batchCompleted(): void {
    this.#batchSince = null;
    this.#lastProgress = this.now();
  }

  /** Total lag over the assigned partitions, as last read from Kafka. */
  lagObserved(total: bigint): void {
    const t = this.now();
    this.#lagReadAt = t;
    this.#lagPending = total > 0n;
    // Nothing to do is progress too: an idle worker is alive.
    if (!this.#lagPending && this.#batchSince === null) this.#lastProgress = t;
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
