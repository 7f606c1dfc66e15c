// The DNS front end of disco: UDP and TCP sockets over the live registry. Every packet passes the
// query guard first; answers inside our zones come from a cache of encoded replies that a change
// invalidates at the names it touches, so a change shows in the very next answer; other names
// are forwarded or refused.

import type { Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo, Server as TcpServer } from 'node:net';
import { type ConsolaInstance, consola } from 'consola';
import type { HostPort } from '../address.ts';
import { type Cidr, CidrSet } from '../cidr.ts';
import { matchAll } from '../registry/filter.ts';
import type { RegistryReader } from '../registry/reader.ts';
import type { Provision } from '../registry/types.ts';
import { answer, negativeSoaRecord } from './answer.ts';
import { Burials } from './burials.ts';
import { ReplyCache } from './cache.ts';
import { BADVERS, CLASS, MAX_TCP_MESSAGE, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD, RCODE, TYPE } from './constants.ts';
import { type DnsCounts, VIEW, type ViewIndex } from './counts.ts';
import { DNS_DEFAULTS } from './defaults.ts';
import { type EncodeOptions, encodeAnswer } from './encode.ts';
import { Forwarder } from './forward.ts';
import { namesTouchedBy } from './owners.ts';
import { type Peer, sourceOf } from './peer.ts';
import { AskerPlaces, type PlaceRule } from './places.ts';
import { parseQuery, type Query, Rejection } from './query.ts';
import { bareReply, echoReply, encodeSoa, errorReply, personalize } from './reply.ts';
import { openDnsSockets, type PassedDnsSockets } from './sockets.ts';
import { DnsTcp, sendFramed } from './tcp.ts';
import { replyVariant } from './variant.ts';
import type { ZoneView } from './view.ts';
import { RegistryViews } from './views.ts';
import { dnsName, findZone, makeZone, wireName, type Zone, type ZoneConfig } from './zones.ts';

export interface DnsServerOptions {
  host: string;
  port: number;
  zones: ZoneConfig[];
  /** Seconds; see docs/dns.md for why the default is short. */
  ttl: number;
  /** Seconds a resolver may cache NXDOMAIN and NODATA (the SOA minimum), at most `ttl`. */
  negativeTtl: number;
  /** Milliseconds a name keeps answering NODATA, not NXDOMAIN, after its last record went; 0 for never. */
  tombstoneMs: number;
  /** Milliseconds on a clock that only goes forward; tests bring their own. */
  clock: () => number;
  recursors: HostPort[];
  /**
   * The networks whose queries for names outside the zones are forwarded to `recursors`; others
   * get REFUSED for them (answers inside the zones go to everyone). docs/dns.md says why the
   * default is loopback and the private networks.
   */
  recursionAllow: readonly Cidr[];
  forwardTimeoutMs: number;
  /** Forwarded queries waiting on the recursors at once; past it a query gets SERVFAIL at once. */
  maxForwards: number;
  /** The most we send over UDP, whatever larger size a client advertises. */
  maxUdpPayload: number;
  cacheEntries: number;
  tcpIdleMs: number;
  /** Open TCP connections, in total and from one source address; more are closed at once. */
  tcpMaxConnections: number;
  tcpMaxConnectionsPerSource: number;
  logger: ConsolaInstance;
  /**
   * Split horizon: queries from addresses that `serves` accepts are answered from `registry` instead
   * (the host's DNS: its own containers' endpoints at their container addresses, docs/dns.md).
   */
  localView?: { registry: RegistryReader; serves(address: string): boolean };
  /** Provisions added to the zone views in one turn of the event loop while they are built (views.ts). */
  viewSlice: number;
  /** Questions waiting for the zone views to be built; past it a question gets SERVFAIL at once. */
  maxWaiting: number;
  /** Counts every query by type, rcode and view, for the metrics; nothing is counted when absent. */
  counts?: DnsCounts;
  /**
   * Sockets bound already, by a supervisor that holds them across restarts (src/agent/passed-sockets.ts):
   * served instead of binding `host` and `port`.
   */
  passed?: PassedDnsSockets;
  /** Where askers are, by source network (places.ts): SRV priorities put each asker's nearest endpoints first. */
  places?: readonly PlaceRule[];
}

export { DEFAULT_RECURSION_ALLOW } from './defaults.ts';

export const defaultDnsOptions: DnsServerOptions = {
  ...DNS_DEFAULTS,
  zones: [...DNS_DEFAULTS.zones],
  clock: () => performance.now(),
  recursors: [],
  forwardTimeoutMs: 2000,
  maxForwards: 1000,
  maxUdpPayload: MAX_UDP_PAYLOAD,
  cacheEntries: DNS_DEFAULTS.cacheEntries,
  viewSlice: 250,
  maxWaiting: 1000,
  tcpIdleMs: 10_000,
  tcpMaxConnections: DNS_DEFAULTS.tcpMaxConnections,
  tcpMaxConnectionsPerSource: DNS_DEFAULTS.tcpMaxConnectionsPerSource,
  logger: consola.withTag('dns'),
};

export class DnsServer {
  readonly options: DnsServerOptions;
  readonly cache: ReplyCache;
  private readonly zones: Zone[];
  private readonly views = new Map<RegistryReader, RegistryViews>();
  /** Each zone's SOA serial: start time in seconds, plus one for every change the zone shows. */
  private readonly serials = new Map<Zone, number>();
  /** Each zone's names that lost their last record a moment ago (docs/dns.md, "Restarts"). */
  private readonly burials: Burials;
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  private readonly tcpConnections: DnsTcp;
  /** Its `stats` are read by the metrics. */
  readonly forwarder: Forwarder;
  private readonly recursionAllowed: CidrSet;
  private readonly places: AskerPlaces;
  /** Questions waiting for a view to be built. */
  private waiting = 0;
  private closed = false;
  /** The view the question being answered went to, for the counts. */
  private answering: ViewIndex = VIEW.outside;

  constructor(
    private readonly registry: RegistryReader,
    options: Partial<DnsServerOptions> = {},
  ) {
    this.options = { ...defaultDnsOptions, ...options };
    this.zones = this.options.zones.map(makeZone);
    this.cache = new ReplyCache({ capacity: this.options.cacheEntries });
    this.recursionAllowed = new CidrSet(this.options.recursionAllow);
    this.places = new AskerPlaces(this.options.places ?? []);
    const { recursors, forwardTimeoutMs: timeoutMs, maxForwards: maxInFlight } = this.options;
    this.forwarder = new Forwarder(recursors, { timeoutMs, maxInFlight });
    const { tcpMaxConnections: maxConnections, tcpMaxConnectionsPerSource: maxConnectionsPerSource, tcpIdleMs: idleMs } = this.options;
    this.tcpConnections = new DnsTcp(
      { maxConnections, maxConnectionsPerSource, idleMs },
      (message, tcp) => this.respond(message, { tcp }),
      this.options.logger,
    );
    const start = Math.floor(Date.now() / 1000);
    for (const zone of this.zones) this.serials.set(zone, start);
    registry.addListener((_kind, provision) => this.touch(provision));
    this.options.localView?.registry.addListener((_kind, provision) => this.touch(provision));
    const nameServerAddresses = this.options.host === '0.0.0.0' || this.options.host === '::' ? [] : [this.options.host];
    this.burials = new Burials(this.zones, this.options.tombstoneMs, () => this.options.clock());
    const { gone, held } = this.burials;
    const slice = this.options.viewSlice;
    for (const reader of [registry, this.options.localView?.registry]) {
      if (reader) this.views.set(reader, new RegistryViews(reader, this.zones, { nameServerAddresses, gone, held, slice }));
    }
  }

  /** Settles once every zone view is whole: at once, unless the registry held many provisions when the server was made. */
  async ready(): Promise<void> {
    for (const views of this.views.values()) await views.built;
  }

  /** The SOA serial a zone shows now. */
  serialOf(zoneName: string): number | undefined {
    this.applyChanges();
    const zone = this.zones.find((each) => each.origin === dnsName(zoneName));
    if (zone) this.expireTombstones(zone, this.options.clock());
    return zone && this.serials.get(zone)! >>> 0;
  }

  /** Changes told by the registries and not yet applied to the serials and the cache: applied together, before anything reads them. */
  private pending: Provision[] = [];

  /** A change is queued; a burst of them (a session's goodbye drops all of its provisions at once) is applied once. */
  private touch(provision: Provision): void {
    // A microtask runs before any I/O callback, so no question is answered from before the change.
    if (this.pending.push(provision) === 1) queueMicrotask(() => this.applyChanges());
  }

  /**
   * A change invalidates only the answers at the names it touches, so a registry that changes
   * often does not turn every cached answer into a fresh encoding. Zones whose filter hides the
   * provision are untouched, their serial included. Names shared by a burst's changes (their
   * stack's, their environment's, `_services`) are invalidated once for the burst; a burst that
   * touches more names than the cache holds replies empties it instead, so its cost is bounded by
   * the cache, not by the burst (a mass goodbye touches hundreds of thousands of names).
   */
  private applyChanges(): void {
    const changes = this.pending;
    if (changes.length === 0) return;
    this.pending = [];
    // A zone without a filter shows every change: a burst of 100,000 need not be read again for it.
    const shownBy = this.zones.map((zone) =>
      zone.matches === matchAll ? changes : changes.filter((provision) => zone.matches(provision.attributes)),
    );
    this.zones.forEach((zone, at) => {
      if (shownBy[at]!.length > 0) this.serials.set(zone, (this.serials.get(zone)! + shownBy[at]!.length) >>> 0);
    });
    if (this.cache.size === 0) return;
    const stamped = new Set<string>();
    this.zones.forEach((zone, at) => {
      for (const provision of shownBy[at]!) {
        for (const name of namesTouchedBy(provision)) {
          stamped.add(wireName(name ? [...name.split('.'), ...zone.labels] : zone.labels));
        }
        if (stamped.size >= this.cache.size) return;
      }
    });
    if (stamped.size >= this.cache.size) this.cache.clear();
    else this.cache.touch(stamped);
  }

  /**
   * A name whose hold is over and that has not come back stops existing: NODATA turns NXDOMAIN, a
   * change the zone shows, so its serial moves, and with it every cached negative answer goes.
   */
  private expireTombstones(zone: Zone, now: number): void {
    // Stryker disable next-line ConditionalExpression: sweeping before anything expires moves nothing: the check only saves a view lookup per query
    if (now < this.burials.nextExpiry(zone)) return;
    const view = this.viewOf(zone, this.registry);
    if (this.burials.sweep(zone, now).some((name) => !view.names.has(name.owner)))
      this.serials.set(zone, (this.serials.get(zone)! + 1) >>> 0);
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
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= attempts) throw error;
      }
    }
  }

  private async bind(): Promise<{ udp: AddressInfo; tcp: AddressInfo }> {
    const { udp, tcp } = await openDnsSockets(this.options, {
      message: (message, from, udp) => {
        const reply = this.handle(message, { udp, to: from });
        if (reply) udp.send(reply, from.port, from.address);
      },
      connection: (socket) => this.tcpConnections.accept(socket),
      warn: (text) => this.options.logger.warn(text),
    });
    this.udp = udp;
    this.tcp = tcp;
    return { udp: udp.address(), tcp: tcp.address() as AddressInfo };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const views of this.views.values()) views.stop();
    this.udp?.close();
    this.tcpConnections.close();
    this.forwarder.close();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  /** Forwarded queries waiting on the recursors now, and the sockets open for them. */
  get forwardLoad(): { inFlight: number; sockets: number } {
    return this.forwarder.load;
  }

  /** TCP connections open now, and the bytes they hold (read and not answered, or answered and not sent). */
  get tcpLoad(): { connections: number; heldBytes: number } {
    return { connections: this.tcpConnections.connectionCount, heldBytes: this.tcpConnections.heldBytes };
  }

  /**
   * Answers one message: the reply, or undefined when there is none now. Forwarded queries are
   * answered later, straight to the peer; packets that deserve no answer get none at all.
   */
  handle(message: Buffer, peer: Peer): Buffer | undefined {
    const reply = this.respond(message, peer);
    if (!(reply instanceof Promise)) return reply;
    void reply.then((later) => {
      if ('tcp' in peer) return sendFramed(peer.tcp, later);
      // The answer may come back after close(): there is no one left to send it to.
      try {
        peer.udp.send(later, peer.to.port, peer.to.address);
      } catch {}
    });
    return undefined;
  }

  /** The reply to one message: now, later (forwarded), or none. */
  private respond(message: Buffer, peer: Peer): Buffer | Promise<Buffer> | undefined {
    this.applyChanges();
    try {
      const query = parseQuery(message);
      this.answering = VIEW.outside;
      const rejected = query instanceof Rejection;
      const reply = !rejected ? this.answerQuery(message, query, peer) : query.rcode === undefined ? undefined : errorReply(message, query);
      this.options.counts?.count(rejected ? query : query.type, reply, this.answering);
      return reply;
    } catch (error) {
      // A bug must cost one answer, not the server.
      this.options.logger.error(error);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: only a message the guard accepted can throw, and the guard accepts none under 17 bytes
      return message.length >= 12 ? bareReply(message, RCODE.servFail) : undefined;
    }
  }

  private answerQuery(message: Buffer, query: Query, peer: Peer): Buffer | Promise<Buffer> | undefined {
    const found = findZone(this.zones, query.labels);
    const recursionAvailable = this.options.recursors.length > 0 && this.recursionAllowed.has(sourceOf(peer));
    if (!found) return recursionAvailable ? this.forward(message, query, peer) : echoReply(message, query, RCODE.refused);
    if (query.edns && query.edns.version > 0) return echoReply(message, query, BADVERS, { recursionAvailable });
    if (query.class !== CLASS.IN && query.class !== CLASS.ANY) return echoReply(message, query, RCODE.refused, { recursionAvailable });
    const registry = this.registryFor(peer);
    this.answering = registry === this.registry ? VIEW.zone : VIEW.local;
    const views = this.views.get(registry)!;
    if (!views.ready) return this.later(views, message, query, peer);
    const now = this.options.clock();
    this.expireTombstones(found.zone, now);
    const serial = this.serials.get(found.zone)!;
    const { ttl, negativeTtl } = this.options;
    const limit =
      'tcp' in peer
        ? MAX_TCP_MESSAGE
        : Math.min(Math.max(query.edns?.udpSize ?? MIN_UDP_PAYLOAD, MIN_UDP_PAYLOAD), this.options.maxUdpPayload);
    if (!query.plain) {
      // No name of ours has such labels; writing them back from labels could alter them.
      const authority = encodeSoa(negativeSoaRecord(found.zone.origin, ttl, serial, negativeTtl));
      const options = { authoritative: true, recursionAvailable, authority };
      const reply = echoReply(message, query, RCODE.nxDomain, options);
      // Only a long zone name with a long question can outgrow 512 bytes: then TC, as for any answer.
      return reply.length <= limit
        ? reply
        : echoReply(message, query, RCODE.nxDomain, { ...options, authority: undefined, truncated: true });
    }

    const asker = this.places.of(sourceOf(peer));
    // One literal, not a spread of another: copying an object's properties cost a tenth of a query.
    const variant = replyVariant({
      class: query.class,
      type: query.type,
      edns: query.edns !== undefined,
      limit,
      local: registry !== this.registry,
      recursionAvailable,
      place: asker.index,
    });
    let cached = this.cache.get(query.wireName, variant, serial);
    if (!cached) {
      const view = this.viewOf(found.zone, registry);
      const recentlyGone = (name: string) => this.burials.holds(found.zone, this.views.values(), name, now);
      const { relative } = found;
      const result = answer({ view, relative, type: query.type, ttl, negativeTtl, serial, recentlyGone, asker: asker.place });
      const encodeOptions: EncodeOptions = { authoritative: true, recursionAvailable, ednsPayloadSize: this.options.maxUdpPayload };
      const fit = { overflow: 'tcp' in peer ? 'cap' : 'truncate', first: this.cache.rotation(query.wireName, variant) } as const;
      const encoded = encodeAnswer(query, result, encodeOptions, limit, fit);
      cached = encoded.reply;
      const showsSerial = result.authorities.length > 0 || query.type === TYPE.SOA;
      if (encoded.next !== undefined) this.cache.rotate(query.wireName, variant, encoded.next);
      else this.cache.set(query.wireName, variant, cached, showsSerial ? serial : undefined);
    }
    return personalize(cached, message, query);
  }

  /**
   * A question for a zone whose view is being built is answered once it is whole: never from part
   * of it. The wait is bounded: past `maxWaiting` such questions, SERVFAIL at once.
   */
  private later(views: RegistryViews, message: Buffer, query: Query, peer: Peer): Buffer | Promise<Buffer> {
    const servFail = () => echoReply(message, query, RCODE.servFail);
    if (this.waiting >= this.options.maxWaiting) return servFail();
    this.waiting++;
    return views.built.then(() => {
      this.waiting--;
      if (this.closed) return servFail();
      return this.respond(message, peer) ?? servFail();
    });
  }

  private registryFor(peer: Peer): RegistryReader {
    const { localView } = this.options;
    if (!localView) return this.registry;
    const address = sourceOf(peer);
    // Stryker disable next-line ConditionalExpression,StringLiteral: the address is '' only for a closed socket, which no view serves
    return address !== '' && localView.serves(address) ? localView.registry : this.registry;
  }

  private viewOf(zone: Zone, registry: RegistryReader): ZoneView {
    return this.views.get(registry)!.of(zone);
  }

  /** SERVFAIL at once when the forwards in flight are at their cap, or later when no recursor answers. */
  private forward(message: Buffer, query: Query, peer: Peer): Buffer | Promise<Buffer> {
    const servFail = () => echoReply(message, query, RCODE.servFail, { recursionAvailable: true });
    // Stryker disable next-line StringLiteral: forward asks over UDP only when told 'udp', and over TCP otherwise
    const upstream = this.forwarder.forward(message, 'tcp' in peer ? 'tcp' : 'udp');
    return upstream ? upstream.then((reply) => reply ?? servFail()) : servFail();
  }
}
