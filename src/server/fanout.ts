// Registry changes, fanned out to the subscriptions they concern as acknowledged pushes, with
// the slow-reader rule: what a reader that fell behind is owed collapses into one resync per
// subscription, so its memory stays bounded and it is never cut for being briefly slow.

import type { ConsolaInstance } from 'consola';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { Request } from '../protocol/messages.ts';
import type { Registry } from '../registry/registry.ts';
import type { Change, Provision } from '../registry/types.ts';
import type { Connection } from './connection.ts';
import { toWireEndpoint } from './endpoint.ts';
import type { ServerMeter } from './meter.ts';
import { changedHead, changedTails, joinParts, requireReplyLines, resyncLines } from './parts.ts';
import type { Session, Subscription } from './session.ts';

export interface FanOutLimits {
  /** `changed` pushes a session may owe acks for before they collapse into resyncs. */
  readonly maxUnacked: number;
  /** The same, in bytes. */
  readonly maxUnackedBytes: number;
  readonly logger: ConsolaInstance;
  readonly meter?: ServerMeter | undefined;
}

/** Pushes between early writes in one publish (see publish). */
const FLUSH_EVERY = 1000;

/** One subscription's share of a publish: its adds and drops, and a key that is the same for every batch with the same ones. */
interface Batch {
  readonly add: string[];
  readonly drop: string[];
  key: string;
}

/** Changes grouped by the subscription they concern, each endpoint encoded once. Pure. */
function batchChanges(changes: readonly Change[]): Map<string, Batch> {
  const encoded = new Map<string, string>();
  const batches = new Map<string, Batch>();
  for (const change of changes) {
    let json = encoded.get(change.provision.id);
    // Stryker disable next-line ConditionalExpression: encoding an endpoint again gives the same text
    if (json === undefined) encoded.set(change.provision.id, (json = JSON.stringify(toWireEndpoint(change.provision))));
    let batch = batches.get(change.requirement.id);
    if (!batch) batches.set(change.requirement.id, (batch = { add: [], drop: [], key: '' }));
    batch[change.kind].push(json);
    // Provision ids hold no space: "add p1 drop p2 " names one list of changes and no other.
    batch.key += `${change.kind} ${change.provision.id} `;
  }
  return batches;
}

export class FanOut {
  private readonly subscribers = new Map<string, Session>();

  constructor(
    private readonly registry: Registry,
    private readonly limits: FanOutLimits,
  ) {}

  subscribe(session: Session, subscriptionId: string): Subscription {
    const subscription: Subscription = { id: subscriptionId, seq: 0, unacked: [], owesResync: false };
    session.subscriptions.set(subscriptionId, subscription);
    this.subscribers.set(subscriptionId, session);
    return subscription;
  }

  /**
   * A `require`'s reply lines: a new subscription and its endpoints, or, for a key this session has
   * used before, the subscription it already holds (a client retrying after a lost reply).
   */
  require(session: Session, request: Extract<Request, { op: 'require' }>): string {
    const encode = (endpoints: Provision[]) => endpoints.map((endpoint) => JSON.stringify(toWireEndpoint(endpoint)));
    // Stryker disable next-line ConditionalExpression: no key index is keyed by undefined: looking undefined up finds nothing, as the guard does
    const known = request.key === undefined ? undefined : session.subscriptionKeys.get(request.key);
    // Stryker disable next-line ConditionalExpression: subscriptions is never keyed by undefined: looking undefined up finds nothing, as the guard does
    const held = known === undefined ? undefined : session.subscriptions.get(known);
    if (held) return requireReplyLines(request.id, held.id, held.seq, encode(this.registry.endpointsOf(held.id)));
    const { requirement, endpoints } = this.registry.require({ name: request.name, filter: request.attrs, owner: session.id });
    this.subscribe(session, requirement.id);
    // Stryker disable next-line ConditionalExpression: an entry under undefined is never read: a request without a key never looks one up
    if (request.key !== undefined) session.subscriptionKeys.set(request.key, requirement.id);
    return requireReplyLines(request.id, requirement.id, 0, encode(endpoints));
  }

  /** An `ack`: the pushes it covers are forgotten, and the meter told how long the oldest waited for it. */
  acknowledge(session: Session, subscriptionId: string, seq: number): void {
    const sent = session.acknowledge(subscriptionId, seq);
    if (sent !== undefined) this.limits.meter?.acked((performance.now() - sent) / 1000);
  }

  /** `unrequire`: the subscription named by its id, or by the client's key for it. */
  unrequire(session: Session, request: Extract<Request, { op: 'unrequire' }>): Record<string, never> {
    const id = request.sub ?? session.subscriptionKeys.get(request.key!);
    // Stryker disable next-line ConditionalExpression: subscriptions is never keyed by undefined: looking undefined up finds nothing, as the guard does
    const subscription = id === undefined ? undefined : session.subscriptions.get(id);
    if (!subscription) throw new ProtocolError(ErrorCode.notFound, `no subscription "${request.sub ?? request.key}" in this session`);
    this.unsubscribe(session, subscription.id);
    return {};
  }

  unsubscribe(session: Session, subscriptionId: string): void {
    session.removeSubscription(subscriptionId);
    this.subscribers.delete(subscriptionId);
    this.registry.unrequire(subscriptionId);
  }

  /**
   * One push per concerned subscription, adds and drops batched together. Each endpoint is
   * encoded once however many subscribers it reaches, and so is each push's body: subscriptions
   * that see the same adds and drops (every subscriber of a name) share it, and only their own
   * `sub` and `seq` are written before it. At ten thousand subscribers, encoding was most of the
   * cost of a change.
   */
  publish(changes: readonly Change[]): void {
    // Stryker disable next-line ConditionalExpression: the loop below does nothing for no changes
    if (changes.length === 0) return;
    const started = performance.now();
    let pushes = 0;
    const batches = batchChanges(changes);
    const bodies = new Map<string, string[]>();
    const behind = new Set<Session>();
    const written = new Set<Connection>();
    for (const [subId, batch] of batches) {
      const session = this.subscribers.get(subId);
      // Stryker disable next-line OptionalChaining: every requirement the registry reports has its subscriber (subscribe and unsubscribe change both together)
      const subscription = session?.subscriptions.get(subId);
      // Owing a resync already: the resync, built when sent, will carry this change too.
      // Stryker disable next-line ConditionalExpression,LogicalOperator: every requirement reported has its subscriber, and a session is unsubscribed from everything as it ends
      if (!session || !subscription || session.ended || subscription.owesResync) continue;
      const connection = session.connection;
      if (connection?.backlogged) {
        session.owe(subscription);
        continue;
      }
      const seq = ++subscription.seq;
      let tails = bodies.get(batch.key);
      if (tails === undefined) bodies.set(batch.key, (tails = changedTails(batch.add, batch.drop)));
      const lines = joinParts(changedHead(subId, seq), tails);
      session.remember(subscription, { seq, lines, resync: false, at: started });
      if (session.unackedCount > this.limits.maxUnacked || session.unackedBytes > this.limits.maxUnackedBytes) {
        this.limits.logger.debug(`session ${session.id} (${session.client}) owes too many acks; collapsing into resyncs`);
        for (const owing of session.subscriptions.values()) session.owe(owing);
        behind.add(session);
        continue;
      }
      if (connection) {
        connection.sendLine(lines);
        written.add(connection);
      }
      // Every so many pushes, what is batched leaves: the first subscribers read theirs while the
      // rest are encoded, rather than all waiting for the end of the fan-out.
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: when the lines leave changes no byte or order a reader sees, only how soon
      if (++pushes % FLUSH_EVERY === 0) {
        for (const each of written) each.flushWrites();
        written.clear();
      }
    }
    for (const session of behind) this.flush(session);
    this.limits.meter?.fannedOut(pushes, (performance.now() - started) / 1000);
  }

  /** Sends the resyncs a session is owed, as far as its connection takes them without backing up. */
  flush(session: Session): void {
    const connection = session.connection;
    if (!connection?.isOpen || session.ended) return;
    for (const subscription of session.subscriptions.values()) {
      if (connection.backlogged) return;
      if (subscription.owesResync) this.resync(session, subscription);
    }
  }

  /** After a resume: every unacknowledged push in order, or a resync where they were collapsed. */
  replay(session: Session): void {
    const connection = session.connection;
    // Stryker disable next-line ConditionalExpression: runs only for a session with a connection (after hello, or from flush, which checks)
    if (!connection) return;
    for (const subscription of session.subscriptions.values()) {
      if (subscription.owesResync) this.resync(session, subscription);
      else for (const push of subscription.unacked) connection.sendLine(push.lines);
    }
  }

  private resync(session: Session, subscription: Subscription): void {
    subscription.owesResync = false;
    const seq = ++subscription.seq;
    const endpoints = this.registry.endpointsOf(subscription.id).map((provision) => JSON.stringify(toWireEndpoint(provision)));
    const lines = resyncLines(subscription.id, seq, endpoints);
    session.remember(subscription, { seq, lines, resync: true, at: performance.now() });
    // Stryker disable next-line OptionalChaining: runs only for a session with a connection (after hello, or from flush, which checks)
    session.connection?.sendLine(lines);
    this.limits.meter?.resynced();
  }
}
