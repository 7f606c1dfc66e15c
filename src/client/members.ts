// A client's side of members (docs/protocol.md, `member` and `members`): stating this session's
// record, and reading every member a page at a time. The replies are checked at the edge, as any.

import type { Member, MemberRecord } from '../protocol/member.ts';
import { membersReplySchema } from '../protocol/messages.ts';
import type { DiscoClient } from './client.ts';
import { parseReply } from './inbound.ts';

/** Pages a `members` listing may take: each holds at least one member, and the server keeps at most 10,000 by default. */
const MAX_PAGES = 100_000;

/** Replaces this session's member record with `record`. */
export async function stateMember(client: Pick<DiscoClient, 'request'>, record: MemberRecord): Promise<void> {
  await client.request({ op: 'member', ...record });
}

/** Every member (whose stack, environment and service `name` matches, if given), fetched page after page. */
export async function listMembers(client: Pick<DiscoClient, 'request'>, name?: string): Promise<Member[]> {
  const members: Member[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await client.request({
      op: 'members',
      ...(name === undefined ? {} : { name }),
      ...(after === undefined ? {} : { after }),
    });
    const parsed = parseReply(membersReplySchema, reply);
    members.push(...parsed.members);
    after = parsed.next;
    if (after === undefined) break;
  }
  return members;
}
