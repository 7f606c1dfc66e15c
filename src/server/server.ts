// The disco server: TCP sessions over the registry. Sessions hold provisions and subscriptions;
// every registry change is fanned out to the subscriptions it concerns, as acknowledged pushes.

import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type ConsolaInstance, consola } from 'consola';
import * as v from 'valibot';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { describeIssues } from '../protocol/fields.ts';
import { encodeLine, MAX_LINE_BYTES } from '../protocol/framing.ts';
import { isRequestOp, PROTOCOL_VERSION, type Request, requestSchemas } from '../protocol/messages.ts';
import { Registry } from '../registry/registry.ts';
import type { Change, Provision } from '../registry/types.ts';
import { checkLiveness } from '../transport/liveness.ts';
import { Connection } from './connection.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { toWireEndpoint } from './endpoint.ts';
import type { EtcdRegistry } from './etcd-registry.ts';
import { FanOut } from './fanout.ts';
import { Listing } from './listing.ts';
import { requireReplyLines } from './parts.ts';
import { EVERY_NAME, forbidden, type TokenGrant, TokenTable } from './scopes.ts';
import { Session } from './session.ts';
import { endSharedSession, type LaterReply, openSharedSession, provideShared, replyLater, unprovideShared } from './shared-session.ts';
import { onTlsHandshake, type ServerTls, TlsGate } from './tls-gate.ts';

export type { ServerTls } from './tls-gate.ts';

export interface DiscoServerOptions {
  host: string;
  port: number;
  /** Milliseconds between heartbeats each side sends when otherwise idle. */
  heartbeatInterval: number;
  /** Milliseconds of silence after which the peer is taken for dead. */
  heartbeatTimeout: number;
  /** Milliseconds a session outlives its connection, waiting to be resumed. */
  grace: number;
  /**
   * Unsent bytes past which a connection is backlogged: its pushes collapse into resyncs and its
   * requests wait. Also the bytes of unacknowledged pushes a session may owe before they collapse.
   */
  maxQueueBytes: number;
  /** Unacknowledged `changed` pushes a session may owe before they collapse into resyncs. */
  maxUnacked: number;
  errorBurst: number;
  errorRefillPerSecond: number;
  maxLineBytes: number;
  /** Milliseconds a new connection has to say `hello`. */
  helloTimeout: number;
  /** Milliseconds a line may take from its first byte to its newline. */
  lineTimeout: number;
  /** Open connections, in total and from one source address; more are refused. */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** TLS on the listener; plain TCP when unset. */
  tls?: ServerTls;
  /** The tokens a hello may carry and what each allows; when unset, no token is needed and all is allowed. */
  tokens?: readonly TokenGrant[];
  logger: ConsolaInstance;
  /** Keep the registry in etcd, shared with other servers (docs/ha.md); in memory when absent. */
  shared?: EtcdRegistry;
}

export const defaultServerOptions: DiscoServerOptions = {
  host: '127.0.0.1',
  port: 9640,
  heartbeatInterval: 5000,
  heartbeatTimeout: 15000,
  grace: 10000,
  maxQueueBytes: 8 * 1024 * 1024,
  maxUnacked: 10000,
  errorBurst: 100,
  errorRefillPerSecond: 10,
  maxLineBytes: MAX_LINE_BYTES,
  helloTimeout: 10000,
  lineTimeout: 10000,
  maxConnections: 20000,
  maxConnectionsPerSource: 1000,
  logger: consola.withTag('disco'),
};

interface Peer {
  readonly connection: Connection;
  session: Session | undefined;
  /** A `hello` waits on etcd. */
  greeting?: boolean;
}

type Reply = Record<string, unknown>;

export class DiscoServer {
  readonly registry: Registry;
  readonly options: DiscoServerOptions;
  private readonly sessions = new Map<string, Session>();
  private readonly peers = new Set<Peer>();
  private readonly limits: ConnectionLimits;
  private readonly fanOut: FanOut;
  private readonly listing: Listing;
  private readonly server: Server;
  private readonly tlsGate: TlsGate | undefined;
  private readonly tokens: TokenTable | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private afterReply: Change[] = [];

  constructor(options: Partial<DiscoServerOptions> = {}, registry = new Registry()) {
    this.options = { ...defaultServerOptions, ...options };
    this.registry = registry;
    this.fanOut = new FanOut(registry, {
      maxUnacked: this.options.maxUnacked,
      maxUnackedBytes: this.options.maxQueueBytes,
      logger: this.options.logger,
    });
    this.listing = new Listing(registry);
    this.limits = new ConnectionLimits(this.options, this.options.logger);
    this.tokens = this.options.tokens && new TokenTable(this.options.tokens);
    this.server = createServer((socket) => this.accept(socket));
    if (this.options.tls) this.tlsGate = new TlsGate(this.options.tls, this.options, (socket) => this.admit(socket));
  }

  async listen(): Promise<AddressInfo> {
    await this.options.shared?.start(this.registry, {
      changes: (changes) => this.fanOut.publish(changes),
      sessionGone: (id, why) => this.sessionGone(id, why),
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Fine enough that every documented time holds within 5% (10 ms at the least, for tests).
    const { heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout } = this.options;
    const sweepEvery = Math.max(10, Math.min(heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout) / 20);
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
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

  /** Tells every client that the server is going away, then closes. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.closed) return;
    // Synchronous up to server.close(), so no connection is accepted once `closed` is set.
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.options.shared?.stop();
    for (const session of this.sessions.values()) clearTimeout(session.graceTimer);
    for (const peer of this.peers) peer.connection.close({ op: 'shutdown', reason });
    this.tlsGate?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const refusal = this.limits.refusal(socket.remoteAddress ?? '');
    if (refusal) {
      if (this.tlsGate) {
        this.tlsGate.take(socket, refusal);
        return;
      }
      socket.on('error', () => {});
      socket.end(encodeLine({ re: null, ok: false, error: { code: ErrorCode.tooManyConnections, message: refusal } }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    if (this.tlsGate) {
      this.tlsGate.take(socket);
      return;
    }
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
    this.limits.opened(connection.source);
    return connection;
  }

  private onClosed(peer: Peer): void {
    this.peers.delete(peer);
    this.limits.closed(peer.connection.source);
    const session = peer.session;
    if (!session || session.ended || session.connection !== peer.connection) return;
    session.connection = undefined;
    if (this.closed) return;
    this.options.shared?.detached(session.id);
    this.startGrace(session);
  }

  private startGrace(session: Session): void {
    this.options.logger.debug(`session ${session.id} lost its connection; grace ${this.options.grace} ms`);
    session.graceTimer = setTimeout(() => this.endSession(session, 'grace expired'), this.options.grace);
    session.graceTimer.unref();
  }

  private onLine(peer: Peer, line: string): void {
    if (line.trim() === '') return; // Lets a person at `nc` press enter freely.
    let id: number | null = null;
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new ProtocolError(ErrorCode.parseError, 'line is not valid JSON');
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new ProtocolError(ErrorCode.badRequest, 'expected a JSON object');
      }
      const fields = raw as Record<string, unknown>;
      // The same test as the schemas' `id`: an id they would refuse is not echoed either.
      if (typeof fields.id === 'number' && Number.isSafeInteger(fields.id) && fields.id >= 0) id = fields.id;
      if (!isRequestOp(fields.op)) {
        throw new ProtocolError(
          ErrorCode.unknownOp,
          fields.op === undefined ? 'missing "op"' : `unknown op ${JSON.stringify(fields.op).slice(0, 80)}`,
        );
      }
      const parsed = v.safeParse(requestSchemas[fields.op], fields);
      if (!parsed.success) {
        const onName = v.getDotPath(parsed.issues[0]!) === 'name' && typeof fields.name === 'string';
        throw new ProtocolError(onName ? ErrorCode.invalidName : ErrorCode.badRequest, describeIssues(parsed.issues));
      }
      const reply = this.handle(peer, parsed.output as Request);
      if (reply instanceof Promise) return void replyLater(peer.connection, id, reply, this.fanOut, this.options.logger);
      if (typeof reply === 'string') peer.connection.sendLine(reply);
      else if (reply !== undefined && id !== null) peer.connection.send({ re: id, ok: true, ...reply });
    } catch (thrown) {
      // Anything but a ProtocolError is our bug: logged, and the peer hears only that its request failed.
      if (!(thrown instanceof ProtocolError)) this.options.logger.error(thrown);
      const { code, message } =
        thrown instanceof ProtocolError ? thrown : new ProtocolError(ErrorCode.badRequest, 'request could not be handled');
      peer.connection.send({ re: id, ok: false, error: { code, message } });
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
        if (this.options.shared) return this.helloShared(this.options.shared, peer, request);
        this.hello(peer, request);
        return undefined;
    }
    const session = peer.session;
    if (!session) throw new ProtocolError(ErrorCode.noSession, `send "hello" before "${request.op}"`);
    switch (request.op) {
      case 'provide': {
        if (session.scope && !session.scope.mayProvide(request.name)) throw forbidden('provide', request.name, session.scope);
        const known = request.key === undefined ? undefined : session.provisionKeys.get(request.key);
        if (known !== undefined) return { provision: known };
        const input = {
          name: request.name,
          address: { host: request.host, port: request.port, protocol: request.protocol },
          attributes: request.attrs,
          owner: session.id,
        };
        if (this.options.shared) return provideShared(this.options.shared, session, input, request.key);
        const { provision, changes } = this.registry.provide(input);
        session.provisions.add(provision.id);
        if (request.key !== undefined) session.provisionKeys.set(request.key, provision.id);
        this.afterReply = changes;
        return { provision: provision.id };
      }
      case 'unprovide': {
        const id = request.provision ?? session.provisionKeys.get(request.key!);
        if (id === undefined || !session.provisions.delete(id)) {
          throw new ProtocolError(ErrorCode.notFound, `no provision "${request.provision ?? request.key}" in this session`);
        }
        session.provisionKeys.deleteId(id);
        if (this.options.shared) return unprovideShared(this.options.shared, session, id, request.key);
        this.afterReply = this.registry.drop(id);
        return {};
      }
      case 'require': {
        if (session.scope && !session.scope.mayRequire(request.name)) throw forbidden('require', request.name, session.scope);
        const known = request.key === undefined ? undefined : session.subscriptionKeys.get(request.key);
        const subscription = known === undefined ? undefined : session.subscriptions.get(known);
        const encode = (endpoints: Provision[]) => endpoints.map((endpoint) => JSON.stringify(toWireEndpoint(endpoint)));
        if (subscription) {
          const endpoints = encode(this.registry.endpointsOf(subscription.id));
          return requireReplyLines(request.id, subscription.id, subscription.seq, endpoints);
        }
        const { requirement, endpoints } = this.registry.require({
          name: request.name,
          filter: request.attrs,
          owner: session.id,
        });
        this.fanOut.subscribe(session, requirement.id);
        if (request.key !== undefined) session.subscriptionKeys.set(request.key, requirement.id);
        return requireReplyLines(request.id, requirement.id, 0, encode(endpoints));
      }
      case 'unrequire': {
        const id = request.sub ?? session.subscriptionKeys.get(request.key!);
        const subscription = id === undefined ? undefined : session.subscriptions.get(id);
        if (!subscription) {
          throw new ProtocolError(ErrorCode.notFound, `no subscription "${request.sub ?? request.key}" in this session`);
        }
        this.fanOut.unsubscribe(session, subscription.id);
        return {};
      }
      case 'list':
        if (session.scope && !session.scope.mayRequire(request.name ?? EVERY_NAME))
          throw forbidden('list', request.name ?? EVERY_NAME, session.scope);
        return this.listing.pageLine(request.id, request);
      case 'ack':
        session.acknowledge(request.sub, request.seq);
        return undefined;
      case 'bye':
        this.endSession(session, 'goodbye');
        peer.connection.close({ re: request.id, ok: true });
        return undefined;
    }
  }

  /** Replies itself: on resume, the welcome must reach the client before the replayed pushes. */
  private hello(peer: Peer, request: Extract<Request, { op: 'hello' }>): void {
    if (peer.session) throw new ProtocolError(ErrorCode.badRequest, 'this connection already said hello');
    if (request.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        ErrorCode.unsupportedVersion,
        `protocol version ${request.version} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      );
    }
    const scope = this.scopeOf(request.token);
    let session = request.session === undefined ? undefined : this.sessions.get(request.session);
    // A session is resumed only with the token that opened it; with another, it is a new one.
    if (session && session.scope !== scope) session = undefined;
    const resumed = session !== undefined;
    if (session) {
      clearTimeout(session.graceTimer);
      session.graceTimer = undefined;
      // The client came back before we noticed its old socket die: the newer one wins.
      session.connection?.fail(ErrorCode.replaced, 'another connection resumed this session');
    } else {
      session = new Session(randomBytes(16).toString('base64url'), request.client ?? peer.connection.remote);
      session.scope = scope;
      this.sessions.set(session.id, session);
    }
    session.connection = peer.connection;
    peer.session = session;
    if (resumed) this.options.shared?.attached(session.id);
    peer.connection.send({ re: request.id, ok: true, ...this.welcome(session, resumed) });
    this.fanOut.replay(session);
  }

  private welcome(session: Session, resumed: boolean): Reply {
    const { heartbeatInterval: interval, heartbeatTimeout: timeout, grace } = this.options;
    return { session: session.id, resumed, version: PROTOCOL_VERSION, heartbeat: { interval, timeout }, grace };
  }

  /** The scope a hello's token grants; throws when the server has tokens and this is none of them. */
  private scopeOf(token: string | undefined): Session['scope'] {
    if (!this.tokens) return undefined;
    if (token === undefined) throw new ProtocolError(ErrorCode.forbidden, 'this disco server needs a token in "hello"');
    const scope = this.tokens.scopeOf(token);
    if (!scope) throw new ProtocolError(ErrorCode.forbidden, 'the token in "hello" is not one this disco server knows');
    return scope;
  }

  private endSession(session: Session, why: string): void {
    if (session.ended) return;
    session.ended = true;
    clearTimeout(session.graceTimer);
    this.sessions.delete(session.id);
    for (const subId of [...session.subscriptions.keys()]) this.fanOut.unsubscribe(session, subId);
    this.options.logger.debug(`session ${session.id} (${session.client}) ended: ${why}`);
    if (this.options.shared) return void endSharedSession(this.options.shared, session, this.options.logger);
    const changes = [...session.provisions].flatMap((id) => this.registry.drop(id));
    this.fanOut.publish(changes);
  }

  /**
   * `hello` with the registry in etcd. A session this server does not hold is adopted from etcd
   * while its lease lives: the client's provisions are kept, and its provides with the same keys
   * find them; it is not `resumed`, since its subscriptions were on the server it lost.
   */
  private helloShared(shared: EtcdRegistry, peer: Peer, request: Extract<Request, { op: 'hello' }>): LaterReply | undefined {
    const local = request.session !== undefined && this.sessions.has(request.session);
    if (peer.greeting) throw new ProtocolError(ErrorCode.badRequest, 'this connection already said hello');
    if (local || peer.session || request.version !== PROTOCOL_VERSION) return void this.hello(peer, request);
    // The token decides here as on one server; a session adopted from etcd takes the scope of the token it comes back with.
    const scope = this.scopeOf(request.token);
    peer.greeting = true;
    return openSharedSession(shared, request.session, request.client ?? peer.connection.remote)
      .then(({ session, adopted }) => {
        session.scope = scope;
        this.sessions.set(session.id, session);
        peer.session = session;
        if (peer.connection.isOpen) session.connection = peer.connection;
        else {
          shared.detached(session.id);
          this.startGrace(session);
        }
        this.options.logger.debug(`session ${session.id} ${adopted ? 'adopted from etcd' : 'opened'}`);
        // Not `resumed` even when adopted: its subscriptions were on the server it lost.
        return { reply: this.welcome(session, false), changes: [] };
      })
      .finally(() => {
        peer.greeting = false;
      });
  }

  /** etcd ended a session this server holds, or another server took it over: it is let go here, and its client told. */
  private sessionGone(id: string, why: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    const connection = session.connection;
    this.endSession(session, why);
    connection?.fail(ErrorCode.replaced, `the session ended: ${why}`);
  }

  private sweep(): void {
    const now = Date.now();
    const { heartbeatInterval, heartbeatTimeout, helloTimeout, lineTimeout } = this.options;
    for (const peer of this.peers) {
      const connection = peer.connection;
      if (!connection.isOpen) continue;
      const stalled = connection.stalledFor(now);
      if (connection.backlogged) {
        // Its requests wait unread, so its silence is ours; what counts is whether it reads.
        if (stalled > heartbeatTimeout) {
          this.options.logger.warn(`closing ${connection.remote}: it read nothing for ${stalled} ms`);
          connection.fail(ErrorCode.overloaded, `the client read nothing for ${heartbeatTimeout} ms while the server had lines for it`);
        }
        continue;
      }
      // The same rule as the client's, from the same times: dead after `timeout` of silence, a ping after `interval` of ours.
      const liveness = checkLiveness(now, connection.lastHeard, connection.lastSent, {
        interval: heartbeatInterval,
        timeout: heartbeatTimeout,
      });
      if (liveness.dead) {
        this.options.logger.debug(`${connection.remote} missed its heartbeats`);
        connection.destroy();
      } else if (!peer.session && now - connection.openedAt > helloTimeout) {
        connection.fail(ErrorCode.helloTimeout, `no "hello" within ${helloTimeout} ms of connecting`);
      } else if (connection.partialLineAge(now) > lineTimeout) {
        connection.fail(ErrorCode.lineTimeout, `a line took more than ${lineTimeout} ms to arrive`);
      } else if (liveness.ping) {
        connection.send({ op: 'ping' });
      }
    }
  }
}
