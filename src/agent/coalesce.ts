// Runs a task at most once at a time. Triggers that arrive while it waits or runs fold into one
// more run, so a burst of changes costs one run, never a queue of them.

export class CoalescingRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly debounceMs = 0,
  ) {}

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), this.debounceMs);
  }

  /** Resolves when no run is waiting or under way. */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, this.debounceMs));
    }
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
  }

  private start(): void {
    this.timer = undefined;
    this.running = this.task()
      .catch(() => {}) // The task reports its own failures.
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
  }
}
