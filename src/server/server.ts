// The disco server: TCP sessions over the registry. Sessions hold provisions and subscriptions;
// every registry change is fanned out to the subscriptions it concerns, as acknowledged pushes.

import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { consola, type ConsolaInstance } from 'consola';
import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { MAX_LINE_BYTES } from '../protocol/framing.ts';
import { isRequestOp, PROTOCOL_VERSION, requestSchemas, type Request } from '../protocol/messages.ts';
import { Registry } from '../registry/registry.ts';
import type { Change } from '../registry/types.ts';
import { Connection } from './connection.ts';
import { toWireEndpoint } from './endpoint.ts';
import { Session, type ChangedPush } from './session.ts';

export interface DiscoServerOptions {
  host: string;
  port: number;
  /** Milliseconds between heartbeats each side sends when otherwise idle. */
  heartbeatInterval: number;
  /** Milliseconds of silence after which the peer is taken for dead. */
  heartbeatTimeout: number;
  /** Milliseconds a session outlives its connection, waiting to be resumed. */
  grace: number;
  maxQueueBytes: number;
  /** Unacknowledged pushes a session may owe before it is ended as too slow. */
  maxUnacked: number;
  errorBurst: number;
  errorRefillPerSecond: number;
  maxLineBytes: number;
  logger: ConsolaInstance;
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
  logger: consola.withTag('disco'),
};

interface Peer {
  readonly connection: Connection;
  session: Session | undefined;
}

type Reply = Record<string, unknown>;

export class DiscoServer {
  readonly registry: Registry;
  readonly options: DiscoServerOptions;
  private readonly sessions = new Map<string, Session>();
  private readonly peers = new Set<Peer>();
  private readonly subscribers = new Map<string, Session>();
  private readonly server: Server;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private afterReply: Change[] = [];

  constructor(options: Partial<DiscoServerOptions> = {}, registry = new Registry()) {
    this.options = { ...defaultServerOptions, ...options };
    this.registry = registry;
    this.server = createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const sweepEvery = Math.max(10, Math.min(this.options.heartbeatInterval, this.options.heartbeatTimeout) / 2);
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

  /** Tells every client that the server is going away, then closes. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const session of this.sessions.values()) clearTimeout(session.graceTimer);
    for (const peer of this.peers) peer.connection.close({ op: 'shutdown', reason });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    let peer: Peer;
    const connection = new Connection(socket, this.options, {
      line: (line) => this.onLine(peer, line),
      violation: (code, message) => {
        this.options.logger.warn(`closing ${connection.remote}: ${message}`);
        if (code === ErrorCode.overloaded && peer.session) this.endSession(peer.session, 'too slow');
      },
      closed: () => this.onClosed(peer),
    });
    peer = { connection, session: undefined };
    this.peers.add(peer);
  }

  private onClosed(peer: Peer): void {
    this.peers.delete(peer);
    const session = peer.session;
    if (!session || session.ended || session.connection !== peer.connection) return;
    session.connection = undefined;
    if (this.closed) return;
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
      if (typeof fields.id === 'number' && Number.isSafeInteger(fields.id)) id = fields.id;
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
      if (reply !== undefined && id !== null) peer.connection.send({ re: id, ok: true, ...reply });
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        this.options.logger.error(error);
        error = new ProtocolError(ErrorCode.badRequest, 'request could not be handled');
      }
      const { code, message } = error as ProtocolError;
      peer.connection.send({ re: id, ok: false, error: { code, message } });
      peer.connection.chargeError();
    } finally {
      // A client that provides and requires the same name hears the reply before the push.
      const changes = this.afterReply;
      this.afterReply = [];
      this.publish(changes);
    }
  }

  /** Returns the reply's fields, or undefined for messages that get no reply. */
  private handle(peer: Peer, request: Request): Reply | undefined {
    switch (request.op) {
      case 'ping':
        peer.connection.send({ op: 'pong' });
        return undefined;
      case 'pong':
        return undefined;
      case 'hello':
        this.hello(peer, request);
        return undefined;
    }
    const session = peer.session;
    if (!session) throw new ProtocolError(ErrorCode.noSession, `send "hello" before "${request.op}"`);
    switch (request.op) {
      case 'provide': {
        const known = request.key === undefined ? undefined : session.provisionKeys.get(request.key);
        if (known !== undefined) return { provision: known };
        const { provision, changes } = this.registry.provide({
          name: request.name,
          address: { host: request.host, port: request.port, protocol: request.protocol },
          attributes: request.attrs,
          owner: session.id,
        });
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
        this.afterReply = this.registry.drop(id);
        return {};
      }
      case 'require': {
        const known = request.key === undefined ? undefined : session.subscriptionKeys.get(request.key);
        const subscription = known === undefined ? undefined : session.subscriptions.get(known);
        if (subscription) {
          const endpoints = this.registry.endpointsOf(subscription.id);
          return { sub: subscription.id, seq: subscription.seq, endpoints: endpoints.map(toWireEndpoint) };
        }
        const { requirement, endpoints } = this.registry.require({
          name: request.name,
          filter: request.attrs,
          owner: session.id,
        });
        session.subscriptions.set(requirement.id, { id: requirement.id, seq: 0, unacked: [] });
        if (request.key !== undefined) session.subscriptionKeys.set(request.key, requirement.id);
        this.subscribers.set(requirement.id, session);
        return { sub: requirement.id, seq: 0, endpoints: endpoints.map(toWireEndpoint) };
      }
      case 'unrequire': {
        const id = request.sub ?? session.subscriptionKeys.get(request.key!);
        const subscription = id === undefined ? undefined : session.subscriptions.get(id);
        if (!subscription) {
          throw new ProtocolError(ErrorCode.notFound, `no subscription "${request.sub ?? request.key}" in this session`);
        }
        session.unackedCount -= subscription.unacked.length;
        session.subscriptions.delete(subscription.id);
        session.subscriptionKeys.deleteId(subscription.id);
        this.subscribers.delete(subscription.id);
        this.registry.unrequire(subscription.id);
        return {};
      }
      case 'list': {
        const name = request.name;
        const endpoints = this.registry.list(name === undefined ? undefined : (candidate) => candidate === name);
        return { endpoints: endpoints.map(toWireEndpoint) };
      }
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
    let session = request.session === undefined ? undefined : this.sessions.get(request.session);
    const resumed = session !== undefined;
    if (session) {
      clearTimeout(session.graceTimer);
      session.graceTimer = undefined;
      // The client came back before we noticed its old socket die: the newer one wins.
      session.connection?.destroy();
    } else {
      session = new Session(randomBytes(16).toString('base64url'), request.client ?? peer.connection.remote);
      this.sessions.set(session.id, session);
    }
    session.connection = peer.connection;
    peer.session = session;
    const { heartbeatInterval: interval, heartbeatTimeout: timeout, grace } = this.options;
    peer.connection.send({
      re: request.id,
      ok: true,
      session: session.id,
      resumed,
      version: PROTOCOL_VERSION,
      heartbeat: { interval, timeout },
      grace,
    });
    for (const push of session.pending()) peer.connection.sendLine(push.line);
  }

  private endSession(session: Session, why: string): void {
    if (session.ended) return;
    session.ended = true;
    clearTimeout(session.graceTimer);
    this.sessions.delete(session.id);
    for (const subId of session.subscriptions.keys()) {
      this.registry.unrequire(subId);
      this.subscribers.delete(subId);
    }
    const changes = [...session.provisions].flatMap((id) => this.registry.drop(id));
    this.options.logger.debug(`session ${session.id} (${session.client}) ended: ${why}`);
    this.publish(changes);
  }

  /**
   * Fans changes out: one push per concerned subscription, adds and drops batched together.
   * Each endpoint is encoded once however many subscribers it reaches: at a thousand
   * subscribers, encoding is most of the cost of a change.
   */
  private publish(changes: Change[]): void {
    if (changes.length === 0) return;
    const encoded = new Map<string, string>();
    const batches = new Map<string, { add: string[]; drop: string[] }>();
    for (const change of changes) {
      let json = encoded.get(change.provision.id);
      if (json === undefined) encoded.set(change.provision.id, (json = JSON.stringify(toWireEndpoint(change.provision))));
      let batch = batches.get(change.requirement.id);
      if (!batch) batches.set(change.requirement.id, (batch = { add: [], drop: [] }));
      batch[change.kind].push(json);
    }
    for (const [subId, batch] of batches) {
      const session = this.subscribers.get(subId);
      const subscription = session?.subscriptions.get(subId);
      if (!session || !subscription || session.ended) continue;
      const seq = ++subscription.seq;
      const line = `{"op":"changed","sub":${JSON.stringify(subId)},"seq":${seq},"add":[${batch.add.join(',')}],"drop":[${batch.drop.join(',')}]}\n`;
      subscription.unacked.push({ seq, line });
      session.unackedCount++;
      if (session.unackedCount > this.options.maxUnacked) {
        this.options.logger.warn(`session ${session.id} (${session.client}) fell too far behind; ending it`);
        session.connection?.destroy();
        // Ending drops its provisions, which publishes again: not from inside this loop.
        queueMicrotask(() => this.endSession(session, 'too slow'));
        continue;
      }
      session.connection?.sendLine(line);
    }
  }

  private sweep(): void {
    const now = Date.now();
    const { heartbeatInterval, heartbeatTimeout } = this.options;
    for (const peer of this.peers) {
      const connection = peer.connection;
      if (now - connection.lastHeard > heartbeatTimeout) {
        this.options.logger.debug(`${connection.remote} missed its heartbeats`);
        connection.destroy();
      } else if (now - connection.lastSent >= heartbeatInterval) {
        connection.send({ op: 'ping' });
      }
    }
  }
}
