// DNS over TCP (RFC 7766): length-prefixed messages, several per connection, answered in any order.
// What one asker may cost is bounded: connections in total and from one address, queries waiting
// on an upstream per connection, and replies it has not read. A connection at either bound is not
// read from until it drains, so a client that sends and never reads holds a few hundred KiB, not
// all its answers (docs/production.md, "DNS over TCP").

import type { Socket } from 'node:net';
import type { ConsolaInstance } from 'consola';
import { ConnectionLimits } from '../server/connection-limits.ts';

export interface DnsTcpLimits {
  /** Open connections, in total and from one source address; more are closed at once. */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** Milliseconds a connection may stay silent before it is closed. */
  idleMs: number;
}

/** Queries of one connection waiting on an upstream; past it the connection is not read. */
export const MAX_IN_FLIGHT = 100;
/** Reply bytes a connection has not taken yet; past it the connection is not read. */
export const MAX_UNSENT_BYTES = 128 * 1024;

/** A reply now, one that comes later (a forwarded query), or none. */
export type Respond = (message: Buffer, socket: Socket) => Buffer | Promise<Buffer> | undefined;

interface Asker {
  readonly socket: Socket;
  /** Bytes read and not yet taken apart into messages: less than one message and one chunk. */
  buffered: Buffer;
  inFlight: number;
}

export class DnsTcp {
  private readonly askers = new Set<Asker>();
  private readonly limits: ConnectionLimits;

  constructor(
    private readonly options: DnsTcpLimits,
    private readonly respond: Respond,
    logger: ConsolaInstance,
  ) {
    this.limits = new ConnectionLimits(options, logger);
  }

  get connectionCount(): number {
    return this.askers.size;
  }

  /** What the connections hold now: bytes read and not yet answered, and replies not yet sent. */
  get heldBytes(): number {
    let bytes = 0;
    for (const asker of this.askers) bytes += asker.buffered.length + asker.socket.writableLength;
    return bytes;
  }

  accept(socket: Socket): void {
    // Stryker disable next-line StringLiteral: a socket just accepted has its address
    const source = socket.remoteAddress ?? '';
    socket.on('error', () => {});
    if (this.limits.refusal(source)) return void socket.destroy();
    this.limits.opened(source);
    const asker: Asker = { socket, buffered: Buffer.alloc(0), inFlight: 0 };
    this.askers.add(asker);
    socket.setTimeout(this.options.idleMs, () => socket.destroy());
    socket.on('close', () => {
      this.askers.delete(asker);
      this.limits.closed(source);
    });
    socket.on('data', (chunk: Buffer) => {
      asker.buffered = asker.buffered.length ? Buffer.concat([asker.buffered, chunk]) : chunk;
      this.pump(asker);
    });
    socket.on('drain', () => this.pump(asker));
  }

  close(): void {
    for (const asker of this.askers) asker.socket.destroy();
  }

  /** Answers the whole messages read, while the connection is under its bounds; reads on only then. */
  private pump(asker: Asker): void {
    const { socket } = asker;
    // Stryker disable next-line EqualityOperator: differs only when exactly two bytes announce an empty message, which gets no reply either way
    while (asker.buffered.length >= 2 && !socket.destroyed) {
      if (asker.inFlight >= MAX_IN_FLIGHT || socket.writableLength >= MAX_UNSENT_BYTES) return void socket.pause();
      const length = asker.buffered.readUInt16BE(0);
      if (asker.buffered.length < 2 + length) break;
      const message = asker.buffered.subarray(2, 2 + length);
      asker.buffered = asker.buffered.subarray(2 + length);
      const reply = this.respond(message, socket);
      if (reply instanceof Promise) {
        asker.inFlight++;
        void reply.then((later) => {
          asker.inFlight--;
          sendFramed(socket, later);
          this.pump(asker);
        });
      } else if (reply) sendFramed(socket, reply);
    }
    // A whole chunk keeps its buffer alive through a subarray: copy the remnant out of it.
    if (asker.buffered.length > 0 && asker.buffered.byteOffset > 0) asker.buffered = Buffer.from(asker.buffered);
    socket.resume();
  }
}

/** RFC 7766: over TCP, each message goes with its length in two bytes. */
export function sendFramed(socket: Socket, reply: Buffer): void {
  // Stryker disable next-line ConditionalExpression: a write to a destroyed socket fails into its own error listener, which every accepted one has
  if (socket.destroyed) return;
  const framed = Buffer.allocUnsafe(2 + reply.length);
  framed.writeUInt16BE(reply.length, 0);
  framed.set(reply, 2);
  socket.write(framed);
}
