// A session outlives its connection by the grace period, so a client that reconnects and
// resumes loses nothing: its provisions stay registered and the pushes it missed are replayed.

import { createHash } from 'node:crypto';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../protocol/messages.ts';
import type { OpenedSession } from './backend.ts';
import type { Connection } from './connection.ts';
import type { Scope } from './scopes.ts';

/** A `changed` or `resync` push, kept encoded (all its parts): written once, replayed as it was. */
export interface SentPush {
  readonly seq: number;
  readonly lines: string;
  /** A resync is bounded by the subscription's own size, so it does not count toward the backlog. */
  readonly resync: boolean;
  /** When it was sent (performance.now()), for the ack lag the metrics show. */
  readonly at?: number;
}

export interface Subscription {
  readonly id: string;
  seq: number;
  /** Pushes sent but not yet acknowledged, oldest first; replayed on resume. */
  readonly unacked: SentPush[];
  /**
   * Pushes were skipped (the reader fell behind): its next push is a resync with its current
   * endpoints, which replaces whatever it missed. Nothing is kept for it meanwhile.
   */
  owesResync: boolean;
}

export class Session {
  readonly provisions = new Set<string>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Client-chosen keys, which make provide and require idempotent across a resume. */
  readonly provisionKeys = new KeyIndex();
  readonly subscriptionKeys = new KeyIndex();
  connection: Connection | undefined;
  /** What the session's token allows; undefined when the server has no tokens (everything). */
  scope: Scope | undefined;
  /** ownerOf the token that opened it: only a hello with the same token resumes it. */
  owner = '';
  /** The client name its hello gave, if it gave one (`client` falls back to the peer's address): who placed what. */
  named: string | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  /** `changed` pushes owed an ack, and their bytes: what a reader that falls behind costs. */
  unackedCount = 0;
  unackedBytes = 0;
  ended = false;

  constructor(
    readonly id: string,
    readonly client: string,
  ) {}

  /** A session the backend opened (new, or adopted with the provisions it holds), for a hello with this scope and owner. */
  static opened(opened: OpenedSession, client: string, scope: Scope | undefined, owner: string, named?: string): Session {
    const session = new Session(opened.id, client);
    for (const { id, key } of opened.adopted ?? []) {
      session.provisions.add(id);
      // Stryker disable next-line ConditionalExpression: an entry under undefined is never read: a request without a key never looks one up
      if (key !== undefined) session.provisionKeys.set(key, id);
    }
    Object.assign(session, { scope, owner, named });
    return session;
  }

  /**
   * Forgets every push up to and including `seq` on one subscription (acks are cumulative). Returns
   * when the oldest push it acknowledges was sent, if it acknowledges any.
   */
  acknowledge(subId: string, seq: number): number | undefined {
    const subscription = this.subscriptions.get(subId);
    if (!subscription) return undefined;
    const unacked = subscription.unacked;
    const oldest = unacked[0] !== undefined && unacked[0].seq <= seq ? unacked[0].at : undefined;
    let done = 0;
    while (done < unacked.length && unacked[done]!.seq <= seq) this.forget(unacked[done++]!);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: splicing nothing changes nothing
    if (done > 0) unacked.splice(0, done);
    return oldest;
  }

  /** Keeps a push sent on one subscription until it is acknowledged. */
  remember(subscription: Subscription, push: SentPush): void {
    subscription.unacked.push(push);
    if (push.resync) return;
    this.unackedCount++;
    this.unackedBytes += push.lines.length;
  }

  /** Drops what a subscription is owed; it will get a resync instead. */
  owe(subscription: Subscription): void {
    for (const push of subscription.unacked) this.forget(push);
    subscription.unacked.length = 0;
    subscription.owesResync = true;
  }

  removeSubscription(id: string): Subscription | undefined {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return undefined;
    for (const push of subscription.unacked) this.forget(push);
    this.subscriptions.delete(id);
    this.subscriptionKeys.deleteId(id);
    return subscription;
  }

  private forget(push: SentPush): void {
    if (push.resync) return;
    this.unackedCount--;
    this.unackedBytes -= push.lines.length;
  }
}

/** Throws `unsupported_version` for a hello in another version of the protocol than this server's. */
export function checkVersion(version: number): void {
  if (version === PROTOCOL_VERSION) return;
  throw new ProtocolError(
    ErrorCode.unsupportedVersion,
    `protocol version ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`,
  );
}

/** The reply to a hello: the session, and the times the client must keep to. */
export function welcome(
  times: { readonly heartbeatInterval: number; readonly heartbeatTimeout: number; readonly grace: number },
  session: Session,
  resumed: boolean,
): Record<string, unknown> {
  const { heartbeatInterval: interval, heartbeatTimeout: timeout, grace } = times;
  return { session: session.id, resumed, version: PROTOCOL_VERSION, heartbeat: { interval, timeout }, grace };
}

/**
 * Who opened a session, as it is compared on resume and kept in etcd: a digest of the hello's token
 * (never the token itself), or '' on a server without tokens. Its own prefix keeps it apart from the
 * digest tokens are looked up by.
 */
export function ownerOf(token: string | undefined): string {
  return token === undefined ? '' : createHash('sha256').update(`scs session owner\n${token}`).digest('hex');
}

/** Client key ↔ server id, both ways, so that forgetting either costs no scan. */
export class KeyIndex {
  private readonly idByKey = new Map<string, string>();
  private readonly keyById = new Map<string, string>();

  get(key: string): string | undefined {
    return this.idByKey.get(key);
  }

  set(key: string, id: string): void {
    this.idByKey.set(key, id);
    this.keyById.set(id, key);
  }

  deleteId(id: string): void {
    const key = this.keyById.get(id);
    if (key === undefined) return;
    this.keyById.delete(id);
    this.idByKey.delete(key);
  }
}
