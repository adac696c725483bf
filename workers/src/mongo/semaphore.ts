/** At most `limit` tasks run at once; the others wait in arrival order. */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit ${limit} is not a positive integer`);
    this.#free = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, or back to the pool.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.limit - this.#free;
  }
}
