// Coalesced acknowledgements. Acks are cumulative, so one per subscription every `delayMs` covers a
// burst: the server parses one line where it would have parsed hundreds, on the path of the next change.

export class AckBatcher {
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly flush: (sub: string, seq: number) => void,
  ) {}

  add(sub: string, seq: number): void {
    this.due.set(sub, Math.max(seq, this.due.get(sub) ?? 0));
    // Stryker disable next-line ConditionalExpression: the first timer to fire flushes everything due; acks are cumulative, so the server learns the same
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const due = [...this.due];
      this.due.clear();
      for (const [dueSub, dueSeq] of due) this.flush(dueSub, dueSeq);
    }, this.delayMs);
    this.timer.unref();
  }

  /** Forgets what is due: the subscriptions it names are gone. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due.clear();
  }
}
