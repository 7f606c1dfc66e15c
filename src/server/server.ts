// The disco server: TCP sessions over the registry. Sessions hold provisions and subscriptions;
// every registry change is fanned out to the subscriptions it concerns, as acknowledged pushes.

import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { Line } from '../protocol/framing.ts';
import type { Request } from '../protocol/messages.ts';
import type { RegistryReason } from '../reasons.ts';
import { Registry } from '../registry/registry.ts';
import type { Change } from '../registry/types.ts';
import type { Backend, OpenedSession, Outcome } from './backend.ts';
import { Connection } from './connection.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { EventFeed } from './event-feed.ts';
import { FanOut } from './fanout.ts';
import { InstancesRequests } from './instances-requests.ts';
import { answerOf, type LaterReply, type Reply, replyLater, type Settled } from './later-reply.ts';
import { Listing } from './listing.ts';
import { MemberRequests } from './member-requests.ts';
import { MemoryBackend } from './memory-backend.ts';
import { type DiscoServerOptions, defaultServerOptions } from './options.ts';
import { PlacementRequests } from './placement-requests.ts';
import { ProvisionCaps } from './provision-caps.ts';
import { noSession, parseRequest } from './request-line.ts';
import { EVERY_NAME, forbidden, helloScope, Scope, TokenTable } from './scopes.ts';
import { checkVersion, ownerOf, Session, welcome } from './session.ts';
import { type SweptPeer, sweepPeers, sweepPeriod } from './sweep.ts';
import { onTlsHandshake, refuse, TlsGate } from './tls-gate.ts';
import { Turns } from './turns.ts';

export { type DiscoServerOptions, defaultServerOptions } from './options.ts';
export type { ServerTls } from './tls-gate.ts';

type Peer = SweptPeer & { session: Session | undefined };

export class DiscoServer {
  readonly registry: Registry;
  readonly options: DiscoServerOptions;
  readonly members: MemberRequests;
  readonly placements: PlacementRequests;
  readonly instances: InstancesRequests;
  /** What happens, for `scs events`: its ring, and the connections that follow it. */
  readonly events: EventFeed;
  private readonly sessions = new Map<string, Session>();
  private readonly peers = new Set<Peer>();
  private readonly limits: ConnectionLimits;
  private readonly provisionCaps: ProvisionCaps;
  private readonly fanOut: FanOut;
  private readonly listing: Listing;
  private readonly server: Server;
  private readonly tlsGate: TlsGate | undefined;
  private readonly tokens: TokenTable | undefined;
  private readonly anonymous: Scope | undefined;
  private readonly backend: Backend;
  private readonly ends = new Turns();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private afterReply: Change[] = [];

  constructor(options: Partial<DiscoServerOptions> = {}, registry = new Registry()) {
    this.options = { ...defaultServerOptions, ...options };
    this.registry = registry;
    const { maxUnacked, maxQueueBytes: maxUnackedBytes, logger, meter } = this.options;
    this.fanOut = new FanOut(registry, { maxUnacked, maxUnackedBytes, logger, meter });
    this.listing = new Listing(registry);
    this.limits = new ConnectionLimits(this.options, this.options.logger);
    this.provisionCaps = new ProvisionCaps(this.options);
    this.tokens = this.options.tokens && new TokenTable(this.options.tokens);
    this.anonymous = this.options.anonymous && Scope.of(this.options.anonymous);
    this.backend = this.options.backend ?? new MemoryBackend();
    this.members = new MemberRequests(this.backend, { members: this.options.maxMembers, bytes: this.options.maxMemberBytes });
    this.events = new EventFeed(this.backend.serverId ?? randomBytes(6).toString('base64url'), this.options.logger);
    registry.addListener(this.events.provisionChanged);
    this.members.book.listen((event) => this.events.memberChanged(event));
    this.placements = new PlacementRequests(this.backend, this.options.logger, this.events.placementChanged);
    this.instances = new InstancesRequests(this.backend, this.options.logger, this.events.instancesChanged);
    this.server = createServer((socket) => this.accept(socket));
    if (this.options.tls) this.tlsGate = new TlsGate(this.options.tls, this.options, (socket) => this.admit(socket));
  }

  async listen(): Promise<AddressInfo> {
    await this.backend.start(this.registry, {
      changes: (changes) => this.fanOut.publish(changes),
      sessionGone: (id, reason) => this.sessionGone(id, reason),
      presence: (server, joined) => this.events.serverSeen(server, joined),
      members: this.members.book,
      placements: this.placements.book,
      instances: this.instances.book,
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        // Stryker disable next-line StringLiteral: the listener would stay and swallow a later error of the listening socket (EMFILE), which no test can provoke
        this.server.off('error', reject);
        resolve();
      });
    });
    this.sweepTimer = setInterval(() => sweepPeers(this.peers, this.options), sweepPeriod(this.options));
    this.sweepTimer.unref();
    return this.address();
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get connectionCount(): number {
    return this.peers.size;
  }

  /** `changed` pushes sent and not yet acknowledged, over every session: how far behind the readers are. */
  get unackedPushes(): number {
    return [...this.sessions.values()].reduce((sum, session) => sum + session.unackedCount, 0);
  }

  openSockets(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  }

  /** Tells every client that the server is going away, then closes. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.closed) return;
    // Synchronous up to server.close(), so no connection is accepted once `closed` is set.
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.ends.flush();
    this.backend.stop();
    for (const session of this.sessions.values()) clearTimeout(session.graceTimer);
    this.events.record({ kind: 'server-left', name: this.events.server, reason: 'server-shutdown', detail: reason });
    this.events.flush();
    for (const peer of this.peers) peer.connection.close({ op: 'shutdown', reason });
    this.tlsGate?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    // Stryker disable next-line StringLiteral: a socket just accepted has its address
    const source = socket.remoteAddress ?? '';
    const refusal = this.limits.refusal(source);
    if (refusal) {
      // Over TLS a refusal could be read only after a handshake: closed at once (docs/production.md).
      this.options.meter?.refused(ErrorCode.tooManyConnections);
      if (this.tlsGate) socket.destroy();
      else refuse(socket, ErrorCode.tooManyConnections, refusal);
      return;
    }
    // Counted from accept, not from admission: a socket in its TLS handshake holds as much as one admitted.
    this.limits.opened(source);
    socket.once('close', () => this.limits.closed(source));
    if (this.tlsGate) return void this.tlsGate.take(socket);
    const connection = this.admit(socket);
    // A TLS client at a plain listener: its handshake is no line, and it could not read our error.
    onTlsHandshake(socket, () => {
      this.options.logger.debug(`closing ${connection.remote}: it began a TLS handshake, and this listener is plain TCP`);
      connection.destroy();
    });
  }

  private admit(socket: Socket): Connection {
    let peer: Peer;
    const connection = new Connection(socket, this.options, {
      line: (line) => this.onLine(peer, line),
      violation: (_code, message) => this.options.logger.warn(`closing ${connection.remote}: ${message}`),
      drained: () => {
        if (peer.session) this.fanOut.flush(peer.session);
      },
      closed: () => this.onClosed(peer),
    });
    peer = { connection, session: undefined };
    this.peers.add(peer);
    return connection;
  }

  private onClosed(peer: Peer): void {
    this.peers.delete(peer);
    this.events.unfollow(peer.connection);
    this.placements.unwatch(peer.connection);
    this.instances.unwatch(peer.connection);
    const session = peer.session;
    if (!session || session.ended || session.connection !== peer.connection) return;
    session.connection = undefined;
    if (this.closed) return;
    this.backend.detached(session.id);
    this.startGrace(session, peer.connection.cutBecause ?? 'lost-socket');
  }

  /** `lost` says why its connection went: the reason its endpoints are dropped for if it is not resumed. */
  private startGrace(session: Session, lost: RegistryReason): void {
    const { grace } = this.options;
    this.options.logger.debug(`session ${session.id} lost its connection (${lost}); grace ${grace} ms`);
    session.graceTimer = setTimeout(() => this.endSession(session, lost, ` (the grace of ${grace} ms ran out)`), grace);
    session.graceTimer.unref();
  }

  private onLine(peer: Peer, line: Line): void {
    if (typeof line === 'string' && line.trim() === '') return; // Lets a person at `nc` press enter freely.
    let id: number | null = null;
    try {
      const parsed = parseRequest(line, peer.session !== undefined);
      id = parsed.id;
      if (parsed.request instanceof ProtocolError) throw parsed.request;
      const reply = this.handle(peer, parsed.request);
      if (reply instanceof Promise) return void replyLater(peer.connection, id, reply, this.fanOut, this.options);
      if (typeof reply === 'string') peer.connection.sendLine(reply);
      else if (reply !== undefined && id !== null) peer.connection.send({ re: id, ok: true, ...reply });
    } catch (thrown) {
      // Anything but a ProtocolError is our bug: logged, and the peer hears only that its request failed.
      if (!(thrown instanceof ProtocolError)) this.options.logger.error(thrown);
      const { code, message } =
        thrown instanceof ProtocolError ? thrown : new ProtocolError(ErrorCode.badRequest, 'request could not be handled');
      peer.connection.send({ re: id, ok: false, error: { code, message } });
      this.options.meter?.refused(code);
      peer.connection.chargeError();
    } finally {
      // A client that provides and requires the same name hears the reply before the push.
      const changes = this.afterReply;
      this.afterReply = [];
      this.fanOut.publish(changes);
    }
  }

  /** Returns the reply's fields, its lines already encoded, or undefined for messages that get no reply. */
  private handle(peer: Peer, request: Request): Reply | string | LaterReply | undefined {
    switch (request.op) {
      case 'ping':
        peer.connection.send({ op: 'pong' });
        return undefined;
      case 'pong':
        return undefined;
      case 'hello':
        return this.hello(peer, request);
    }
    const session = peer.session;
    if (!session) throw noSession(request.op);
    switch (request.op) {
      case 'provide': {
        if (session.scope && !session.scope.mayProvide(request.name)) throw forbidden('provide', request.name, session.scope);
        const known = request.key === undefined ? undefined : session.provisionKeys.get(request.key);
        if (known !== undefined) return { provision: known };
        this.provisionCaps.reserve(session);
        const input = {
          name: request.name,
          address: { host: request.host, port: request.port, protocol: request.protocol },
          attributes: request.attrs,
          owner: session.id,
        };
        return this.answer(
          this.backend.provide(input, request.key, { reason: 'provide', client: session.client }),
          ({ id, changes }) => {
            session.provisions.add(id);
            if (request.key !== undefined) session.provisionKeys.set(request.key, id);
            return { reply: { provision: id }, changes };
          },
          () => this.provisionCaps.add(session, -1),
        );
      }
      case 'unprovide': {
        const id = request.provision ?? session.provisionKeys.get(request.key!);
        // Stryker disable next-line ConditionalExpression: delete(undefined) is false, so the same error is thrown
        if (id === undefined || !session.provisions.delete(id)) {
          throw new ProtocolError(ErrorCode.notFound, `no provision "${request.provision ?? request.key}" in this session`);
        }
        session.provisionKeys.deleteId(id);
        this.provisionCaps.add(session, -1);
        return this.answer(
          this.backend.drop(id, { reason: 'unprovide', client: session.client }),
          (changes) => ({ reply: {}, changes }),
          // The store still has it: still this session's, so that the client may try again.
          () => {
            session.provisions.add(id);
            this.provisionCaps.add(session, 1);
            if (request.key !== undefined) session.provisionKeys.set(request.key, id);
          },
        );
      }
      case 'require':
        if (session.scope && !session.scope.mayRequire(request.name)) throw forbidden('require', request.name, session.scope);
        return this.fanOut.require(session, request);
      case 'unrequire':
        return this.fanOut.unrequire(session, request);
      case 'list':
        if (session.scope && !session.scope.mayRequire(request.name ?? EVERY_NAME))
          throw forbidden('list', request.name ?? EVERY_NAME, session.scope);
        return this.listing.pageLine(request.id, request);
      case 'member':
      case 'members':
        return this.members.handle(session, request);
      case 'place':
      case 'placement':
        return this.placements.handle(peer.connection, session, request);
      case 'scale':
      case 'drain':
      case 'instances':
        return this.instances.handle(peer.connection, session, request);
      case 'ack':
        this.fanOut.acknowledge(session, request.sub, request.seq);
        return undefined;
      case 'events':
        return this.events.follow(peer.connection, session, request);
      case 'report':
        return this.events.report(session, request);
      case 'bye':
        this.endSession(session, 'goodbye');
        peer.connection.close({ re: request.id, ok: true });
        return undefined;
    }
  }

  /**
   * A session this server holds is resumed, and replies itself: the welcome must reach the client
   * before the replayed pushes. Any other is opened by the backend, which may adopt it from another
   * server (with its provisions, and its provides with the same keys find them); an adopted session is
   * not `resumed`, since its subscriptions were on the server it lost.
   */
  private hello(peer: Peer, request: Extract<Request, { op: 'hello' }>): Reply | LaterReply | undefined {
    if (peer.session || peer.greeting) throw new ProtocolError(ErrorCode.badRequest, 'this connection already said hello');
    checkVersion(request.version);
    const scope = this.tokens && helloScope(this.tokens, request.token, this.anonymous);
    const owner = ownerOf(this.tokens && request.token);
    // Stryker disable next-line ConditionalExpression: sessions is never keyed by undefined: looking undefined up finds nothing, as the guard does
    const held = request.session === undefined ? undefined : this.sessions.get(request.session);
    // A session is resumed only with the token that opened it, here or from etcd; with another, it is a new one.
    if (held && held.owner === owner) return void this.resume(peer, held, request.id);
    const client = request.client ?? peer.connection.remote;
    const opened = this.backend.open(held ? undefined : request.session, client, owner);
    const take = (later: OpenedSession) => this.take(peer, later, client, scope, owner, request.client);
    if (!(opened instanceof Promise)) return welcome(this.options, take(opened), false);
    peer.greeting = true;
    return opened
      .then((later) => ({ reply: welcome(this.options, take(later), false), changes: [] }))
      .finally(() => {
        peer.greeting = false;
      });
  }

  private resume(peer: Peer, session: Session, requestId: number): void {
    clearTimeout(session.graceTimer);
    session.graceTimer = undefined;
    // The client came back before we noticed its old socket die: the newer one wins.
    session.connection?.fail(ErrorCode.replaced, 'another connection resumed this session');
    session.connection = peer.connection;
    peer.session = session;
    this.backend.attached(session.id);
    peer.connection.send({ re: requestId, ok: true, ...welcome(this.options, session, true) });
    this.fanOut.replay(session);
  }

  /** A session the backend opened, now this server's; the peer may have gone while the backend answered. */
  private take(peer: Peer, opened: OpenedSession, client: string, scope: Session['scope'], owner: string, named?: string): Session {
    const session = Session.opened(opened, client, scope, owner, named);
    this.provisionCaps.add(session, session.provisions.size);
    this.sessions.set(session.id, session);
    peer.session = session;
    if (peer.connection.isOpen) session.connection = peer.connection;
    else {
      this.backend.detached(session.id);
      this.startGrace(session, 'lost-socket');
    }
    return session;
  }

  /** The backend's answer as a reply: now, with its changes fanned out after it; or later, once the store has it. */
  private answer<T>(outcome: Outcome<T>, settle: (value: T) => Settled, undo?: () => void): Reply | LaterReply {
    return answerOf(outcome, settle, (changes) => (this.afterReply = changes), undo);
  }

  /** `how` adds to the reason in the log, for people. */
  private endSession(session: Session, reason: RegistryReason, how = ''): void {
    // Stryker disable next-line ConditionalExpression: every caller finds the session where the first call removed it from, or checks ended first (onClosed)
    if (session.ended) return;
    session.ended = true;
    clearTimeout(session.graceTimer);
    this.sessions.delete(session.id);
    this.provisionCaps.ended(session);
    for (const subId of [...session.subscriptions.keys()]) this.fanOut.unsubscribe(session, subId);
    this.options.logger.debug(`session ${session.id} (${session.client}) ended: ${reason}${how}`);
    const cause = { reason, client: session.client };
    this.ends.run(() => this.fanOut.publish(this.backend.end(session.id, [...session.provisions], cause)));
  }

  /** The backend took a session this server holds away (ended in etcd, or resumed on another server): it is let go here, and its client told. */
  private sessionGone(id: string, reason: RegistryReason): void {
    const session = this.sessions.get(id);
    if (!session) return;
    const connection = session.connection;
    this.endSession(session, reason);
    const why = reason === 'replaced' ? 'it was resumed on another server' : 'its lease ended';
    connection?.fail(ErrorCode.replaced, `the session ended: ${why}`);
  }
}
