// Lines written in one turn of the event loop leave in one write: one segment and one system call
// for a reply and the pushes it causes, or for a burst of requests and acks. Shared by disco's
// server connections and its client's transport.
//
// The lines are joined here rather than corked in the stream: a fan-out writes one line per
// subscription, and a corked stream keeps each as a chunk of its own, copied one by one into the
// system call (writev). Joined, a hundred subscriptions on one connection cost one string and one
// copy.

import type { Writable } from 'node:stream';

export class TickBatch {
  private pending: string[] = [];
  private length = 0;

  constructor(private readonly stream: Writable) {}

  /** UTF-16 units waiting for the end of this tick (as the stream counts a string it holds). */
  get pendingLength(): number {
    return this.length;
  }

  /** Queues text to leave with everything else written in this tick. */
  write(text: string): void {
    if (this.pending.length === 0) process.nextTick(this.flush);
    this.pending.push(text);
    this.length += text.length;
  }

  /** Writes what is queued now, in the order it was queued: before a last line, or at the tick's end. */
  readonly flush = (): void => {
    if (this.pending.length === 0) return;
    // Stryker disable next-line ConditionalExpression: joining one string gives the same string
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.length = 0;
    // A stream ended or destroyed meanwhile takes nothing more: writing would only raise an error.
    if (this.stream.writable) this.stream.write(text);
  };
}
