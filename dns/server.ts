// The DNS front end of disco: UDP and TCP sockets over the live registry. Every packet passes the
// query guard first; answers inside our zones come from a cache of encoded replies that is
// checked against the registry version on every hit, so a change shows in the very next answer;
// other names are forwarded or refused.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { consola, type ConsolaInstance } from 'consola';
import type { HostPort } from '../src/address.ts';
import type { Provision } from '../src/registry/types.ts';
import { answer } from './answer.ts';
import { encodeAnswer, type EncodeOptions } from './encode.ts';
import { forward } from './forward.ts';
import { BADVERS, echoReply, errorReply, parseQuery, RCODE, Rejection, type Query } from './query.ts';
import { buildZoneView, namesTouchedBy, type ZoneView } from './view.ts';
import { findZone, makeZone, type Zone, type ZoneConfig } from './zones.ts';

/** What DNS needs of the registry: read-only, so DNS can never change it. */
export interface RegistryReader {
  readonly version: number;
  list(): Provision[];
  addListener(listener: (kind: 'add' | 'drop', provision: Provision) => void): void;
}

export interface DnsServerOptions {
  host: string;
  port: number;
  zones: ZoneConfig[];
  /** Seconds; see docs/dns.md for why the default is short. */
  ttl: number;
  recursors: HostPort[];
  forwardTimeoutMs: number;
  /** The most we send over UDP, whatever larger size a client advertises. */
  maxUdpPayload: number;
  cacheEntries: number;
  tcpIdleMs: number;
  logger: ConsolaInstance;
}

export const defaultDnsOptions: DnsServerOptions = {
  host: '127.0.0.1',
  port: 8600,
  zones: [{ name: 'disco' }],
  ttl: 5,
  recursors: [],
  forwardTimeoutMs: 2000,
  maxUdpPayload: 1232, // The DNS Flag Day 2020 size: no IP fragmentation on common paths.
  cacheEntries: 50_000,
  tcpIdleMs: 10_000,
  logger: consola.withTag('dns'),
};

const CLASS_IN = 1;
const CLASS_ANY = 255;
const MIN_UDP = 512;

interface Cached {
  /** The change count when it was encoded: it stays good until its name is touched after that. */
  readonly stamp: number;
  readonly reply: Buffer;
}

/** Names touched in one zone, each with the change count that last touched it. */
const MAX_STAMPS = 200_000;

export class DnsServer {
  readonly options: DnsServerOptions;
  private readonly zones: Zone[];
  private readonly views = new Map<Zone, ZoneView & { version: number }>();
  private readonly cache = new Map<string, Cached>();
  private readonly stamps = new Map<Zone, Map<string, number>>();
  private changes = 0;
  private readonly serial = Math.floor(Date.now() / 1000);
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly registry: RegistryReader,
    options: Partial<DnsServerOptions> = {},
  ) {
    this.options = { ...defaultDnsOptions, ...options };
    this.zones = this.options.zones.map(makeZone);
    for (const zone of this.zones) this.stamps.set(zone, new Map());
    registry.addListener((_, provision) => this.touch(provision));
  }

  /**
   * A change invalidates only the answers at the names it touches, so a registry that changes
   * often does not turn every cached answer into a fresh encoding.
   */
  private touch(provision: Provision): void {
    const stamp = ++this.changes;
    const touched = namesTouchedBy(provision);
    for (const zone of this.zones) {
      if (!zone.matches(provision.attributes)) continue;
      const stamps = this.stamps.get(zone)!;
      if (stamps.size > MAX_STAMPS) {
        // Forgetting stamps would revive stale answers: forget the answers with them.
        stamps.clear();
        this.cache.clear();
      }
      for (const name of touched) stamps.set(name, stamp);
    }
  }

  /**
   * UDP and TCP on one port, as resolvers expect. With port 0 the kernel picks a port free for
   * UDP, which TCP may not have free: then both let go and another port is tried.
   */
  async listen(): Promise<{ udp: AddressInfo; tcp: AddressInfo }> {
    const attempts = this.options.port === 0 ? 10 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bind();
      } catch (error) {
        this.udp?.close();
        this.udp = undefined;
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= attempts) throw error;
      }
    }
  }

  private async bind(): Promise<{ udp: AddressInfo; tcp: AddressInfo }> {
    const { host, port } = this.options;
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.udp = udp;
    udp.on('message', (message, from) => {
      this.handle(message, 'udp', (reply) => {
        // A forwarded answer may come back after close(): there is no one left to send it to.
        try {
          udp.send(reply, from.port, from.address);
        } catch {}
      });
    });
    udp.on('error', (error) => this.options.logger.warn(`udp: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const udpAddress = udp.address();
    const tcp = createServer((socket) => this.acceptTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(udpAddress.port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
    return { udp: udpAddress, tcp: tcp.address() as AddressInfo };
  }

  async close(): Promise<void> {
    this.udp?.close();
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  /** Answers one message; `reply` is not called for packets that deserve no answer. */
  handle(message: Buffer, transport: 'udp' | 'tcp', reply: (message: Buffer) => void): void {
    try {
      const query = parseQuery(message);
      if (query instanceof Rejection) {
        if (query.rcode !== undefined) reply(errorReply(message, query.rcode));
        return;
      }
      this.answerQuery(message, query, transport, reply);
    } catch (error) {
      // A bug must cost one answer, not the server.
      this.options.logger.error(error);
      if (message.length >= 12) reply(errorReply(message, RCODE.servFail));
    }
  }

  private answerQuery(message: Buffer, query: Query, transport: 'udp' | 'tcp', reply: (message: Buffer) => void): void {
    const limit = transport === 'tcp' ? 65535 : Math.min(Math.max(query.edns?.udpSize ?? MIN_UDP, MIN_UDP), this.options.maxUdpPayload);
    const recursionAvailable = this.options.recursors.length > 0;
    const found = findZone(this.zones, query.labels);
    if (!found) {
      this.forward(message, query, transport, reply);
      return;
    }
    const encodeOptions: EncodeOptions = { authoritative: true, recursionAvailable, ednsPayloadSize: this.options.maxUdpPayload };
    if (query.edns && query.edns.version > 0) {
      reply(encodeAnswer(query, { rcode: BADVERS, answers: [], authorities: [], additionals: [] }, { ...encodeOptions, authoritative: false }, limit));
      return;
    }
    if (query.class !== CLASS_IN && query.class !== CLASS_ANY) {
      reply(echoReply(message, query, RCODE.refused, false, recursionAvailable));
      return;
    }
    if (!query.plain) {
      // No name of ours has such labels; encoding them back through dns2 could alter them.
      reply(echoReply(message, query, RCODE.nxDomain, true, recursionAvailable));
      return;
    }

    const key = `${query.wireName}\u0000${query.type}\u0000${query.class}\u0000${query.edns ? 1 : 0}\u0000${limit}`;
    let cached = this.cache.get(key);
    const touched = this.stamps.get(found.zone)!.get(found.relative.join('.')) ?? 0;
    if (!cached || touched > cached.stamp) {
      const view = this.viewOf(found.zone, this.registry.version);
      const result = answer({ view, relative: found.relative, type: query.type, ttl: this.options.ttl, serial: this.serial });
      cached = { stamp: this.changes, reply: encodeAnswer(query, result, encodeOptions, limit) };
      if (this.cache.size >= this.options.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, cached);
    }
    reply(personalize(cached.reply, message, query));
  }

  private viewOf(zone: Zone, version: number): ZoneView {
    const known = this.views.get(zone);
    if (known && known.version === version) return known;
    const nameServerAddresses = this.options.host === '0.0.0.0' || this.options.host === '::' ? [] : [this.options.host];
    const view = { ...buildZoneView(zone, this.registry.list(), { nameServerAddresses }), version };
    this.views.set(zone, view);
    return view;
  }

  private forward(message: Buffer, query: Query, transport: 'udp' | 'tcp', reply: (message: Buffer) => void): void {
    const { recursors, forwardTimeoutMs } = this.options;
    if (recursors.length === 0) {
      reply(echoReply(message, query, RCODE.refused, false, false));
      return;
    }
    void forward(message, recursors, transport, forwardTimeoutMs).then((upstream) => {
      reply(upstream ?? echoReply(message, query, RCODE.servFail, false, true));
    });
  }

  private acceptTcp(socket: Socket): void {
    this.connections.add(socket);
    socket.setTimeout(this.options.tcpIdleMs, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => {});
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      // RFC 7766: length-prefixed messages, several per connection, answered in any order.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        this.handle(message, 'tcp', (reply) => {
          if (socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([prefix, reply]));
        });
      }
    });
  }
}

/** A cached reply made this query's own: its id, its RD bit, its question in the case it was asked. */
function personalize(cached: Buffer, message: Buffer, query: Query): Buffer {
  const reply = Buffer.from(cached);
  reply.writeUInt16BE(query.id, 0);
  reply[2] = (reply[2]! & 0xfe) | (query.recursionDesired ? 1 : 0);
  message.copy(reply, query.questionStart, query.questionStart, query.questionEnd);
  return reply;
}
