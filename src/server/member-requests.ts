// The `member` and `members` requests: a session states its member record, and an observer reads the
// members a page at a time. Who may do which is the token's word (scopes.ts); where members are kept
// is the backend's (memory, or etcd under the session's lease).

import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { MemberRecord } from '../protocol/member.ts';
import { memberMatches } from '../protocol/member.ts';
import type { Request } from '../protocol/messages.ts';
import type { Backend, Outcome } from './backend.ts';
import type { LaterReply, Reply } from './later-reply.ts';
import { MemberBook, type MemberLimits } from './member-book.ts';
import { PART_BYTES } from './parts.ts';
import { EVERY_NAME, forbidden } from './scopes.ts';
import type { Session } from './session.ts';

type MemberRequest = Extract<Request, { op: 'member' }>;
type MembersRequest = Extract<Request, { op: 'members' }>;

/** The server's members: the book (whose `listen` hears who joins and leaves) and the requests on it. */
export class MemberRequests {
  readonly book: MemberBook;

  constructor(
    private readonly backend: Backend,
    limits: MemberLimits,
  ) {
    this.book = new MemberBook(limits);
  }

  /** A `member` or `members` request, answered now, or (a member stored in etcd) once the store has it. */
  handle(session: Session, request: MemberRequest | MembersRequest): Reply | string | LaterReply {
    if (request.op === 'members') return this.pageLine(session, request);
    const stored = this.state(session, request);
    return stored instanceof Promise ? stored.then(() => ({ reply: {}, changes: [] })) : {};
  }

  /** Stores the session's record, replacing its last; the reply waits on the store (etcd). */
  state(session: Session, request: MemberRequest): Outcome<void> {
    const { op: _op, id: _id, ...record } = request;
    this.authorize(session, record);
    this.book.check(session.id, record);
    const now = new Date().toISOString();
    return this.backend.stateMember(session.id, { record, since: this.book.since(session.id) ?? now, updated: now });
  }

  /** One page of the members `request.name` matches, as a reply line, newline included. */
  pageLine(session: Session, request: MembersRequest): string {
    const pattern = request.name ?? EVERY_NAME;
    if (session.scope && !session.scope.mayObserve(pattern)) throw forbidden('observe', pattern, session.scope);
    const after = request.after;
    if (after !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(after))
      throw new ProtocolError(ErrorCode.badRequest, 'after: expected a cursor from a "next" field');
    const members = this.book.list().filter((member) => (after === undefined || member.id > after) && memberMatches(member, pattern));
    const page: string[] = [];
    let bytes = 0;
    for (const member of members) {
      const json = JSON.stringify(member);
      const size = Buffer.byteLength(json) + 1;
      // A member's record is at most 64 KiB, so a page of one stays well within a server line.
      if (page.length > 0 && bytes + size > PART_BYTES) break;
      page.push(json);
      bytes += size;
    }
    const last = members[page.length - 1];
    const next = page.length < members.length && last ? `,"next":${JSON.stringify(last.id)}` : '';
    return `{"re":${request.id},"ok":true,"members":[${page.join(',')}]${next}}\n`;
  }

  /**
   * A member tells observers what it provides and requires: a session may state only names its token
   * lets it provide and require, and a token that may do neither (an observer's) may state no member.
   */
  private authorize(session: Session, record: MemberRecord): void {
    const scope = session.scope;
    if (!scope) return;
    if (scope.provide.length === 0 && scope.require.length === 0)
      throw new ProtocolError(
        ErrorCode.forbidden,
        "this session's token may neither provide nor require anything, so it may state no member",
      );
    for (const service of record.services) {
      for (const { name } of service.provides) if (!scope.mayProvide(name)) throw forbidden('provide', name, scope);
      for (const { name } of service.requires) if (!scope.mayRequire(name)) throw forbidden('require', name, scope);
    }
  }
}
