/**
 * One waiter woken early by new records or a failure, else by its timeout: the consumers'
 * `poll` sleeps on it between fetches (the librdkafka source, and the platformatic one the tests
 * keep). A `notify` with no waiter is a no-op; a later `wait` waits the full time or until the next.
 */
export class Wake {
  #wake: (() => void) | undefined;

  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
