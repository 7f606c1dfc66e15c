// Lines written in one turn of the event loop leave in one write: one segment and one system call
// for a reply and the pushes it causes, or for a burst of requests and acks. Shared by disco's
// server connections and its client's transport.

import type { Writable } from 'node:stream';

export class TickCork {
  private corked = false;

  constructor(private readonly stream: Writable) {}

  /** Corks the stream, if it is not yet, until the end of this tick. */
  hold(): void {
    if (this.corked) return;
    this.corked = true;
    this.stream.cork();
    process.nextTick(() => {
      this.corked = false;
      this.stream.uncork();
    });
  }
}
