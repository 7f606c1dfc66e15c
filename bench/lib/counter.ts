// Counts events and resolves a waiter the moment the count reaches its target: no polling, so a
// latency measured with it ends at the event itself, not at the next tick of a timer.

export class Counter {
  private count = 0;
  private waiter: { target: number; resolve(): void } | undefined;

  add(n: number): void {
    this.count += n;
    if (this.waiter && this.count >= this.waiter.target) {
      this.waiter.resolve();
      this.waiter = undefined;
    }
  }

  reset(): void {
    this.count = 0;
  }

  /** Resolves once the count reaches `target`; one waiter at a time, bounded by `timeoutMs`. */
  reach(target: number, timeoutMs = 30_000): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out at ${this.count} of ${target}`));
      }, timeoutMs);
      this.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }
}
