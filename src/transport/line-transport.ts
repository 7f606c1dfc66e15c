// One line-framed stream: newline framing with a byte limit, writes made in one tick joined into
// one, and the times a line was last heard and last sent. It knows nothing of sessions or of what
// lines mean, so disco's server and its client can both stand on it.

import type { Duplex } from 'node:stream';
import { encodeLine, type Line, LineSplitter, LineTooLongError } from '../protocol/framing.ts';
import { TickBatch } from './tick-batch.ts';

export interface LineTransportOptions {
  /** The longest line accepted from the peer. */
  readonly maxLineBytes: number;
  /** How long `close` waits for the peer to take the last bytes before destroying the stream. */
  readonly lingerMs?: number;
  readonly now?: () => number;
}

export interface LineTransportEvents {
  line(line: Line): void;
  /** The peer sent a line over the limit; no more lines are read. The owner may still send, then close. */
  tooLong(error: LineTooLongError): void;
  /** Once, when the stream is gone; `error` is why, if it failed. */
  closed(error: Error | undefined): void;
}

export class LineTransport {
  lastHeard: number;
  lastSent: number;
  private readonly splitter: LineSplitter;
  private readonly now: () => number;
  private readonly batch: TickBatch;
  private closing = false;
  /** Off after a line over the limit: what follows it cannot be framed. */
  private reading = true;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Duplex,
    private readonly options: LineTransportOptions,
    private readonly events: LineTransportEvents,
  ) {
    this.now = options.now ?? Date.now;
    this.lastHeard = this.lastSent = this.now();
    this.splitter = new LineSplitter(options.maxLineBytes);
    this.batch = new TickBatch(stream);
    // Small request/reply lines must not wait for Nagle; only sockets have the knob.
    if ('setNoDelay' in stream && typeof stream.setNoDelay === 'function') stream.setNoDelay(true);
    stream.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('error', (error: Error) => (this.failure ??= error));
    stream.on('close', () => events.closed(this.failure));
  }

  get isOpen(): boolean {
    return !this.closing && !this.stream.destroyed;
  }

  /** Bytes written but not yet taken by the peer (with what waits for this tick's end). */
  get queuedBytes(): number {
    return this.stream.writableLength + this.batch.pendingLength;
  }

  send(message: unknown): void {
    this.sendLine(encodeLine(message));
  }

  /** Sends a line already encoded, newline included. Lines sent in one tick leave in one write. */
  sendLine(line: string): void {
    if (!this.isOpen) return;
    this.batch.write(line);
    this.lastSent = this.now();
  }

  /** Sends a last line, if any, ends the stream, and destroys it if the peer does not take it in time. */
  close(lastLine?: string): void {
    if (!this.isOpen) return;
    this.batch.flush();
    if (lastLine !== undefined) this.stream.write(lastLine);
    this.closing = true;
    this.stream.end();
    setTimeout(() => this.stream.destroy(), this.options.lingerMs ?? 1000).unref();
  }

  destroy(error?: Error): void {
    this.closing = true;
    if (error) this.failure ??= error;
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing || !this.reading) return;
    this.lastHeard = this.now();
    let lines: Line[];
    try {
      lines = this.splitter.read(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.reading = false;
      this.events.tooLong(error);
      return;
    }
    for (const line of lines) {
      if (this.closing) return; // The owner closed on an earlier line.
      this.events.line(line);
    }
  }
}
