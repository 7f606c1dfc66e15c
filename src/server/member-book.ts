// The members this server knows of, by session: those of its own sessions (memory), or every
// server's, as etcd has them (etcd-members.ts). Bounded in count and in bytes; pure, no I/O. Tells
// its listeners who joined, changed and left: the seam for events ("member joined / left").

import { createHash } from 'node:crypto';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { Member, MemberRecord } from '../protocol/member.ts';
import type { RegistryReason } from '../reasons.ts';

export interface MemberLimits {
  /** Members at once. */
  readonly members: number;
  /** Their records' JSON, together. */
  readonly bytes: number;
}

export const DEFAULT_MEMBER_LIMITS: MemberLimits = { members: 10_000, bytes: 64 * 1024 * 1024 };

/** A member's record as it is kept (and, with etcd, stored): with when it joined and was last stated. */
export interface StoredMember {
  readonly record: MemberRecord;
  readonly since: string;
  readonly updated: string;
}

export interface MemberEvent {
  readonly type: 'joined' | 'changed' | 'left';
  readonly member: Member;
  /** Why it left: its session's end. */
  readonly reason?: RegistryReason;
}

/**
 * The id a member is listed by: a digest of its session, so that it is stable on every server but
 * never shows the session id itself, which (without tokens) is all it takes to resume a session.
 */
export function memberId(session: string): string {
  return createHash('sha256').update(`scs member\n${session}`).digest('base64url').slice(0, 22);
}

export class MemberBook {
  private readonly members = new Map<string, { member: Member; bytes: number }>();
  private readonly listeners = new Set<(event: MemberEvent) => void>();
  private bytes = 0;

  constructor(private readonly limits: MemberLimits = DEFAULT_MEMBER_LIMITS) {}

  get size(): number {
    return this.members.size;
  }

  /** Calls `listener` for every member that joins, changes or leaves, until the returned function is called. */
  listen(listener: (event: MemberEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws `too_many_members` when `session`'s record would pass the limits; nothing changes then. */
  check(session: string, record: MemberRecord): void {
    const old = this.members.get(session);
    if (!old && this.members.size >= this.limits.members)
      throw new ProtocolError(ErrorCode.tooManyMembers, `this disco server holds its maximum of ${this.limits.members} members`);
    const bytes = this.bytes - (old?.bytes ?? 0) + sizeOf(record);
    if (bytes > this.limits.bytes)
      throw new ProtocolError(ErrorCode.tooManyMembers, `this disco server's members would pass ${this.limits.bytes} bytes together`);
  }

  /** Keeps `session`'s member, replacing its last one. */
  set(session: string, stored: StoredMember): void {
    const old = this.members.get(session);
    const member: Member = { id: memberId(session), since: old?.member.since ?? stored.since, updated: stored.updated, ...stored.record };
    const bytes = sizeOf(stored.record);
    this.members.set(session, { member, bytes });
    this.bytes += bytes - (old?.bytes ?? 0);
    this.tell({ type: old ? 'changed' : 'joined', member });
  }

  /** When `session` joined, if it is a member: kept as it is when the record is stated again. */
  since(session: string): string | undefined {
    return this.members.get(session)?.member.since;
  }

  /** Forgets `session`'s member, if it has one, for `reason` (its session's end). */
  delete(session: string, reason: RegistryReason): void {
    const old = this.members.get(session);
    if (!old) return;
    this.members.delete(session);
    this.bytes -= old.bytes;
    this.tell({ type: 'left', member: old.member, reason });
  }

  has(session: string): boolean {
    return this.members.has(session);
  }

  /** Every member, in id order: the order `members` pages in. */
  list(): Member[] {
    return [...this.members.values()].map(({ member }) => member).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private tell(event: MemberEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the book and the other listeners go on.
      }
    }
  }
}

function sizeOf(record: MemberRecord): number {
  return Buffer.byteLength(JSON.stringify(record));
}
