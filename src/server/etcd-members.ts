// The members kept in etcd, mirrored into this server's MemberBook: each under
//   <prefix>m/<session>   {"record", "since", "updated"}
// with its session's lease, so that it goes when the session does, by the same heartbeat and grace
// as its provisions. What etcd holds is read with the wire's own schema: anyone who can write to etcd
// is one more client, and nothing a client could not state reaches an observer.

import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { MemberRecordSchema } from '../protocol/member.ts';
import type { RegistryReason } from '../reasons.ts';
import type { WatchEvent } from './etcd-client.ts';
import type { MemberBook, StoredMember } from './member-book.ts';

const ISO_TIME = 'expected a time like "2026-01-01T00:00:00.000Z"';
const IsoTime = v.pipe(v.string(ISO_TIME), v.isoTimestamp(ISO_TIME));
const StoredMemberSchema = v.strictObject({ record: MemberRecordSchema, since: IsoTime, updated: IsoTime });
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;

export class EtcdMembers {
  /** The etcd keys of the members mirrored, so that a full read without one lets it go. */
  private readonly keys = new Set<string>();

  constructor(
    private readonly prefix: string,
    private readonly book: MemberBook,
  ) {}

  /** The key `session`'s member is kept under. */
  keyOf(session: string): string {
    return `${this.prefix}m/${session}`;
  }

  mirrored(): Iterable<string> {
    return this.keys;
  }

  /**
   * Applies one event on a key under `<prefix>m/`; returns why it was skipped, if it was. A member
   * that goes, goes for its session's reason (`reasonOf`).
   */
  apply(event: WatchEvent, reasonOf: (session: string) => RegistryReason): string | undefined {
    const session = event.kv.key.slice(this.prefix.length + 2);
    const read = event.type === 'put' ? this.read(session, event) : undefined;
    // A record that breaks the rules replaces the last one all the same: what it said is no longer so.
    if (!read || typeof read === 'string') {
      this.keys.delete(event.kv.key);
      this.book.delete(session, reasonOf(session));
      return read;
    }
    this.keys.add(event.kv.key);
    this.book.set(session, read);
    return undefined;
  }

  private read(session: string, event: WatchEvent): StoredMember | string {
    if (!SESSION.test(session)) return 'expected a session identifier after m/';
    // A key etcd keeps for good would outlive every session.
    if (event.kv.lease === '0') return 'it has no lease';
    let json: unknown;
    try {
      json = JSON.parse(event.kv.value);
    } catch {
      return 'its value is not JSON';
    }
    const parsed = v.safeParse(StoredMemberSchema, json);
    if (!parsed.success) return describeIssues(parsed.issues);
    try {
      this.book.check(session, parsed.output.record);
    } catch (error) {
      return (error as Error).message;
    }
    return parsed.output;
  }
}
