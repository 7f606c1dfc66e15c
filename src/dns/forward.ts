// Names outside every zone go to upstream resolvers, relayed as they are: the upstream sees the
// client's own query (its EDNS size included) and its reply goes back untouched, but for the id.
// What forwarding may cost is bounded: at most `maxInFlight` queries wait on upstreams at once
// (past that the caller answers SERVFAIL at once), and over UDP they share a small pool of sockets,
// each query under an id of ours, so a reply is matched by that id AND its question.

import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import type { HostPort } from '../address.ts';

/** UDP sockets per address family: each has its own random source port. */
export const POOL_SOCKETS = 8;

export interface ForwarderOptions {
  timeoutMs: number;
  /** Queries waiting on upstreams at once, by UDP and TCP together. */
  maxInFlight: number;
}

interface Waiting {
  readonly question: string | undefined;
  readonly clientId: number;
  readonly done: (reply: Buffer | undefined) => void;
}

export class Forwarder {
  /** Connected sockets by recursor (`host port`): an ICMP refusal then fails its queries at once. */
  private readonly pools = new Map<string, UdpSocket[]>();
  /** Each socket's connect: a connected socket sends nothing before it is done. */
  private readonly connected = new Map<UdpSocket, Promise<void>>();
  /** By socket, then by the id of ours each query went under. */
  private readonly waiting = new Map<UdpSocket, Map<number, Waiting>>();
  private next = 0;
  private inFlightCount = 0;
  private tcpSockets = 0;
  private closed = false;
  /** Queries forwarded, and those no recursor answered (or that found the forwards at their cap): read by the metrics. */
  readonly stats = { forwarded: 0, unanswered: 0 };

  constructor(
    private readonly recursors: readonly HostPort[],
    private readonly options: ForwarderOptions,
  ) {}

  /** Queries waiting on upstreams now, and the sockets open for them. */
  get load(): { inFlight: number; sockets: number } {
    return { inFlight: this.inFlightCount, sockets: this.tcpSockets + this.waiting.size };
  }

  /**
   * The first upstream reply to `message`, trying each recursor in turn; undefined when none
   * answered in time. Undefined at once, instead of a promise, when `maxInFlight` are waiting.
   */
  forward(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> | undefined {
    if (this.inFlightCount >= this.options.maxInFlight || this.closed) {
      this.stats.unanswered++;
      return undefined;
    }
    this.inFlightCount++;
    this.stats.forwarded++;
    return (async () => {
      for (const recursor of this.recursors) {
        const ask = transport === 'udp' ? this.viaUdp(message, recursor) : this.viaTcp(message, recursor);
        const reply = await ask.catch(() => undefined);
        if (reply) return reply;
      }
      this.stats.unanswered++;
      return undefined;
    })().finally(() => this.inFlightCount--);
  }

  close(): void {
    this.closed = true;
    for (const socket of [...this.waiting.keys()]) this.drop(socket);
  }

  private viaUdp(message: Buffer, recursor: HostPort): Promise<Buffer | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const socket = this.socketFor(recursor);
    const waiting = this.waiting.get(socket)!;
    // An id of ours, unguessable and not in use on this socket: the client's ids may collide.
    let id = randomInt(65536);
    while (waiting.has(id)) id = randomInt(65536);
    const query = Buffer.from(message);
    query.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.options.timeoutMs);
      const done = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(reply);
      };
      waiting.set(id, { question: questionOf(message), clientId: message.readUInt16BE(0), done });
      // Sent once connected: a connected socket refuses to send before.
      void this.connected.get(socket)!.then(() => {
        try {
          socket.send(query, (error) => error && done(undefined));
        } catch {
          done(undefined);
        }
      });
    });
  }

  private socketFor(recursor: HostPort): UdpSocket {
    const where = `${recursor.host} ${recursor.port}`;
    let pool = this.pools.get(where);
    if (!pool) this.pools.set(where, (pool = []));
    if (pool.length >= POOL_SOCKETS) return pool[this.next++ % pool.length]!;
    const socket = createSocket(isIPv6(recursor.host) ? 'udp6' : 'udp4');
    const waiting = new Map<number, Waiting>();
    this.waiting.set(socket, waiting);
    // Connected: only the recursor's datagrams arrive, and a refusal (nothing listens) is an error.
    socket.on('error', () => this.drop(socket));
    socket.on('message', (reply) => received(waiting, reply));
    this.connected.set(socket, new Promise((resolve) => socket.connect(recursor.port, recursor.host, resolve)));
    pool.push(socket);
    return socket;
  }

  /** Fails what waits on a socket, and lets it go: the next query opens another. */
  private drop(socket: UdpSocket): void {
    const waiting = this.waiting.get(socket);
    if (!waiting) return;
    this.waiting.delete(socket);
    this.connected.delete(socket);
    for (const pool of this.pools.values()) if (pool.includes(socket)) pool.splice(pool.indexOf(socket), 1);
    for (const each of [...waiting.values()]) each.done(undefined);
    socket.close();
  }

  private viaTcp(message: Buffer, recursor: HostPort): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: recursor.host, port: recursor.port });
      this.tcpSockets++;
      let received = Buffer.alloc(0);
      let settled = false;
      const done = (reply: Buffer | undefined) => {
        if (settled) return;
        settled = true;
        this.tcpSockets--;
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      };
      const timer = setTimeout(() => done(undefined), this.options.timeoutMs);
      socket.on('error', () => done(undefined));
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(message.length);
        socket.write(Buffer.concat([length, message]));
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        // A reply that answers another query is no answer to this one: skip it, keep reading.
        // Stryker disable next-line EqualityOperator: differs only when exactly two bytes announce an empty frame, which gets no reply either way
        while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
          const reply = received.subarray(2, 2 + received.readUInt16BE(0));
          received = received.subarray(2 + reply.length);
          if (answers(message, reply)) return done(reply);
        }
      });
      socket.on('end', () => done(undefined));
    });
  }
}

/**
 * A reply to the query that went under its id, if it is a response with that query's question; a
 * reply without a question (a bare header, as some servers send with an error) is matched by id.
 */
function received(waiting: Map<number, Waiting>, reply: Buffer): void {
  if (reply.length < 12 || (reply[2]! & 0x80) === 0) return;
  const found = waiting.get(reply.readUInt16BE(0));
  if (!found || !sameQuestion(found.question, reply)) return;
  const relayed = Buffer.from(reply);
  relayed.writeUInt16BE(found.clientId, 0);
  found.done(relayed);
}

function sameQuestion(question: string | undefined, reply: Buffer): boolean {
  return reply.readUInt16BE(4) === 0 || questionOf(reply) === question;
}

/** A reply answers a query when it is a response with the query's id and question. */
function answers(query: Buffer, reply: Buffer): boolean {
  return (
    reply.length >= 12 &&
    (reply[2]! & 0x80) !== 0 &&
    reply.readUInt16BE(0) === query.readUInt16BE(0) &&
    sameQuestion(questionOf(query), reply)
  );
}

/**
 * The first question of a message, as a key: its name in wire form (lower-case, as case may vary
 * on the way back) with its type and class. Undefined for a message without one, or with a
 * compressed or overlong name.
 */
export function questionOf(message: Buffer): string | undefined {
  if (message.length < 12 || message.readUInt16BE(4) < 1) return undefined;
  let at = 12;
  for (;;) {
    const length = message[at];
    if (length === undefined || length > 63 || at - 12 > 255) return undefined;
    at += 1 + length;
    if (length === 0) break;
  }
  if (at + 4 > message.length) return undefined;
  return message.toString('latin1', 12, at + 4).toLowerCase();
}
