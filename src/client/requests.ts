// Requests and their replies: ids paired with replies, replies in parts joined before they
// resolve, and what becomes of a request when its connection goes. Unanswered requests are sent
// again after a resume (provide and require carry a key, so that is safe); after a new session the
// ones that changed the old session are rejected with SessionReset, for the client to redo from its
// intent; all are rejected when the client closes or a request waits past its deadline.

import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { type Request, replyPartSchema, type WireEndpoint } from '../protocol/messages.ts';
import { ClientErrorCode, DiscoError } from './types.ts';

/** A request as the client makes it; the tracker gives it its id. */
export type Outgoing = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
export type ReplyFields = Record<string, unknown>;

/** Rejects requests made obsolete by a new session; what they did is redone from the client's intent. */
export class SessionReset extends Error {
  // Stryker disable next-line StringLiteral: every SessionReset is caught by the client (instanceof), which redoes the request: it never reaches a user
  override readonly name = 'SessionReset';
}

const SESSION_OPS: ReadonlySet<Outgoing['op']> = new Set(['provide', 'require', 'unprovide', 'unrequire', 'member']);

interface Pending {
  readonly body: Outgoing;
  /** Runs as the (last part of the) reply is read, before any later line is. */
  readonly onReply: ((reply: ReplyFields) => void) | undefined;
  readonly resolve: (reply: ReplyFields) => void;
  readonly reject: (error: Error) => void;
  sentAt: number;
  /** The first part of a reply that is coming in parts, and the endpoints of every part so far. */
  partial: { first: ReplyFields; endpoints: WireEndpoint[] } | undefined;
}

export class RequestTracker {
  private nextId = 1;
  private readonly inflight = new Map<number, Pending>();
  private queued: Pending[] = [];
  private write: ((message: Request) => void) | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.inflight.size + this.queued.length;
  }

  /** Sends `body` now if a connection is attached, else when one is. */
  request(body: Outgoing, onReply?: (reply: ReplyFields) => void): Promise<ReplyFields> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { body, onReply, resolve, reject, sentAt: 0, partial: undefined };
      if (this.write) this.transmit(pending);
      else this.queued.push(pending);
    });
  }

  /** A session is open on a connection: send what waited, sorted out by whether the session is the old one. */
  attach(write: (message: Request) => void, resumed: boolean): void {
    this.write = write;
    const waiting = this.queued;
    this.queued = [];
    // Stryker disable next-line StringLiteral: every SessionReset is caught by the client (instanceof), which redoes the request: it never reaches a user
    const reset = new SessionReset('the disco session was lost');
    for (const pending of waiting) {
      if (!resumed && SESSION_OPS.has(pending.body.op)) pending.reject(reset);
      else this.transmit(pending);
    }
  }

  /** The connection is gone: unanswered requests wait, in the order they were sent, for the next one. */
  detach(): void {
    this.write = undefined;
    // In the order they were sent: ids grow with each send, and a Map keeps the order of insertion.
    const unanswered = [...this.inflight.values()];
    for (const pending of unanswered) pending.partial = undefined;
    this.inflight.clear();
    this.queued = [...unanswered, ...this.queued];
  }

  /** Rejects the requests sent and not yet answered; those still waiting to be sent stay. */
  rejectSent(error: Error): void {
    const sent = [...this.inflight.values()];
    this.inflight.clear();
    for (const pending of sent) pending.reject(error);
  }

  rejectAll(error: Error): void {
    const all = [...this.inflight.values(), ...this.queued];
    this.inflight.clear();
    this.queued = [];
    for (const pending of all) pending.reject(error);
  }

  /** Rejects requests sent more than `timeoutMs` ago; returns when the next one would be due, if any. */
  expire(timeoutMs: number): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const [id, pending] of this.inflight) {
      const due = pending.sentAt + timeoutMs;
      if (due <= now) {
        this.inflight.delete(id);
        pending.reject(new DiscoError(ClientErrorCode.timeout, `disco did not answer a ${pending.body.op} request within ${timeoutMs} ms`));
      } else if (next === undefined || due < next) next = due;
    }
    return next;
  }

  /**
   * Takes a reply line, already checked to have `re` and `ok`. Returns false when no request
   * waits for it (the caller logs it).
   */
  onReply(re: number, fields: ReplyFields, error: { code: string; message: string } | undefined): boolean {
    const pending = this.inflight.get(re);
    if (!pending) return false;
    if (error) {
      this.inflight.delete(re);
      pending.reject(new DiscoError(error.code, error.message));
      return true;
    }
    const more = fields.more === true;
    if (more || pending.partial) {
      const part = v.safeParse(replyPartSchema, fields);
      if (!part.success) {
        this.inflight.delete(re);
        pending.reject(new DiscoError(ClientErrorCode.badReply, `disco sent an unexpected reply part: ${describeIssues(part.issues)}`));
        // Stryker disable next-line BooleanLiteral: the caller reads the result only for a reply that carries an error, which this is not
        return true;
      }
      if (!pending.partial) pending.partial = { first: fields, endpoints: [] };
      // push(...spread) would overflow the stack on a very large part.
      for (const endpoint of part.output.endpoints) pending.partial.endpoints.push(endpoint);
      // Stryker disable next-line BooleanLiteral: the caller reads the result only for a reply that carries an error, which this is not
      if (more) return true;
      fields = { ...pending.partial.first, endpoints: pending.partial.endpoints, more: false };
    }
    this.inflight.delete(re);
    try {
      pending.onReply?.(fields);
    } catch (failure) {
      pending.reject(failure as Error);
      // Stryker disable next-line BooleanLiteral: the caller reads the result only for a reply that carries an error, which this is not
      return true;
    }
    pending.resolve(fields);
    return true;
  }

  private transmit(pending: Pending): void {
    const id = this.nextId++;
    this.inflight.set(id, pending);
    pending.sentAt = this.now();
    this.write!({ ...pending.body, id } as Request);
  }
}
