// What etcd's v3 JSON gateway sends back, checked like any input: the replies disco reads, keys and
// values (base64 on the wire), and the lines of a watch stream.

import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { MAX_REPLY_BYTES } from './etcd-http.ts';

const Int = v.pipe(
  v.union([v.string(), v.number()]),
  v.transform((value) => String(value)),
);
const Header = v.object({ revision: v.optional(Int, '0') });
const WireKeyValue = v.object({
  key: v.string(),
  value: v.optional(v.string(), ''),
  mod_revision: v.optional(Int, '0'),
  lease: v.optional(Int, '0'),
  version: v.optional(Int, '0'),
});
export const RangeReply = v.object({ header: Header, kvs: v.optional(v.array(WireKeyValue), []) });
export const WriteReply = v.object({ header: Header });
/** A transaction's answer: whether its comparisons held, and what each operation of the branch taken answered. */
export const TxnReply = v.object({
  header: Header,
  succeeded: v.optional(v.boolean(), false),
  responses: v.optional(
    v.array(
      v.object({
        response_put: v.optional(v.object({ prev_kv: v.optional(WireKeyValue) })),
        response_range: v.optional(v.object({ kvs: v.optional(v.array(WireKeyValue), []) })),
      }),
    ),
    [],
  ),
});
export const AuthenticateReply = v.object({ token: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) });
export const GrantReply = v.object({ ID: Int, TTL: v.optional(Int, '0') });
export const KeepAliveReply = v.object({ result: v.object({ TTL: v.optional(Int, '0') }) });
const WatchLine = v.object({
  result: v.optional(
    v.object({
      created: v.optional(v.boolean()),
      canceled: v.optional(v.boolean()),
      compact_revision: v.optional(Int),
      events: v.optional(v.array(v.object({ type: v.optional(v.string(), 'PUT'), kv: WireKeyValue })), []),
    }),
  ),
  error: v.optional(v.unknown()),
});

/** etcd's words for a token it no longer knows (expired, or from before a restart). */
export const STALE_TOKEN = /invalid auth token/i;

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly lease: string;
  /** How many times the key was written since it was created (1 for its first write); absent when etcd did not say. */
  readonly version?: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
}

export const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
export const toKeyValue = (kv: v.InferOutput<typeof WireKeyValue>): KeyValue => ({
  key: unb64(kv.key),
  value: unb64(kv.value),
  modRevision: Number(kv.mod_revision),
  lease: kv.lease,
  ...(kv.version === '0' ? {} : { version: Number(kv.version) }),
});

/**
 * Reads a watch stream to its end, handing each batch of events over; resolves with why it ended
 * ("compacted" when etcd no longer has the revision asked for). `staleToken` hears of a token etcd
 * no longer takes.
 */
export async function readWatch(
  response: IncomingMessage,
  onEvents: (events: WatchEvent[]) => void,
  staleToken: () => void,
): Promise<string> {
  response.setEncoding('utf8');
  let buffer = '';
  for await (const chunk of response as AsyncIterable<string>) {
    buffer += chunk;
    if (buffer.length > MAX_REPLY_BYTES) return `watch failed: a line over ${MAX_REPLY_BYTES} bytes`;
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      if (!line) continue;
      const parsed = v.safeParse(WatchLine, JSON.parse(line));
      if (!parsed.success || parsed.output.error !== undefined) {
        if (STALE_TOKEN.test(line)) staleToken();
        return `watch failed: ${line.slice(0, 200)}`;
      }
      const result = parsed.output.result;
      if (!result) continue;
      if (result.compact_revision !== undefined && Number(result.compact_revision) > 0) return 'compacted';
      if (result.canceled) return 'watch canceled';
      onEvents(
        result.events.map((event) => ({
          type: event.type === 'DELETE' ? ('delete' as const) : ('put' as const),
          kv: toKeyValue(event.kv),
        })),
      );
    }
  }
  return 'watch stream ended';
}
