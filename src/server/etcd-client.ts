// etcd's v3 JSON gateway over HTTP(S): the few calls disco needs (leases, put, delete, range, watch).
// Chosen over the npm etcd3 package, whose last release dates from 2023 and which pulls in gRPC and
// a protobuf loader: the gateway ships with every etcd, and its JSON is validated here like any input.
// A call that cannot reach a member, or that a member refuses while it has no leader, is tried on the
// next URL until `retryMs` has passed. The first URL is home (disco's own host's member): away from it,
// the client goes back once it answers with a majority behind it, so that one outage does not leave it
// leaning on a member across a link that may be cut next. A watch moves with the calls, and off a
// member that went quiet. With a user, each call carries the token etcd's /v3/auth/authenticate gave
// for its password, asked for again when etcd no longer takes it.

import * as v from 'valibot';
import { EtcdHttp, type EtcdTls } from './etcd-http.ts';
import {
  AuthenticateReply,
  b64,
  GrantReply,
  KeepAliveReply,
  type KeyValue,
  RangeReply,
  readWatch,
  STALE_TOKEN,
  TxnReply,
  toKeyValue,
  type WatchEvent,
  WriteReply,
} from './etcd-wire.ts';

export type { KeyValue, WatchEvent } from './etcd-wire.ts';

export interface Watching {
  /** Resolves when the stream ends, with why; never rejects. */
  readonly ended: Promise<string>;
  cancel(): void;
}

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

interface PendingPut {
  readonly put: { key: string; value: string; lease: string };
  resolve(revision: number): void;
  reject(error: Error): void;
}

/** etcd's default `--max-txn-ops`. */
const MAX_TXN_OPS = 128;
/** How long one attempt of a call waits for a member before trying the next. */
const ATTEMPT_MS = 3000;
/**
 * A lease renewal, and the check of a member, wait less: a renewal may be sent twice safely, and a
 * lease lives only a few seconds (the heartbeat timeout plus the grace), which a silent member must
 * not use up.
 */
const QUICK_ATTEMPT_MS = 1000;
/** How often home is asked while away from it, and the member of a quiet watch (nothing heard for QUIET_MS). */
const CHECK_MS = 1000;
const QUIET_MS = 2000;
/** A read of one key that is never written: whether a member answers, with a majority behind it. */
const READY_PROBE = { key: b64('/scs/ready'), limit: 1 };

export class EtcdClient {
  private current = 0;
  private batch: PendingPut[] = [];
  /** Open watches, and the member each is on. */
  private readonly watches = new Map<AbortController, string>();
  /** When each member last answered. */
  private readonly heard = new Map<string, number>();
  private checkTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
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

  /** The member calls go to now. */
  get member(): string {
    return this.urls[this.current]!;
  }

  /** The members the open watches are on. */
  get watchingOn(): string[] {
    return [...this.watches.values()];
  }

  /** Lets go of the connections kept open. */
  close(): void {
    this.closed = true;
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    this.http.close();
  }

  async grant(ttlSeconds: number): Promise<string> {
    return v.parse(GrantReply, await this.call('/v3/lease/grant', { TTL: ttlSeconds })).ID;
  }

  /** Renews a lease; false when etcd no longer has it. */
  async keepAlive(lease: string): Promise<boolean> {
    const reply = await this.call('/v3/lease/keepalive', { ID: lease }, QUICK_ATTEMPT_MS);
    return Number(v.parse(KeepAliveReply, reply).result.TTL) > 0;
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

  /**
   * Writes `puts` (without a lease) in one transaction, if each key of `expected` is at its version
   * (0: absent). Written: etcd's revision, and each key as it was before (undefined if it was not).
   * Not written: the expected keys as they are now.
   */
  async putIf(
    expected: ReadonlyArray<{ key: string; version: number }>,
    puts: ReadonlyArray<{ key: string; value: string }>,
  ): Promise<{ written: true; revision: number; before: Array<KeyValue | undefined> } | { written: false; now: KeyValue[] }> {
    const body = {
      compare: expected.map(({ key, version }) => ({ key: b64(key), target: 'VERSION', result: 'EQUAL', version: String(version) })),
      success: puts.map(({ key, value }) => ({ request_put: { key: b64(key), value: b64(value), prev_kv: true } })),
      failure: expected.map(({ key }) => ({ request_range: { key: b64(key) } })),
    };
    const reply = v.parse(TxnReply, await this.call('/v3/kv/txn', body));
    if (!reply.succeeded)
      return { written: false, now: reply.responses.flatMap((response) => response.response_range?.kvs ?? []).map(toKeyValue) };
    const before = reply.responses.map(({ response_put }) => (response_put?.prev_kv ? toKeyValue(response_put.prev_kv) : undefined));
    return { written: true, revision: Number(reply.header.revision), before };
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
    await this.call('/v3/kv/range', READY_PROBE);
  }

  /**
   * Watches every key under `prefix` from `fromRevision` on, on one member. `ended` tells why the
   * stream stopped ("compacted" when etcd no longer has that revision): the caller reads again.
   */
  watch(prefix: string, fromRevision: number, onEvents: (events: WatchEvent[]) => void): Watching {
    const abort = new AbortController();
    const url = this.urls[this.current]!;
    const body = { create_request: { key: b64(prefix), range_end: prefixEnd(prefix), start_revision: String(fromRevision) } };
    this.watches.set(abort, url);
    this.startChecks();
    const ended = (async () => {
      try {
        // `hasleader`: a member cut off from the others cancels the watch rather than going quiet.
        const headers = { 'Grpc-Metadata-Hasleader': 'true', ...(await this.authorization(url)) };
        const response = await this.http.open(url, '/v3/watch', body, headers, abort.signal);
        if (response.statusCode !== 200) {
          response.destroy();
          return `watch refused: HTTP ${response.statusCode}`;
        }
        return await readWatch(
          response,
          (events) => {
            this.heard.set(url, Date.now());
            onEvents(events);
          },
          () => {
            this.token = undefined;
          },
        );
      } catch (error) {
        if (!abort.signal.aborted) return `watch lost: ${(error as Error).message}`;
        return typeof abort.signal.reason === 'string' ? abort.signal.reason : 'canceled';
      } finally {
        // Ended by etcd or the network, the next watch goes elsewhere; moved or canceled, it was decided already.
        if (!abort.signal.aborted) this.failover(url);
        abort.abort();
        this.watches.delete(abort);
      }
    })();
    return { ended, cancel: () => abort.abort() };
  }

  /** Moves on from `url`, unless another call already did; its watches move too. */
  private failover(url: string): void {
    if (this.urls[this.current] === url) this.current = (this.current + 1) % this.urls.length;
    this.moveWatches((on) => on === url, `etcd member ${url} stopped answering`);
    this.startChecks();
  }

  /** Ends the watches on the members `leave` picks, with `why`: their owners watch again, on the current member. */
  private moveWatches(leave: (url: string) => boolean, why: string): void {
    for (const [abort, on] of this.watches) if (leave(on)) abort.abort(why);
  }

  /** Runs the member checks while there is something to check: away from home, or a watch open. */
  private startChecks(): void {
    if (this.checkTimer || this.closed) return;
    this.checkTimer = setInterval(() => void this.check(), CHECK_MS);
    this.checkTimer.unref();
  }

  private async check(): Promise<void> {
    const home = this.urls[0]!;
    if (this.current === 0 && this.watches.size === 0) {
      clearInterval(this.checkTimer);
      this.checkTimer = undefined;
      return;
    }
    if (this.checking) return;
    this.checking = true;
    try {
      if (this.current !== 0 && (await this.answers(home))) {
        this.current = 0;
        this.moveWatches((on) => on !== home, `back to etcd member ${home}`);
      }
      const quiet = new Set([...this.watches.values()].filter((url) => Date.now() - (this.heard.get(url) ?? 0) >= QUIET_MS));
      for (const url of quiet) if (!(await this.answers(url))) this.failover(url);
    } finally {
      this.checking = false;
    }
  }

  /** Whether `url` answers a read that needs a majority behind it. */
  private async answers(url: string): Promise<boolean> {
    try {
      await this.ask(url, '/v3/kv/range', READY_PROBE, QUICK_ATTEMPT_MS);
      return true;
    } catch {
      this.stats.errors++;
      return false;
    }
  }

  private async call(path: string, body: unknown, attemptMs = ATTEMPT_MS): Promise<unknown> {
    const deadline = Date.now() + this.retryMs;
    for (let attempt = 0; ; attempt++) {
      const url = this.urls[this.current]!;
      let why: string;
      try {
        // No attempt outlives the deadline: a call gives up within `retryMs`, whatever member it is on
        // (a minority's write must be `unavailable` before the partition may have healed).
        return await this.ask(url, path, body, Math.min(attemptMs, Math.max(100, deadline - Date.now())));
      } catch (error) {
        this.stats.errors++;
        if (error instanceof EtcdRefusal) throw error;
        why = (error as Error).message;
      }
      this.failover(url);
      // Stryker disable next-line EqualityOperator: one millisecond sooner or later to give up: no test can hold the clock to that
      if (Date.now() > deadline) throw new Error(`etcd at ${this.urls.join(', ')} did not answer: ${why}`);
      if (attempt % this.urls.length === this.urls.length - 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * One request to one member: its reply, an EtcdRefusal when etcd said no, or any other error when
   * the member did not answer, or has no leader. A token etcd forgot (it expired) is asked for again,
   * once, on the same member.
   */
  private async ask(url: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    for (let renewed = false; ; renewed = true) {
      const headers = await this.authorization(url);
      this.stats.roundTrips++;
      const { status, body: reply } = await this.http.json(url, path, body, headers, AbortSignal.timeout(timeoutMs));
      const { code, error } = reply as { code?: number; error?: unknown };
      if (status >= 200 && status < 300 && code === undefined && error === undefined) {
        this.heard.set(url, Date.now());
        return reply;
      }
      const why = complaint(reply, status);
      if (!renewed && headers.authorization !== undefined && STALE_TOKEN.test(why)) {
        this.token = undefined;
        continue;
      }
      if (!retryable(code, why)) throw new EtcdRefusal(`etcd: ${why}`);
      throw new Error(why);
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
