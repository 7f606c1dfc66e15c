// One client socket, as the server sees it: framing and the writes of one tick joined into one
// (shared with the client's transport), a budget for bad lines, backpressure and liveness times. It
// knows nothing of sessions; the server decides what lines mean.

import type { Socket } from 'node:net';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine, type Line, LineSplitter, LineTooLongError } from '../protocol/framing.ts';
import { cutReason, type RegistryReason } from '../reasons.ts';
import { TickBatch } from '../transport/tick-batch.ts';
import type { ServerMeter } from './meter.ts';

/** The limits a peer can break by what it sends; each closes its connection. */
export type Violation = typeof ErrorCode.lineTooLong | typeof ErrorCode.tooManyErrors;

export interface ConnectionLimits {
  /**
   * Unsent bytes past which the connection is backlogged: pushes to it are skipped (the server
   * owes it resyncs instead) and its requests wait unread until the socket drains.
   */
  readonly maxQueueBytes: number;
  /** Bad lines allowed in a burst, then refilled at `errorRefillPerSecond`. */
  readonly errorBurst: number;
  readonly errorRefillPerSecond: number;
  readonly maxLineBytes: number;
  /** Told of each error a connection is closed with (a limit broken, a timeout, replaced), for the metrics. */
  readonly meter?: Pick<ServerMeter, 'refused'> | undefined;
}

export interface ConnectionEvents {
  line(line: Line): void;
  /** The peer broke a limit; the connection sends an error line and closes itself. */
  violation(code: Violation, message: string): void;
  /** A backlog has been read by the peer: pushes may flow again. */
  drained(): void;
  closed(): void;
}

export class Connection {
  readonly remote: string;
  readonly source: string;
  readonly openedAt = Date.now();
  lastHeard = Date.now();
  lastSent = Date.now();
  /** Why the server cut it, if it did (a closed socket with none was lost): what its session's endpoints are dropped for. */
  cutBecause: RegistryReason | undefined;
  private readonly splitter: LineSplitter;
  private errorTokens: number;
  private errorRefilledAt = Date.now();
  private readonly batch: TickBatch;
  private closing = false;
  private backlog: { since: number; unsent: number } | undefined;
  /** Lines read but not yet handled: handling waits while the connection is backlogged. */
  private waiting: Line[] = [];
  private partialSince: number | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    // Stryker disable next-line StringLiteral: a connected socket has its address; it is missing only once closed
    this.source = socket.remoteAddress ?? '';
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.splitter = new LineSplitter(limits.maxLineBytes);
    this.batch = new TickBatch(socket);
    this.errorTokens = limits.errorBurst;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {}); // 'close' follows; the reason does not change what we do.
    socket.on('close', () => events.closed());
  }

  get isOpen(): boolean {
    return !this.closing && !this.socket.destroyed;
  }

  /** More than `maxQueueBytes` wait to be sent, and the peer has not read them all yet. */
  get backlogged(): boolean {
    return this.backlog !== undefined;
  }

  send(message: unknown): void {
    this.sendLine(encodeLine(message));
  }

  /** Sends lines already encoded, newlines included. */
  sendLine(lines: string): void {
    // Stryker disable next-line ConditionalExpression: a write to an ended or destroyed socket fails into its own error listener: nothing reaches the peer either way
    if (!this.isOpen) return;
    this.batch.write(lines);
    this.lastSent = Date.now();
    // What waits for this tick's end counts as sent: it will be in the socket's queue by then.
    const unsent = this.socket.writableLength + this.batch.pendingLength;
    if (!this.backlog && unsent > this.limits.maxQueueBytes) {
      this.backlog = { since: Date.now(), unsent };
      this.socket.pause();
    }
  }

  /** Writes what waits for this tick's end now: a long fan-out lets the first subscribers read while it goes on. */
  flushWrites(): void {
    this.batch.flush();
  }

  /**
   * Milliseconds since a backlogged peer last read anything (0 when not backlogged). Called
   * periodically: progress is seen as the unsent bytes shrinking.
   */
  stalledFor(now: number): number {
    if (!this.backlog) return 0;
    const unsent = this.socket.writableLength;
    // 'drain' comes only after a write was refused: a backlog under the socket's high-water mark
    // (a small maxQueueBytes) can empty without one.
    if (unsent === 0) {
      this.onDrain();
      return 0;
    }
    if (unsent < this.backlog.unsent) this.backlog = { since: now, unsent };
    return now - this.backlog.since;
  }

  /** Milliseconds the current line has been arriving without its newline (0 when none is). */
  partialLineAge(now: number): number {
    return this.partialSince === undefined || this.backlog ? 0 : now - this.partialSince;
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

  /** Sends an error line (`re: null`) and closes. */
  fail(code: ErrorCode, message: string): void {
    this.limits.meter?.refused(code);
    this.cutBecause ??= cutReason(code);
    this.close({ re: null, ok: false, error: { code, message } });
  }

  /** Sends a last message, if any, and closes once it is flushed. */
  close(last?: unknown): void {
    // Stryker disable next-line ConditionalExpression: a write to an ended or destroyed socket fails into its own error listener: nothing reaches the peer either way
    if (!this.isOpen) return;
    this.batch.flush();
    if (last !== undefined) this.socket.write(encodeLine(last));
    this.closing = true;
    // Stryker disable next-line ArrayDeclaration: nothing hands waiting lines over once closing (onData and onDrain return first)
    this.waiting = [];
    this.socket.end();
    // A peer that never reads would hold the socket half-open forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    // Stryker disable next-line BooleanLiteral: isOpen also asks socket.destroyed, true at once, and a destroyed socket brings no more data
    this.closing = true;
    this.socket.destroy();
  }

  private violate(code: Violation, message: string): void {
    if (this.closing) return;
    this.events.violation(code, message);
    this.fail(code, message);
  }

  private onData(chunk: Buffer): void {
    // Stryker disable next-line ConditionalExpression: lines read while closing are never handed over: the loop in handleWaiting stops on closing
    if (this.closing) return;
    const now = Date.now();
    this.lastHeard = now;
    let lines: Line[];
    try {
      lines = this.splitter.read(chunk);
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: the splitter throws nothing else
      if (!(error instanceof LineTooLongError)) throw error;
      this.violate(ErrorCode.lineTooLong, `line longer than ${error.limit} bytes`);
      return;
    }
    // A line's deadline runs from its first byte to its newline.
    if (!this.splitter.hasPartialLine) this.partialSince = undefined;
    else if (lines.length > 0 || this.partialSince === undefined) this.partialSince = now;
    for (const line of lines) this.waiting.push(line);
    this.handleWaiting();
  }

  private handleWaiting(): void {
    let handled = 0;
    while (handled < this.waiting.length && !this.closing && !this.backlog) this.events.line(this.waiting[handled++]!);
    // Stryker disable next-line ConditionalExpression: slicing past every handled line gives the empty list too
    this.waiting = handled === this.waiting.length ? [] : this.waiting.slice(handled);
  }

  private onDrain(): void {
    if (!this.backlog || this.closing) return;
    this.backlog = undefined;
    // We stopped reading it, so its silence meanwhile was ours.
    const now = Date.now();
    this.lastHeard = now;
    if (this.partialSince !== undefined) this.partialSince = now;
    this.events.drained();
    this.handleWaiting();
    if (!this.backlog) this.socket.resume();
  }
}
