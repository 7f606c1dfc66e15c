// The disco client. It keeps the caller's intent (what to provide, what to require) and makes the
// server match it: it reconnects with backoff, resumes its session within the grace period, and
// when the server has lost the session it registers everything again and reconciles each view.

import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { consola, type ConsolaInstance } from 'consola';
import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { encodeLine, LineSplitter } from '../protocol/framing.ts';
import {
  listReplySchema,
  PROTOCOL_VERSION,
  provideReplySchema,
  requireReplySchema,
  pushSchema,
  replySchema,
  welcomeSchema,
} from '../protocol/messages.ts';
import type { Protocol } from '../registry/types.ts';
import { Backoff } from './backoff.ts';
import { applyChange, identity, reconcile, sortEndpoints, type Endpoint } from './view.ts';

export type { Endpoint } from './view.ts';

export interface DiscoClientOptions {
  host: string;
  port: number;
  /** Shown in the server's logs. */
  name?: string;
  /** Keep trying when the first connection fails, instead of rejecting `connect`. */
  waitForServer?: boolean;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  logger?: ConsolaInstance;
}

export interface ProvideSpec {
  name: string;
  host: string;
  port: number;
  protocol?: Protocol;
  attrs?: Record<string, string>;
}

export interface RequireSpec {
  name: string;
  attrs?: Record<string, string>;
}

export interface WatchEvent {
  add: Endpoint[];
  drop: Endpoint[];
  /** Every endpoint after the change, in stable order. */
  endpoints: Endpoint[];
}

export class DiscoError extends Error {
  override readonly name = 'DiscoError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ACK_DELAY_MS = 50;

/** Rejects requests made obsolete by a new session; what they did is redone from the client's intent. */
class SessionReset extends Error {}

interface Pending {
  readonly message: Record<string, unknown>;
  /** Runs as the reply is read, before any later line: a push right behind a snapshot must see it applied. */
  readonly onReply?: (reply: Record<string, unknown>) => void;
  resolve(reply: Record<string, unknown>): void;
  reject(error: Error): void;
}

export interface ProvisionHandle {
  readonly key: string;
  readonly spec: Readonly<ProvideSpec>;
  /** The server's id for it, once registered. */
  readonly id: string | undefined;
  drop(): Promise<void>;
}

export interface Watch {
  readonly key: string;
  readonly spec: Readonly<RequireSpec>;
  readonly endpoints: Endpoint[];
  close(): Promise<void>;
}

interface ProvisionState {
  readonly key: string;
  readonly spec: ProvideSpec;
  id: string | undefined;
  busy: boolean;
}

interface WatchState {
  readonly key: string;
  readonly spec: RequireSpec;
  readonly onChange: (event: WatchEvent) => void;
  readonly view: Map<string, Endpoint>;
  sub: string | undefined;
  /** The last sequence number applied, in the current subscription's numbering. */
  seq: number;
  /** Has had its first snapshot: later snapshots are told to onChange as differences. */
  synced: boolean;
  /** Set by a session reset: the next snapshot may lack providers that have not re-registered yet. */
  settling: boolean;
  /** Endpoints missing since a server restart, by identity, each until its grace runs out. */
  readonly limbo: Map<string, { endpoint: Endpoint; timer: NodeJS.Timeout }>;
  busy: boolean;
}

type ClientEvents = {
  connected: [{ session: string; resumed: boolean }];
  disconnected: [reason: string];
  shutdown: [reason: string];
};

export class DiscoClient extends EventEmitter<ClientEvents> {
  private readonly options: Required<Omit<DiscoClientOptions, 'name'>> & { name: string };
  private readonly backoff: Backoff;
  private socket: Socket | undefined;
  private session: string | undefined;
  private ready = false;
  private closing = false;
  private nextId = 1;
  private nextKey = 1;
  private readonly inflight = new Map<number, Pending>();
  private queued: Pending[] = [];
  private readonly provisions = new Map<string, ProvisionState>();
  private readonly watches = new Map<string, WatchState>();
  private readonly subs = new Map<string, WatchState>();
  private heartbeat = { interval: 5000, timeout: 15000 };
  private grace = 10000;
  private lastHeard = 0;
  private lastSent = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private readonly pendingAcks = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  private firstConnect: { resolve(): void; reject(error: Error): void } | undefined;

  private constructor(options: DiscoClientOptions) {
    super();
    this.options = {
      name: options.name ?? `scs-${process.pid}`,
      waitForServer: false,
      backoffMinMs: 100,
      backoffMaxMs: 1000,
      logger: consola.withTag('disco-client'),
      ...options,
    };
    this.backoff = new Backoff(this.options.backoffMinMs, this.options.backoffMaxMs);
  }

  /** Connects and opens a session; resolves once the server has welcomed us. */
  static async connect(options: DiscoClientOptions): Promise<DiscoClient> {
    const client = new DiscoClient(options);
    await new Promise<void>((resolve, reject) => {
      client.firstConnect = { resolve, reject };
      client.dial();
    });
    return client;
  }

  get connected(): boolean {
    return this.ready;
  }

  get sessionId(): string | undefined {
    return this.session;
  }

  async provide(spec: ProvideSpec): Promise<ProvisionHandle> {
    const state: ProvisionState = { key: `p${this.nextKey++}`, spec: { ...spec }, id: undefined, busy: false };
    this.provisions.set(state.key, state);
    await this.register(state);
    return {
      key: state.key,
      spec: state.spec,
      get id() {
        return state.id;
      },
      drop: async () => {
        if (!this.provisions.delete(state.key)) return;
        await this.forget({ op: 'unprovide', key: state.key });
      },
    };
  }

  /**
   * Requires a name: resolves with the current endpoints, then calls `onChange` for every add and
   * drop until the watch is closed. Across reconnects and server restarts the view stays right.
   */
  async require(spec: RequireSpec, onChange: (event: WatchEvent) => void = () => {}): Promise<Watch> {
    const state: WatchState = {
      key: `r${this.nextKey++}`,
      spec: { ...spec },
      onChange,
      view: new Map(),
      sub: undefined,
      seq: 0,
      synced: false,
      settling: false,
      limbo: new Map(),
      busy: false,
    };
    this.watches.set(state.key, state);
    await this.subscribe(state);
    return {
      key: state.key,
      spec: state.spec,
      get endpoints() {
        return currentEndpoints(state);
      },
      close: async () => {
        if (!this.watches.delete(state.key)) return;
        for (const { timer } of state.limbo.values()) clearTimeout(timer);
        if (state.sub !== undefined) this.subs.delete(state.sub);
        await this.forget({ op: 'unrequire', key: state.key });
      },
    };
  }

  async list(name?: string): Promise<Endpoint[]> {
    const reply = await this.request(name === undefined ? { op: 'list' } : { op: 'list', name });
    return parseReply(listReplySchema, reply).endpoints;
  }

  /** Says goodbye, so the server drops our provisions at once, and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    if (this.ready && this.socket) {
      const socket = this.socket;
      const goodbye = this.request({ op: 'bye' }).catch(() => undefined);
      await Promise.race([goodbye, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      socket.destroy();
    } else {
      this.socket?.destroy();
    }
    const closed = new DiscoError('closed', 'the disco client was closed');
    for (const pending of [...this.inflight.values(), ...this.queued]) pending.reject(closed);
    this.inflight.clear();
    this.queued = [];
  }

  private register(state: ProvisionState): Promise<void> {
    const { name, host, port, protocol = 'tcp', attrs = {} } = state.spec;
    return this.send(state, () => this.provisions.delete(state.key), async () => {
      const reply = await this.request({ op: 'provide', key: state.key, name, host, port, protocol, attrs });
      state.id = parseReply(provideReplySchema, reply).provision;
    });
  }

  private subscribe(state: WatchState): Promise<void> {
    const { name, attrs = {} } = state.spec;
    return this.send(state, () => this.watches.delete(state.key), async () => {
      await this.request({ op: 'require', key: state.key, name, attrs }, (reply) => this.applySnapshot(state, reply));
    });
  }

  /**
   * Sends one piece of intent. A session reset while it is in flight sends it again in the new
   * session; any other failure means the server refused it, so the intent is forgotten.
   */
  private async send(state: { busy: boolean }, forget: () => void, attempt: () => Promise<void>): Promise<void> {
    state.busy = true;
    try {
      for (;;) {
        try {
          return await attempt();
        } catch (error) {
          if (error instanceof SessionReset) continue;
          forget();
          throw error;
        }
      }
    } finally {
      state.busy = false;
    }
  }

  private applySnapshot(state: WatchState, fields: Record<string, unknown>): void {
    const reply = parseReply(requireReplySchema, fields);
    if (!this.watches.has(state.key)) return;
    // A resumed subscription may have seen replayed pushes newer than this snapshot.
    state.seq = state.sub === reply.sub ? Math.max(state.seq, reply.seq) : reply.seq;
    if (state.sub !== undefined && state.sub !== reply.sub) this.subs.delete(state.sub);
    state.sub = reply.sub;
    this.subs.set(reply.sub, state);
    const change = reconcile(state.view, reply.endpoints);
    if (state.settling) this.settle(state, change.add, change.drop);
    else if (state.synced) this.notify(state, change.add, change.drop);
    state.synced = true;
    state.settling = false;
  }

  private async forget(message: Record<string, unknown>): Promise<void> {
    try {
      await this.request(message);
    } catch (error) {
      // Gone already is what we wanted: the session was reset, or the server lost it.
      if (error instanceof SessionReset || (error instanceof DiscoError && error.code === 'not_found')) return;
      if (error instanceof DiscoError && error.code === 'closed') return;
      throw error;
    }
  }

  private request(
    message: Record<string, unknown>,
    onReply?: (reply: Record<string, unknown>) => void,
  ): Promise<Record<string, unknown>> {
    if (this.closing && message.op !== 'bye') {
      return Promise.reject(new DiscoError('closed', 'the disco client was closed'));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { message, onReply, resolve, reject };
      if (this.ready) this.transmit(pending);
      else this.queued.push(pending);
    });
  }

  private transmit(pending: Pending): void {
    const id = this.nextId++;
    this.inflight.set(id, pending);
    this.write({ ...pending.message, id });
  }

  private write(message: unknown): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    // Requests and acks made in one turn of the event loop leave in one write.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(encodeLine(message));
    this.lastSent = Date.now();
  }

  private dial(): void {
    const { host, port } = this.options;
    const socket = netConnect({ host, port });
    const splitter = new LineSplitter();
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.lastHeard = Date.now();
      this.write({ op: 'hello', id: 0, version: PROTOCOL_VERSION, client: this.options.name, ...(this.session ? { session: this.session } : {}) });
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastHeard = Date.now();
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      for (const line of lines) this.onLine(line);
    });
    let failure: Error | undefined;
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => this.onClose(socket, failure));
  }

  private onClose(socket: Socket, failure: Error | undefined): void {
    if (socket !== this.socket) return;
    clearInterval(this.heartbeatTimer);
    const wasReady = this.ready;
    this.ready = false;
    // Unanswered requests go out again after the resume; provide and require are idempotent by key.
    const unanswered = [...this.inflight.entries()].sort(([a], [b]) => a - b).map(([, pending]) => pending);
    this.inflight.clear();
    this.queued = [...unanswered, ...this.queued];
    if (this.closing) return;
    const reason = failure ? describeSocketError(failure, this.options) : 'connection closed';
    if (this.firstConnect && !this.options.waitForServer) {
      this.closing = true;
      this.firstConnect.reject(new DiscoError('unreachable', `cannot reach disco at ${this.options.host}:${this.options.port}: ${reason}`));
      this.firstConnect = undefined;
      return;
    }
    if (wasReady) {
      this.options.logger.debug(`disconnected from disco: ${reason}`);
      this.emit('disconnected', reason);
    }
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => this.dial(), delay);
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.options.logger.warn('disco sent a line that is not JSON; ignoring it');
      return;
    }
    const isReply = typeof raw === 'object' && raw !== null && 're' in raw;
    const parsed = isReply ? v.safeParse(replySchema, raw) : v.safeParse(pushSchema, raw);
    if (!parsed.success) {
      this.options.logger.warn(`disco sent an unexpected message (${describeIssues(parsed.issues)}); ignoring it`);
      return;
    }
    const message = parsed.output;
    if ('re' in message) {
      const fields = raw as Record<string, unknown>;
      if (message.re === 0 && !this.ready) return this.onWelcome(message.ok ? fields : undefined, fields);
      const pending = message.re === null ? undefined : this.inflight.get(message.re);
      if (!pending) {
        if (!message.ok) this.options.logger.warn(`disco: ${message.error.message}`);
        return;
      }
      this.inflight.delete(message.re!);
      if (!message.ok) return pending.reject(new DiscoError(message.error.code, message.error.message));
      try {
        pending.onReply?.(fields);
      } catch (error) {
        return pending.reject(error as Error);
      }
      pending.resolve(fields);
      return;
    }
    switch (message.op) {
      case 'ping':
        this.write({ op: 'pong' });
        return;
      case 'pong':
        return;
      case 'shutdown':
        this.options.logger.debug(`disco is shutting down: ${message.reason}`);
        this.emit('shutdown', message.reason);
        return;
      case 'changed': {
        this.acknowledge(message.sub, message.seq);
        const state = this.subs.get(message.sub);
        if (!state || message.seq <= state.seq) return; // Unknown, or replayed and seen already.
        state.seq = message.seq;
        const change = applyChange(state.view, message.add, message.drop);
        this.notify(state, this.unlimbo(state, change.add), change.drop);
        return;
      }
    }
  }

  private onWelcome(ok: Record<string, unknown> | undefined, fields: Record<string, unknown>): void {
    if (!ok) {
      const error = fields.error as { code: string; message: string };
      this.fail(new DiscoError(error.code, `disco refused the session: ${error.message}`));
      return;
    }
    const welcome = parseReply(welcomeSchema, ok);
    const resumed = welcome.resumed && welcome.session === this.session;
    this.session = welcome.session;
    this.heartbeat = welcome.heartbeat;
    this.grace = welcome.grace;
    this.ready = true;
    this.backoff.reset();
    this.startHeartbeat();
    const queued = this.queued;
    this.queued = [];
    if (resumed) {
      for (const pending of queued) this.transmit(pending);
    } else {
      // The server does not know us: what we had is registered again, from our own intent.
      const reset = new SessionReset();
      for (const pending of queued) {
        if (['provide', 'require', 'unprovide', 'unrequire'].includes(pending.message.op as string)) pending.reject(reset);
        else this.transmit(pending);
      }
      // Those in flight retry by themselves once their rejection lands; the rest are sent now.
      this.subs.clear();
      this.pendingAcks.clear();
      for (const state of this.provisions.values()) {
        state.id = undefined;
        if (state.busy) continue;
        this.register(state).catch((error: Error) => this.options.logger.warn(`could not provide ${state.spec.name} again: ${error.message}`));
      }
      for (const state of this.watches.values()) {
        state.sub = undefined;
        state.settling = state.synced;
        if (state.busy) continue;
        this.subscribe(state).catch((error: Error) => this.options.logger.warn(`could not require ${state.spec.name} again: ${error.message}`));
      }
    }
    if (this.firstConnect) {
      this.firstConnect.resolve();
      this.firstConnect = undefined;
    }
    this.emit('connected', { session: welcome.session, resumed });
  }

  private fail(error: Error): void {
    this.closing = true;
    this.socket?.destroy();
    if (this.firstConnect) {
      this.firstConnect.reject(error);
      this.firstConnect = undefined;
    } else {
      this.options.logger.error(error.message);
    }
  }

  /**
   * Acks are cumulative, so one per subscription every ACK_DELAY_MS covers a burst: the server
   * parses one line where it would have parsed hundreds, on the path of the next change.
   */
  private acknowledge(sub: string, seq: number): void {
    this.pendingAcks.set(sub, seq);
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      for (const [pendingSub, pendingSeq] of this.pendingAcks) this.write({ op: 'ack', sub: pendingSub, seq: pendingSeq });
      this.pendingAcks.clear();
    }, ACK_DELAY_MS);
    this.ackTimer.unref();
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    const { interval, timeout } = this.heartbeat;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastHeard > timeout) this.socket?.destroy(new Error('heartbeat timeout'));
      else if (now - this.lastSent >= interval) this.write({ op: 'ping' });
    }, Math.max(10, Math.min(interval, timeout) / 2));
    this.heartbeatTimer.unref();
  }

  /**
   * After a server restart, providers re-register over a moment. An endpoint missing from the
   * first snapshot gets the server's grace to come back before its drop is told, as it would
   * have had if only its provider's connection had failed; one that comes back was never gone.
   */
  private settle(state: WatchState, add: Endpoint[], drop: Endpoint[]): void {
    for (const endpoint of drop) {
      const key = identity(endpoint);
      const timer = setTimeout(() => {
        if (state.limbo.get(key)?.timer !== timer) return;
        state.limbo.delete(key);
        this.notify(state, [], [endpoint]);
      }, this.grace);
      timer.unref();
      state.limbo.set(key, { endpoint, timer });
    }
    this.notify(state, this.unlimbo(state, add), []);
  }

  /** Returns the adds that are news: those back from limbo were never reported gone. */
  private unlimbo(state: WatchState, add: Endpoint[]): Endpoint[] {
    if (state.limbo.size === 0) return add;
    return add.filter((endpoint) => {
      const held = state.limbo.get(identity(endpoint));
      if (!held) return true;
      clearTimeout(held.timer);
      state.limbo.delete(identity(endpoint));
      return false;
    });
  }

  private notify(state: WatchState, add: Endpoint[], drop: Endpoint[]): void {
    if (add.length === 0 && drop.length === 0) return;
    try {
      state.onChange({ add, drop, endpoints: currentEndpoints(state) });
    } catch (error) {
      this.options.logger.error(error);
    }
  }
}

function currentEndpoints(state: WatchState): Endpoint[] {
  return sortEndpoints([...state.view.values(), ...[...state.limbo.values()].map((held) => held.endpoint)]);
}

function parseReply<S extends v.GenericSchema>(schema: S, reply: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, reply);
  if (!parsed.success) throw new DiscoError('bad_reply', `disco sent an unexpected reply: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

function describeSocketError(error: Error, where: { host: string; port: number }): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is `scs disco` running there?)';
  if (code === 'ENOTFOUND') return `unknown host ${where.host}`;
  return error.message;
}
