// One client socket: framing, a budget for bad lines, a bounded send queue and liveness times.
// It knows nothing of sessions; the server decides what lines mean.

import type { Socket } from 'node:net';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine, LineSplitter, LineTooLongError } from '../protocol/framing.ts';

/** The limits a peer can break; each closes its connection. */
export type Violation = typeof ErrorCode.lineTooLong | typeof ErrorCode.overloaded | typeof ErrorCode.tooManyErrors;

export interface ConnectionLimits {
  /** Bytes that may wait in the socket's send buffer before the peer is cut as too slow. */
  readonly maxQueueBytes: number;
  /** Bad lines allowed in a burst, then refilled at `errorRefillPerSecond`. */
  readonly errorBurst: number;
  readonly errorRefillPerSecond: number;
  readonly maxLineBytes: number;
}

export interface ConnectionEvents {
  line(line: string): void;
  /** The peer broke a limit; the connection sends `reason` and closes itself. */
  violation(code: Violation, message: string): void;
  closed(): void;
}

export class Connection {
  readonly remote: string;
  lastHeard = Date.now();
  lastSent = Date.now();
  private readonly splitter: LineSplitter;
  private errorTokens: number;
  private errorRefilledAt = Date.now();
  private corked = false;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.splitter = new LineSplitter(limits.maxLineBytes);
    this.errorTokens = limits.errorBurst;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // 'close' follows; the reason does not change what we do.
    socket.on('close', () => events.closed());
  }

  get isOpen(): boolean {
    return !this.closing && !this.socket.destroyed;
  }

  send(message: unknown): void {
    this.sendLine(encodeLine(message));
  }

  /** Sends a line already encoded, newline included. */
  sendLine(line: string): void {
    if (!this.isOpen) return;
    if (this.socket.writableLength > this.limits.maxQueueBytes) {
      this.violate(ErrorCode.overloaded, 'send queue overflowed: the client reads too slowly');
      return;
    }
    // Replies and pushes produced in one turn of the event loop leave in one write.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(line);
    this.lastSent = Date.now();
  }

  /** Counts one bad line against the budget; returns false once the budget is spent. */
  chargeError(): boolean {
    const now = Date.now();
    const refill = ((now - this.errorRefilledAt) / 1000) * this.limits.errorRefillPerSecond;
    this.errorTokens = Math.min(this.limits.errorBurst, this.errorTokens + refill);
    this.errorRefilledAt = now;
    this.errorTokens -= 1;
    if (this.errorTokens >= 0) return true;
    this.violate(ErrorCode.tooManyErrors, 'too many bad lines');
    return false;
  }

  /** Sends a last message, if any, and closes once it is flushed. */
  close(last?: unknown): void {
    if (!this.isOpen) return;
    if (last !== undefined) this.socket.write(encodeLine(last));
    this.closing = true;
    this.socket.end();
    // A peer that never reads would hold the socket half-open forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private violate(code: Violation, message: string): void {
    if (this.closing) return;
    this.events.violation(code, message);
    if (code === ErrorCode.overloaded) this.destroy(); // Its buffer is full: a goodbye would not get through.
    else this.close({ re: null, ok: false, error: { code, message } });
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastHeard = Date.now();
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.violate(ErrorCode.lineTooLong, `line longer than ${error.limit} bytes`);
      return;
    }
    for (const line of lines) {
      if (this.closing) return;
      this.events.line(line);
    }
  }
}
