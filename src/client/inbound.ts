// What a line from the server is: a reply (to a request, or the welcome), a push, or something
// to ignore with a warning. Checked against the protocol's schemas here, at the edge.

import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { type Line, NOT_UTF8 } from '../protocol/framing.ts';
import { pushSchema, replySchema } from '../protocol/messages.ts';
import { ClientErrorCode, DiscoError } from './types.ts';

export type Push = v.InferOutput<typeof pushSchema>;

export type Inbound =
  | { kind: 'reply'; re: number | null; fields: Record<string, unknown>; error: { code: string; message: string } | undefined }
  | { kind: 'push'; push: Push }
  | { kind: 'unreadable'; warning: string };

export function readServerLine(line: Line): Inbound {
  if (line === NOT_UTF8) return { kind: 'unreadable', warning: 'disco sent a line that is not UTF-8; ignoring it' };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { kind: 'unreadable', warning: 'disco sent a line that is not JSON; ignoring it' };
  }
  const isReply = typeof raw === 'object' && raw !== null && 're' in raw;
  const parsed = isReply ? v.safeParse(replySchema, raw) : v.safeParse(pushSchema, raw);
  if (!parsed.success)
    return { kind: 'unreadable', warning: `disco sent an unexpected message (${describeIssues(parsed.issues)}); ignoring it` };
  const message = parsed.output;
  if ('re' in message)
    return { kind: 'reply', re: message.re, fields: raw as Record<string, unknown>, error: message.ok ? undefined : message.error };
  return { kind: 'push', push: message };
}

export function parseReply<S extends v.GenericSchema>(schema: S, reply: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, reply);
  if (!parsed.success) throw new DiscoError(ClientErrorCode.badReply, `disco sent an unexpected reply: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}
