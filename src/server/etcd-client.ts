// etcd's v3 JSON gateway over HTTP(S): the few calls disco needs (leases, put, delete, range, watch).
// Chosen over the npm etcd3 package, whose last release dates from 2023 and which pulls in gRPC and
// a protobuf loader: the gateway ships with every etcd, and its JSON is validated here like any input.
// A call that cannot reach a member, or that a member refuses while it has no leader, is tried on the
// next URL until `retryMs` has passed. With a user, each call carries the token etcd's
// /v3/auth/authenticate gave for its password, asked for again when etcd no longer takes it.

import * as v from 'valibot';
import { EtcdHttp, type EtcdTls, MAX_REPLY_BYTES } from './etcd-http.ts';

const Int = v.pipe(
  v.union([v.string(), v.number()]),
  v.transform((value) => String(value)),
);
const Header = v.object({ revision: v.optional(Int, '0') });
const KeyValue = v.object({
  key: v.string(),
  value: v.optional(v.string(), ''),
  mod_revision: v.optional(Int, '0'),
  lease: v.optional(Int, '0'),
});
const RangeReply = v.object({ header: Header, kvs: v.optional(v.array(KeyValue), []) });
const WriteReply = v.object({ header: Header });
const AuthenticateReply = v.object({ token: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) });
const GrantReply = v.object({ ID: Int, TTL: v.optional(Int, '0') });
const KeepAliveReply = v.object({ result: v.object({ TTL: v.optional(Int, '0') }) });
const WatchLine = v.object({
  result: v.optional(
    v.object({
      created: v.optional(v.boolean()),
      canceled: v.optional(v.boolean()),
      compact_revision: v.optional(Int),
      events: v.optional(v.array(v.object({ type: v.optional(v.string(), 'PUT'), kv: KeyValue })), []),
    }),
  ),
  error: v.optional(v.unknown()),
});

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly lease: string;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
}

export interface Watching {
  /** Resolves when the stream ends, with why; never rejects. */
  readonly ended: Promise<string>;
  cancel(): void;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
const toKeyValue = (kv: v.InferOutput<typeof KeyValue>): KeyValue => ({
  key: unb64(kv.key),
  value: unb64(kv.value),
  modRevision: Number(kv.mod_revision),
  lease: kv.lease,
});

/** The end of the key range that holds every key starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  bytes[bytes.length - 1]!++;
  return bytes.toString('base64');
}

/** etcd answered, and said no: retrying elsewhere would not help. */
export class EtcdRefusal extends Error {
  override readonly name = 'EtcdRefusal';
}

/** How disco proves itself to etcd: a client certificate (with the CA to trust), a user and password, or both. */
export interface EtcdAccess {
  readonly tls?: EtcdTls;
  readonly user?: string;
  readonly password?: string;
}

/** etcd's words for a token it no longer knows (expired, or from before a restart). */
const STALE_TOKEN = /invalid auth token/i;

interface PendingPut {
  readonly put: { key: string; value: string; lease: string };
  resolve(revision: number): void;
  reject(error: Error): void;
}

/** etcd's default `--max-txn-ops`. */
const MAX_TXN_OPS = 128;

export class EtcdClient {
  private current = 0;
  private batch: PendingPut[] = [];
  private readonly http: EtcdHttp;
  /** The auth token being asked for, or given; unset until a call needs one, and after etcd refused it. */
  private token: Promise<string> | undefined;
  /** Requests sent to a member, and those that failed (refused, timed out, unreachable): read by the metrics. */
  readonly stats = { roundTrips: 0, errors: 0 };

  constructor(
    readonly urls: readonly string[],
    private readonly retryMs = 10_000,
    private readonly access: EtcdAccess = {},
  ) {
    if (urls.length === 0) throw new Error('expected at least one etcd URL');
    this.http = new EtcdHttp(access.tls);
  }

  /** Lets go of the connections kept open. */
  close(): void {
    this.http.close();
  }

  async grant(ttlSeconds: number): Promise<string> {
    return v.parse(GrantReply, await this.call('/v3/lease/grant', { TTL: ttlSeconds })).ID;
  }

  /** Renews a lease; false when etcd no longer has it. */
  async keepAlive(lease: string): Promise<boolean> {
    return Number(v.parse(KeepAliveReply, await this.call('/v3/lease/keepalive', { ID: lease })).result.TTL) > 0;
  }

  async revoke(lease: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: lease });
    } catch (error) {
      if (!(error instanceof EtcdRefusal)) throw error; // A lease already gone is revoked enough.
    }
  }

  /**
   * Writes a key under a lease; resolves with the revision of the write. Puts made in the same turn
   * of the event loop go in one transaction (up to etcd's 128 operations): one raft entry, not many.
   */
  put(key: string, value: string, lease: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.batch.push({ put: { key: b64(key), value: b64(value), lease }, resolve, reject });
      // Stryker disable next-line ConditionalExpression: the first flush takes the whole batch; the others find it empty and send nothing
      if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const puts = this.batch.splice(0);
    for (let at = 0; at < puts.length; at += MAX_TXN_OPS) void this.commit(puts.slice(at, at + MAX_TXN_OPS));
  }

  private async commit(puts: PendingPut[]): Promise<void> {
    try {
      const body = puts.length === 1 ? puts[0]!.put : { success: puts.map(({ put }) => ({ request_put: put })) };
      const revision = Number(v.parse(WriteReply, await this.call(puts.length === 1 ? '/v3/kv/put' : '/v3/kv/txn', body)).header.revision);
      for (const put of puts) put.resolve(revision);
    } catch (error) {
      // One put under a lease etcd lost fails its whole transaction: the others are tried one by one.
      if (error instanceof EtcdRefusal && puts.length > 1) for (const put of puts) void this.commit([put]);
      else for (const put of puts) put.reject(error as Error);
    }
  }

  async delete(key: string): Promise<number> {
    return Number(v.parse(WriteReply, await this.call('/v3/kv/deleterange', { key: b64(key) })).header.revision);
  }

  /** Every key under `prefix`, and the revision they were read at. */
  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const reply = v.parse(RangeReply, await this.call('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) }));
    return { kvs: reply.kvs.map(toKeyValue), revision: Number(reply.header.revision) };
  }

  /** Reads one key that is never written: whether etcd answers at all (disco's /ready). */
  async ping(): Promise<void> {
    await this.call('/v3/kv/range', { key: b64('/scs/ready'), limit: 1 });
  }

  /**
   * Watches every key under `prefix` from `fromRevision` on, on one member. `ended` tells why the
   * stream stopped ("compacted" when etcd no longer has that revision): the caller reads again.
   */
  watch(prefix: string, fromRevision: number, onEvents: (events: WatchEvent[]) => void): Watching {
    const abort = new AbortController();
    const url = this.urls[this.current]!;
    const body = { create_request: { key: b64(prefix), range_end: prefixEnd(prefix), start_revision: String(fromRevision) } };
    const ended = (async () => {
      try {
        // `hasleader`: a member cut off from the others cancels the watch rather than going quiet.
        const headers = { 'Grpc-Metadata-Hasleader': 'true', ...(await this.authorization(url)) };
        const response = await this.http.open(url, '/v3/watch', body, headers, abort.signal);
        if (response.statusCode !== 200) {
          response.destroy();
          return `watch refused: HTTP ${response.statusCode}`;
        }
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
              if (STALE_TOKEN.test(line)) this.token = undefined;
              return `watch failed: ${line.slice(0, 200)}`;
            }
            const result = parsed.output.result;
            if (!result) continue;
            if (result.compact_revision !== undefined && Number(result.compact_revision) > 0) return 'compacted';
            if (result.canceled) return 'watch canceled';
            const events = result.events.map((event) => ({
              type: event.type === 'DELETE' ? ('delete' as const) : ('put' as const),
              kv: toKeyValue(event.kv),
            }));
            onEvents(events);
          }
        }
        return 'watch stream ended';
      } catch (error) {
        return abort.signal.aborted ? 'canceled' : `watch lost: ${(error as Error).message}`;
      } finally {
        abort.abort();
        this.failover(url);
      }
    })();
    return { ended, cancel: () => abort.abort() };
  }

  /** Moves on from `url`, unless another call already did. */
  private failover(url: string): void {
    if (this.urls[this.current] === url) this.current = (this.current + 1) % this.urls.length;
  }

  private async call(path: string, body: unknown): Promise<unknown> {
    const deadline = Date.now() + this.retryMs;
    for (let attempt = 0, renewed = false; ; attempt++) {
      const url = this.urls[this.current]!;
      let why: string;
      try {
        const headers = await this.authorization(url);
        this.stats.roundTrips++;
        const { status, body: reply } = await this.http.json(url, path, body, headers, AbortSignal.timeout(3000));
        const { code, error } = reply as { code?: number; error?: unknown };
        if (status >= 200 && status < 300 && code === undefined && error === undefined) return reply;
        this.stats.errors++;
        why = complaint(reply, status);
        // A token etcd forgot (it expired) is asked for again, once a call, on the same member.
        if (!renewed && headers.authorization !== undefined && STALE_TOKEN.test(why)) {
          renewed = true;
          this.token = undefined;
          attempt--;
          continue;
        }
        if (!retryable(code, why)) throw new EtcdRefusal(`etcd: ${why}`);
      } catch (error) {
        if (error instanceof EtcdRefusal) throw error;
        this.stats.errors++;
        why = (error as Error).message;
      }
      this.failover(url);
      // Stryker disable next-line EqualityOperator: one millisecond sooner or later to give up: no test can hold the clock to that
      if (Date.now() > deadline) throw new Error(`etcd at ${this.urls.join(', ')} did not answer: ${why}`);
      if (attempt % this.urls.length === this.urls.length - 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The header that carries the auth token, asking etcd for one first if need be; none without a user. */
  private async authorization(url: string): Promise<{ authorization?: string }> {
    const { user, password = '' } = this.access;
    if (user === undefined) return {};
    const asked = (this.token ??= this.authenticate(url, user, password));
    try {
      return { authorization: await asked };
    } catch (error) {
      if (this.token === asked) this.token = undefined;
      throw error;
    }
  }

  private async authenticate(url: string, name: string, password: string): Promise<string> {
    const { status, body } = await this.http.json(url, '/v3/auth/authenticate', { name, password }, {}, AbortSignal.timeout(3000));
    const parsed = v.safeParse(AuthenticateReply, body);
    if (status >= 200 && status < 300 && parsed.success) return parsed.output.token;
    const why = complaint(body, status);
    if (retryable((body as { code?: number }).code, why)) throw new Error(why);
    throw new EtcdRefusal(`etcd: cannot log in as ${name}: ${why}`);
  }
}

/**
 * What a member said went wrong, in its words: `message`, or `error` as a string or (the gateway's
 * streamed calls, such as a lease's keepalive) an object with its own message.
 */
function complaint(reply: unknown, status: number): string {
  const { message, error } = (reply ?? {}) as { message?: unknown; error?: unknown };
  const said = [message, error, (error as { message?: unknown } | undefined)?.message].find((each) => typeof each === 'string');
  return (said as string | undefined) ?? `HTTP ${status}`;
}

/** 14 (unavailable), 4 (deadline) and "no leader" pass with an election; anything else is a refusal. */
function retryable(code: number | undefined, why: string): boolean {
  return code === 14 || code === 4 || /leader|timed out|unavailable/i.test(why);
}
