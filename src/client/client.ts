// The disco client. It keeps the caller's intent (what to provide, what to require) and makes the
// server match it: its connection (connection.ts) reconnects with backoff and resumes the session
// within the grace period; when the server has lost the session, the client registers everything
// again and reconciles each watch's view (watch-view.ts) with the new snapshot.

import { EventEmitter } from 'node:events';
import { type ConsolaInstance, consola } from 'consola';
import { ErrorCode } from '../protocol/errors.ts';
import { listReplySchema, provideReplySchema, requireReplySchema } from '../protocol/messages.ts';
import { AckBatcher } from './acks.ts';
import { type ConnectionHooks, ServerConnection } from './connection.ts';
import type { ConnectionState } from './connection-state.ts';
import { withValidHosts } from './endpoint-hosts.ts';
import { type Push, parseReply } from './inbound.ts';
import { Inheritance, type SessionRecord } from './inherited.ts';
import { tokenInPlaintext } from './plaintext.ts';
import { type Outgoing, type ReplyFields, SessionReset } from './requests.ts';
import {
  ClientErrorCode,
  type DiscoClientOptions,
  DiscoError,
  type Endpoint,
  type ProvideSpec,
  type ProvisionHandle,
  type RequireSpec,
  type Watch,
  type WatchEvent,
} from './types.ts';
import type { ViewChange } from './view.ts';
import { WatchView } from './watch-view.ts';

export type { ConnectionState } from './connection-state.ts';
export type { SessionRecord } from './inherited.ts';
export type * from './types.ts';
export { ClientErrorCode, DiscoError } from './types.ts';

/** At most one ack per subscription this often (acks are cumulative). */
const ACK_DELAY_MS = 50;

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
  readonly view: WatchView;
  busy: boolean;
}

type OneOff = 'member' | 'members' | 'events' | 'report' | 'place' | 'placement' | 'scale' | 'drain' | 'instances';

type ClientEvents = {
  connected: [{ session: string; resumed: boolean }];
  disconnected: [reason: string];
  shutdown: [reason: string];
  /** A push no watch of this client takes: an `events` stream's (see events.ts), a placement watch's (placement.ts). */
  push: [push: Push];
};

export class DiscoClient extends EventEmitter<ClientEvents> {
  private readonly logger: ConsolaInstance;
  private readonly connection: ServerConnection;
  private readonly acks = new AckBatcher(ACK_DELAY_MS, (sub, seq) => this.connection.send({ op: 'ack', sub, seq }));
  private readonly inheritance: Inheritance;
  private nextKey: number;
  private readonly onRecord: ((record: SessionRecord) => void) | undefined;
  private readonly provisions = new Map<string, ProvisionState>();
  private readonly watches = new Map<string, WatchState>();
  private readonly subs = new Map<string, WatchState>();
  private settleTimer: NodeJS.Timeout | undefined;

  private constructor(options: DiscoClientOptions) {
    super();
    this.logger = options.logger ?? consola.withTag('disco-client');
    const exposed = tokenInPlaintext(options);
    if (exposed) this.logger.warn(exposed);
    const { resume, onRecord, ...rest } = options;
    this.inheritance = new Inheritance(resume);
    this.nextKey = this.inheritance.firstKey;
    this.onRecord = onRecord;
    const settings = {
      name: `scs-${process.pid}`,
      waitForServer: false,
      backoffMinMs: 100,
      backoffMaxMs: 1000,
      requestTimeoutMs: 30_000,
      homeCheckMs: 5000,
      ...rest,
    };
    const hooks: ConnectionHooks = {
      ready: (session, resumed) => {
        if (!resumed) this.registerAgain();
        this.record();
        this.emit('connected', { session, resumed });
      },
      disconnected: (reason) => {
        this.logger.debug(`disconnected from disco: ${reason}`);
        this.emit('disconnected', reason);
      },
      push: (push) => this.onPush(push),
      closed: () => {
        clearTimeout(this.settleTimer);
        this.acks.clear();
      },
    };
    this.connection = new ServerConnection(settings, this.logger, hooks, this.inheritance.session);
  }

  /** Connects and opens a session; resolves once the server has welcomed us. */
  static async connect(options: DiscoClientOptions): Promise<DiscoClient> {
    const client = new DiscoClient(options);
    await client.connection.start();
    return client;
  }

  get connected(): boolean {
    return this.connection.state === 'ready';
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** The connection's last state transitions, oldest first, as `from → to: reason`. */
  get transitions(): readonly string[] {
    return this.connection.transitions;
  }

  get sessionId(): string | undefined {
    return this.connection.sessionId;
  }

  async provide(spec: ProvideSpec): Promise<ProvisionHandle> {
    // Stryker disable next-line UpdateOperator,BooleanLiteral: keys counting down are still unique; send sets busy to true before anything reads it
    const key = this.inheritance.claimProvision(spec) ?? `p${this.nextKey++}`;
    const state: ProvisionState = { key, spec: { ...spec }, id: undefined, busy: false };
    this.provisions.set(state.key, state);
    this.record();
    await this.register(state);
    return {
      key: state.key,
      spec: state.spec,
      get id() {
        return state.id;
      },
      drop: async () => {
        if (!this.provisions.delete(state.key)) return;
        this.record();
        await this.forget({ op: 'unprovide', key: state.key });
      },
    };
  }

  /**
   * Requires a name: resolves with the current endpoints, then calls `onChange` for every add and
   * drop until the watch is closed. Across reconnects and server restarts the view stays right.
   */
  async require(spec: RequireSpec, onChange: (event: WatchEvent) => void = () => {}): Promise<Watch> {
    // Stryker disable next-line UpdateOperator,BooleanLiteral: keys counting down are still unique; send sets busy to true before anything reads it
    const key = this.inheritance.claimWatch(spec) ?? `r${this.nextKey++}`;
    const state: WatchState = { key, spec: { ...spec }, onChange, view: new WatchView(), busy: false };
    this.watches.set(state.key, state);
    this.record();
    await this.subscribe(state);
    return {
      key: state.key,
      spec: state.spec,
      get endpoints() {
        return state.view.endpoints;
      },
      close: async () => {
        if (!this.watches.delete(state.key)) return;
        this.record();
        // Stryker disable next-line ConditionalExpression: deleting the key undefined deletes nothing
        if (state.view.sub !== undefined) this.subs.delete(state.view.sub);
        await this.forget({ op: 'unrequire', key: state.key });
      },
    };
  }

  /** Every registered endpoint (of `name`, if given), fetched page after page. */
  async list(name?: string): Promise<Endpoint[]> {
    const endpoints: Endpoint[] = [];
    let after: string | undefined;
    do {
      const reply = await this.connection.request({
        op: 'list',
        // Stryker disable next-line ConditionalExpression: { name: undefined } encodes to the same line: JSON leaves undefined fields out
        ...(name === undefined ? {} : { name }),
        // Stryker disable next-line ConditionalExpression: { after: undefined } encodes to the same line: JSON leaves undefined fields out
        ...(after === undefined ? {} : { after }),
      });
      const page = parseReply(listReplySchema, reply);
      for (const endpoint of this.validHosts(page.endpoints)) endpoints.push(endpoint);
      after = page.next;
    } while (after !== undefined);
    return endpoints;
  }

  /** A request that keeps no intent across sessions (`member`, `events`, `place`…); `onReply` runs as its reply is read, before any later line. */
  request(message: Extract<Outgoing, { op: OneOff }>, onReply?: (reply: ReplyFields) => void): Promise<ReplyFields> {
    return this.connection.request(message, onReply);
  }

  /**
   * Lets go of what the session handed down (`resume`) held and this process has not provided or
   * required again: called once the successor has caught up (an agent, once its stack is up again).
   */
  async releaseUnclaimed(): Promise<void> {
    const { provisions, watches } = this.inheritance.unclaimed;
    const released = [
      ...[...provisions.keys()].map((key) => ({ op: 'unprovide' as const, key })),
      ...[...watches.keys()].map((key) => ({ op: 'unrequire' as const, key })),
    ];
    for (const message of released) {
      await this.forget(message);
      this.inheritance.forget(message.key);
      this.record();
    }
  }

  /** What the session holds now, for a successor to resume: told to `onRecord` at every change. */
  private record(): void {
    const session = this.connection.sessionId ?? this.inheritance.session;
    if (!this.onRecord || session === undefined) return;
    const { provisions, watches } = this.inheritance.unclaimed;
    const specs = <T extends { spec: unknown }>(held: Map<string, T>) => [...held].map(([key, state]) => [key, state.spec]);
    this.onRecord({
      session,
      provisions: Object.fromEntries([...provisions, ...specs(this.provisions)]),
      watches: Object.fromEntries([...watches, ...specs(this.watches)]),
    });
  }

  /** Says goodbye, so the server drops our provisions at once, and stops reconnecting. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /**
   * Stops without goodbye, as a process that is killed does: the server holds the session (what it
   * provides and requires) for its grace, and a successor that resumes it drops nothing.
   */
  handOver(): Promise<void> {
    return this.connection.leave();
  }

  private register(state: ProvisionState): Promise<void> {
    const { name, host, port, protocol = 'tcp', attrs = {} } = state.spec;
    return this.send(
      state,
      () => this.provisions.delete(state.key) && this.record(),
      async () => {
        const reply = await this.connection.request({ op: 'provide', key: state.key, name, host, port, protocol, attrs });
        state.id = parseReply(provideReplySchema, reply).provision;
      },
    );
  }

  private subscribe(state: WatchState): Promise<void> {
    const { name, attrs = {} } = state.spec;
    return this.send(
      state,
      () => this.watches.delete(state.key) && this.record(),
      async () => {
        await this.connection.request({ op: 'require', key: state.key, name, attrs }, (reply) => this.applySnapshot(state, reply));
      },
    );
  }

  /** The server does not know us: what we had is registered again, from our own intent. */
  private registerAgain(): void {
    this.subs.clear();
    this.acks.clear();
    // Those in flight were rejected with SessionReset and retry by themselves; the rest go now.
    for (const state of this.provisions.values()) {
      state.id = undefined;
      if (state.busy) continue;
      this.register(state).catch((error: Error) => this.logger.warn(`could not provide ${state.spec.name} again: ${error.message}`));
    }
    for (const state of this.watches.values()) {
      state.view.sessionLost();
      if (state.busy) continue;
      this.subscribe(state).catch((error: Error) => this.logger.warn(`could not require ${state.spec.name} again: ${error.message}`));
    }
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

  private async forget(message: Outgoing): Promise<void> {
    try {
      await this.connection.request(message);
    } catch (error) {
      // Gone already is what we wanted: the session was reset, the server lost it, or we closed.
      if (error instanceof SessionReset) return;
      if (error instanceof DiscoError && (error.code === ErrorCode.notFound || error.code === ClientErrorCode.closed)) return;
      throw error;
    }
  }

  /** Runs as the reply is read, before any later line: a push right behind a snapshot must see it applied. */
  private applySnapshot(state: WatchState, fields: ReplyFields): void {
    const parsed = parseReply(requireReplySchema, fields);
    if (!this.watches.has(state.key)) return;
    const reply = { ...parsed, endpoints: this.validHosts(parsed.endpoints) };
    // No older sub of this watch to unmap: a watch is required again only after registerAgain cleared them all.
    this.subs.set(reply.sub, state);
    this.notify(state, state.view.snapshot(reply, Date.now(), this.connection.grace));
    this.scheduleSettle();
  }

  private onPush(push: Push): void {
    switch (push.op) {
      case 'shutdown':
        this.logger.debug(`disco is shutting down: ${push.reason}`);
        this.emit('shutdown', push.reason);
        return;
      case 'event':
      case 'events-end':
      case 'placed':
      case 'instances-changed':
        this.emit('push', push);
        return;
      case 'changed':
      case 'resync': {
        const state = this.subs.get(push.sub);
        if (!state) {
          // Stryker disable next-line ConditionalExpression,BooleanLiteral: acking a part early for a subscription the client has let go loses nothing: nobody waits for its pushes
          if (push.more !== true) this.acks.add(push.sub, push.seq);
          return;
        }
        // Only what is added is looked at: dropping an endpoint never added changes nothing.
        const checked =
          push.op === 'changed' ? { ...push, add: this.validHosts(push.add) } : { ...push, endpoints: this.validHosts(push.endpoints) };
        const outcome = state.view.push(checked);
        if (outcome.ack !== undefined) this.acks.add(push.sub, outcome.ack);
        this.notify(state, outcome.change);
        return;
      }
    }
  }

  private validHosts(endpoints: readonly Endpoint[]): Endpoint[] {
    return withValidHosts(endpoints, (message) => this.logger.warn(message));
  }

  /** One timer for every watch's limbo, set to the first grace to run out. */
  private scheduleSettle(): void {
    clearTimeout(this.settleTimer);
    let next: number | undefined;
    for (const state of this.watches.values()) {
      const due = state.view.nextDeadline();
      // Stryker disable next-line ConditionalExpression,EqualityOperator: undefined < next is false, so an undefined deadline is still skipped; <= differs only for equal deadlines
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    if (next === undefined) return;
    this.settleTimer = setTimeout(
      () => {
        const now = Date.now();
        for (const state of this.watches.values()) this.notify(state, state.view.expire(now));
        this.scheduleSettle();
      },
      Math.max(1, next - Date.now()),
    );
    this.settleTimer.unref();
  }

  private notify(state: WatchState, change: ViewChange): void {
    if (change.add.length === 0 && change.drop.length === 0) return;
    try {
      state.onChange({ add: change.add, drop: change.drop, endpoints: state.view.endpoints });
    } catch (error) {
      this.logger.error(error);
    }
  }
}
