// The registry kept in etcd, for several disco servers at once. A session is an etcd lease whose TTL
// is the heartbeat timeout plus the grace; each provision is a key under its session's lease:
//   <prefix>s/<session>           {"lease", "server", "client"}
//   <prefix>p/<name>/<provision>  {"session", "key", "host", "port", "protocol", "attrs"}
//   <prefix>m/<session>           the session's member (etcd-members.ts)
//   <prefix>placement/<service>   a service's placement, without a lease (etcd-placements.ts)
//   <prefix>instances/<service>   a service's replicas and drains, without a lease (etcd-instances.ts)
// Every server watches the prefix and keeps its in-memory Registry as a mirror of it, so fan-out,
// acks, resync, patterns and DNS work unchanged on every server. The server holding a session's
// connection keeps its lease alive; when a server dies, its leases run out unless the clients
// resume their sessions on another server, which adopts the lease.

import { randomBytes } from 'node:crypto';
import type { ConsolaInstance } from 'consola';
import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import type { ProvideInput, Registry } from '../registry/registry.ts';
import type { Cause, Change } from '../registry/types.ts';
import type { BackendHooks } from './backend.ts';
import { DropCauses } from './etcd-causes.ts';
import { type EtcdClient, EtcdRefusal, type KeyValue, type WatchEvent, type Watching } from './etcd-client.ts';
import { EtcdMembers } from './etcd-members.ts';
import { EtcdProvisions } from './etcd-provisions.ts';
import { Ident, type KeyMirror, readProvision, SessionValue, type StoredProvision, safeJson } from './etcd-values.ts';
import { MemberBook, type StoredMember } from './member-book.ts';
import { ServerPresence } from './server-presence.ts';

export interface EtcdRegistryOptions {
  /** Keys live under it; servers sharing one prefix share one registry. */
  prefix: string;
  /** A session's lease TTL: the heartbeat timeout plus the grace. */
  ttlMs: number;
  logger: ConsolaInstance;
}

/** Why the provisions of a session went, for the deletes one batch applies. */
type CauseOf = (session: string) => Cause;

export class EtcdRegistry {
  /** Names this server in the session keys it holds. */
  readonly serverId = randomBytes(6).toString('base64url');
  private registry: Registry | undefined;
  private hooks: BackendHooks | undefined;
  private members: EtcdMembers | undefined;
  private mirrors: readonly KeyMirror[] = [];
  private readonly causes = new DropCauses(this.serverId);
  private readonly presence = new ServerPresence(this.serverId, (server, joined) => this.hooks?.presence?.(server, joined));
  private readonly provisions: EtcdProvisions;
  private readonly sessions = new Map<string, v.InferOutput<typeof SessionValue>>();
  /** Keys this server is writing: their watch events are applied when the write answers, so the reply comes first. */
  private readonly pending = new Set<string>();
  private readonly kept = new Set<string>();
  /** The revision each mirrored key but a provision's (EtcdProvisions has those) was last written at. */
  private readonly modRevisions = new Map<string, number>();
  /**
   * Keys deleted, and when: so that an older put still on its way (the watch lagging behind a
   * server's own delete, a full read racing the watch, or the answer to a put the watch saw
   * deleted) is not taken for new. Kept until `forgetTombstones` lets them go.
   */
  private readonly tombstones = new Map<string, number>();
  private reading = 0;
  private revision = 0;
  private watching: Watching | undefined;
  private keepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private nextId = 1;

  constructor(
    private readonly etcd: EtcdClient,
    private readonly options: EtcdRegistryOptions,
  ) {
    this.provisions = new EtcdProvisions(options.prefix);
  }

  private get ttlSeconds(): number {
    return Math.max(1, Math.ceil(this.options.ttlMs / 1000));
  }

  /** Reads the prefix into `registry` (and the books of `mirrors`), then follows it. */
  async start(registry: Registry, hooks: BackendHooks, mirrors: readonly KeyMirror[] = []): Promise<void> {
    this.registry = registry;
    this.hooks = hooks;
    this.mirrors = mirrors;
    this.members = new EtcdMembers(this.options.prefix, hooks.members ?? new MemberBook());
    await this.resync();
    void this.follow();
    this.keepTimer = setInterval(() => this.keepAlive(), Math.max(100, (this.ttlSeconds * 1000) / 3));
    this.keepTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.keepTimer);
    this.watching?.cancel();
  }

  /** Grants a new session its lease; `owner` is the digest of the token that opened it ('' without tokens). */
  async open(session: string, client: string, owner = ''): Promise<void> {
    const lease = await this.etcd.grant(this.ttlSeconds);
    await this.writeSession(session, { lease, server: this.serverId, client, owner });
    this.kept.add(session);
  }

  /**
   * Takes over a session another server held, if its lease is still alive and `owner` opened it:
   * the provisions it had, with their keys.
   */
  async adopt(session: string, owner = ''): Promise<Array<{ id: string; key: string | undefined }> | undefined> {
    const known = this.sessions.get(session);
    if (!known || known.owner !== owner || !(await this.etcd.keepAlive(known.lease))) return undefined;
    await this.writeSession(session, { ...known, server: this.serverId });
    this.kept.add(session);
    return this.provisions.ofSession(session);
  }

  /** The session's connection is back: its lease is kept alive again. */
  attached(session: string): void {
    if (this.sessions.get(session)?.server === this.serverId) this.kept.add(session);
  }

  /** The session lost its connection: one last renewal, so the lease outlives the grace, and no more. */
  detached(session: string): void {
    if (!this.kept.delete(session)) return;
    const lease = this.sessions.get(session)?.lease;
    if (lease) this.etcd.keepAlive(lease).catch((error: Error) => this.options.logger.warn(`lease renewal failed: ${error.message}`));
  }

  /** Ends a session: its lease is revoked (so its keys go at once), unless another server holds it now. */
  async end(session: string, cause: Cause = { reason: 'goodbye' }): Promise<void> {
    this.kept.delete(session);
    const known = this.sessions.get(session);
    if (known?.server !== this.serverId) return;
    // The mirror can be behind: cut off from etcd's majority, this server never saw another take the
    // session over, and revoking on its word would drop what that server keeps alive. etcd says.
    const key = this.sessionKey(session);
    const stored = (await this.etcd.range(key)).kvs.find((kv) => kv.key === key);
    const holder = stored && v.safeParse(SessionValue, safeJson(stored.value));
    if (holder?.success && holder.output.server !== this.serverId) return;
    this.causes.end(session, cause);
    await this.etcd.revoke(known.lease).catch((error: unknown) => {
      this.causes.forget(session);
      throw error;
    });
  }

  async provide(input: ProvideInput & { key: string | undefined }): Promise<{ id: string; changes: Change[] }> {
    const known = this.sessions.get(input.owner);
    if (!known) throw new Error(`session ${input.owner} has no lease`);
    const id = `${this.serverId}${(this.nextId++).toString(36)}`;
    const etcdKey = this.provisions.keyFor(input.name, id);
    const { host, port, protocol } = input.address;
    const value = JSON.stringify({ session: input.owner, key: input.key, host, port, protocol, attrs: input.attributes });
    this.pending.add(etcdKey);
    try {
      const modRevision = await this.etcd.put(etcdKey, value, known.lease);
      const kv = { key: etcdKey, value, modRevision, lease: known.lease };
      return { id, changes: this.apply({ type: 'put', kv }, undefined, { ...input, id }) };
    } catch (error) {
      // A put that timed out may have been written all the same, and its watch event was skipped: read again.
      if (!(error instanceof EtcdRefusal)) void this.resync().catch(() => {});
      throw error;
    } finally {
      this.pending.delete(etcdKey);
    }
  }

  /** Stores `session`'s member under its lease; the mirror has it once etcd answers. */
  async stateMember(session: string, stored: StoredMember): Promise<void> {
    const lease = this.sessions.get(session)?.lease;
    if (!lease || !this.members) throw new Error(`session ${session} has no lease`);
    const kv = { key: this.members.keyOf(session), value: JSON.stringify(stored), lease };
    this.apply({ type: 'put', kv: { ...kv, modRevision: await this.etcd.put(kv.key, kv.value, lease) } });
  }

  async drop(id: string, cause: Cause = { reason: 'unprovide' }): Promise<Change[]> {
    const held = this.provisions.get(id);
    if (!held) return [];
    const key = this.provisions.etcdKeyOf(id, held);
    const modRevision = await this.etcd.delete(key);
    return this.apply({ type: 'delete', kv: { key, value: '', modRevision, lease: '0' } }, () => cause);
  }

  /** Follows the prefix from the last revision seen, from member to member, reading it whole again when etcd has compacted past it. */
  private async follow(): Promise<void> {
    while (!this.stopped) {
      this.watching = this.etcd.watch(this.options.prefix, this.revision + 1, (events) => {
        const gone = events.filter((event) => event.type === 'delete').map((event) => event.kv.key);
        const causeOf = this.causesFor(gone);
        const changes = events.flatMap((event) =>
          this.pending.has(event.kv.key) && event.type === 'put' ? [] : this.apply(event, causeOf),
        );
        // From the events only: a header may be ahead of events still on their way, which a new watch must not skip.
        for (const event of events) this.revision = Math.max(this.revision, event.kv.modRevision);
        this.publish(changes);
        this.forgetTombstones();
      });
      const why = await this.watching.ended;
      if (this.stopped) return;
      this.options.logger.debug(`etcd ${why}; watching again`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (why === 'compacted') await this.resync().catch((error: Error) => this.options.logger.warn(`etcd: ${error.message}`));
    }
  }

  /**
   * Forgets the deletes the watch has passed. Not while a full read runs, nor for a key whose put
   * has not answered yet: either may still bring an older copy of the key.
   */
  // Stryker disable next-line BlockStatement: tombstones kept longer only cost memory: no event can be older than one the watch has passed
  private forgetTombstones(): void {
    // Stryker disable next-line ConditionalExpression: tombstones kept longer only cost memory: no event can be older than one the watch has passed
    if (this.reading > 0) return;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: tombstones kept longer only cost memory: no event can be older than one the watch has passed
    for (const [key, at] of this.tombstones) if (at <= this.revision && !this.pending.has(key)) this.tombstones.delete(key);
  }

  /** Makes the mirror match a full read of the prefix. */
  private async resync(): Promise<void> {
    this.reading++;
    try {
      await this.readWhole();
    } finally {
      // Stryker disable next-line UpdateOperator: tombstones kept for good only cost memory: no event can be older than one the watch has passed
      this.reading--;
    }
  }

  private async readWhole(): Promise<void> {
    const { kvs, revision } = await this.etcd.range(this.options.prefix);
    const present = new Map(kvs.map((kv) => [kv.key, kv]));
    const changes: Change[] = [];
    const members = [...(this.members?.mirrored() ?? []), ...this.mirrors.flatMap((mirror) => [...mirror.mirrored()])];
    const causeOf = this.causesFor([...this.sessions.keys()].map((id) => this.sessionKey(id)).filter((key) => !present.has(key)));
    for (const key of [...this.provisions.etcdKeys(), ...[...this.sessions.keys()].map((id) => this.sessionKey(id)), ...members]) {
      // A key written after the read (the watch ran meanwhile) has a newer revision than this
      // delete, which apply then takes for stale.
      if (!present.has(key) && !this.pending.has(key))
        // Stryker disable next-line StringLiteral: apply reads neither the value nor the lease of a delete
        changes.push(...this.apply({ type: 'delete', kv: { key, value: '', modRevision: revision, lease: '0' } }, causeOf));
    }
    // Stryker disable next-line ConditionalExpression: apply skips a put at a revision it holds
    for (const kv of kvs)
      if (this.provisions.at(kv.key).held?.modRevision !== kv.modRevision) changes.push(...this.apply({ type: 'put', kv }));
    this.revision = Math.max(this.revision, revision);
    this.publish(changes);
  }

  /** Why the provisions deleted along with `keys` (those of them that are session keys) went. */
  private causesFor(keys: readonly string[]): CauseOf {
    const sessions = keys.filter((key) => key.startsWith(this.sessionKey(''))).map((key) => key.slice(this.sessionKey('').length));
    const ended = this.causes.ended(sessions, (session) => this.sessions.get(session));
    return (session) => this.causes.of(session, ended, this.sessions.get(session));
  }

  private publish(changes: Change[]): void {
    // Stryker disable next-line ConditionalExpression,OptionalChaining: the fan-out of no changes sends nothing; start sets the hooks before it reads or watches anything
    if (changes.length > 0) this.hooks?.changes(changes);
  }

  private sessionKey(session: string): string {
    return `${this.options.prefix}s/${session}`;
  }

  private async writeSession(session: string, value: v.InferOutput<typeof SessionValue>): Promise<void> {
    const key = this.sessionKey(session);
    const text = JSON.stringify(value);
    this.pending.add(key);
    try {
      const modRevision = await this.etcd.put(key, text, value.lease);
      // Stryker disable next-line StringLiteral: applySession takes anything but delete for a put, and a session's next write is newer than either tombstone
      this.apply({ type: 'put', kv: { key, value: text, modRevision, lease: value.lease } });
    } finally {
      this.pending.delete(key);
    }
  }

  /** One etcd event, applied to the mirror; returns the registry's changes. Unreadable keys are skipped. */
  private apply(event: WatchEvent, causeOf?: CauseOf, own?: StoredProvision): Change[] {
    try {
      return this.applyEvent(event, causeOf ?? this.causesFor([]), own);
    } catch (error) {
      // Thrown back to the watch, it would end it, and the next watch would meet the same event again.
      return this.skip(event.kv, (error as Error).message);
    }
  }

  private applyEvent(event: WatchEvent, causeOf: CauseOf, own?: StoredProvision): Change[] {
    const rest = event.kv.key.slice(this.options.prefix.length);
    if (rest.startsWith('p/')) return this.applyProvision(event, causeOf, own);
    // Each key moves forward only: an event older than what the mirror has (a read that raced the watch) is stale.
    const seen = this.modRevisions.get(event.kv.key) ?? this.tombstones.get(event.kv.key) ?? 0;
    // Stryker disable next-line EqualityOperator,ConditionalExpression: a delete at the revision the mirror already holds is one it has applied: applied again, it changes nothing
    if (event.type === 'put' ? seen >= event.kv.modRevision : seen > event.kv.modRevision) return [];
    // Stryker disable next-line ConditionalExpression: provision keys are written once, so the put's revision stands in for the delete's: only memory differs
    if (event.type === 'put') {
      this.modRevisions.set(event.kv.key, event.kv.modRevision);
      this.tombstones.delete(event.kv.key);
    } else {
      this.modRevisions.delete(event.kv.key);
      this.tombstones.set(event.kv.key, event.kv.modRevision);
    }
    if (rest.startsWith('s/')) {
      this.applySession(rest.slice(2), event);
      return [];
    }
    const mirror = rest.startsWith('m/') ? this.members : this.mirrors.find(({ dir }) => rest.startsWith(dir));
    if (!mirror) return [];
    const skipped = mirror.apply(event, (session) => causeOf(session).reason);
    return skipped === undefined ? [] : this.skip(event.kv, skipped);
  }

  /**
   * A provision's key moves forward only, as every key does. A put that breaks the rules, or names an
   * id another key holds, replaces what the key held all the same.
   */
  private applyProvision(event: WatchEvent, causeOf: CauseOf, own: StoredProvision | undefined): Change[] {
    const { kv } = event;
    const { id, held } = this.provisions.at(kv.key);
    // A key skipped for breaking the rules keeps its revision in modRevisions, so that a full read warns of it no more.
    const seen = held?.modRevision ?? this.modRevisions.get(kv.key) ?? this.tombstones.get(kv.key) ?? 0;
    // Stryker disable next-line EqualityOperator,ConditionalExpression: a delete at the revision the mirror already holds is one it has applied: applied again, it changes nothing
    if (event.type === 'put' ? seen >= kv.modRevision : seen > kv.modRevision) return [];
    this.modRevisions.delete(kv.key);
    const changes: Change[] = [];
    if (held) {
      this.provisions.forget(id);
      changes.push(...this.registry!.drop(id, causeOf(held.session)));
    }
    const read = event.type === 'put' ? (own ?? readProvision(kv, this.options.prefix.length + 2)) : undefined;
    const added = read && typeof read !== 'string' && this.provisions.has(id) ? `its provision id ${id} is another key's` : read;
    if (added === undefined) {
      this.tombstones.set(kv.key, kv.modRevision);
      return changes;
    }
    if (typeof added === 'string') {
      this.modRevisions.set(kv.key, kv.modRevision);
      return [...changes, ...this.skip(kv, added)];
    }
    this.tombstones.delete(kv.key);
    const input = { ...added, owner: this.provisions.sessionOf(added.owner) };
    const cause: Cause = { reason: 'provide', client: this.sessions.get(input.owner)?.client || undefined };
    const { provision, changes: made } = this.registry!.provide(input, cause);
    this.provisions.add(id, kv.key, { modRevision: kv.modRevision, name: provision.name, session: provision.owner, key: input.key });
    return [...changes, ...made];
  }

  private applySession(session: string, event: WatchEvent): void {
    const before = this.sessions.get(session)?.server;
    const held = before === this.serverId;
    if (event.type === 'delete') {
      this.sessions.delete(session);
      this.provisions.forgetSession(session);
      this.causes.forget(session);
      if (before !== undefined) this.presence.released(before);
      // Stryker disable next-line OptionalChaining: start sets the hooks before it reads or watches anything, and only what it reads or watches calls them
      if (held) this.hooks?.sessionGone(session, 'lease-expired');
      return;
    }
    if (!v.is(Ident, session)) return void this.skip(event.kv, 'expected a session identifier after s/');
    const json = safeJson(event.kv.value);
    if (json === undefined) return void this.skip(event.kv, 'its value is not JSON');
    const parsed = v.safeParse(SessionValue, json);
    if (!parsed.success) return void this.skip(event.kv, describeIssues(parsed.issues));
    // The lease it names must be the one it is kept under, or renewing it would keep nothing alive.
    if (event.kv.lease !== parsed.output.lease) return void this.skip(event.kv, `it is not kept under the lease it names`);
    this.sessions.set(session, parsed.output);
    this.presence.held(parsed.output.server, before);
    if (held && parsed.output.server !== this.serverId) {
      this.kept.delete(session);
      // Stryker disable next-line OptionalChaining: start sets the hooks before it reads or watches anything, and only what it reads or watches calls them
      this.hooks?.sessionGone(session, 'replaced');
    }
  }

  /** A key that breaks the rules is left out, with one warning; the rest is served as before. */
  private skip(kv: KeyValue, why: string): [] {
    this.options.logger.warn(`etcd: skipping ${JSON.stringify(kv.key).slice(0, 200)}: ${why.slice(0, 200)}`);
    return [];
  }

  /** Renews the lease of every session whose connection this server holds; a lease etcd lost ends its session. */
  private keepAlive(): void {
    for (const session of this.kept) {
      const lease = this.sessions.get(session)?.lease;
      if (!lease) continue;
      this.etcd.keepAlive(lease).then(
        (alive) => {
          if (alive || !this.kept.delete(session)) return;
          // Stryker disable next-line OptionalChaining: start sets the hooks before it reads or watches anything, and only what it reads or watches calls them
          this.hooks?.sessionGone(session, 'lease-expired');
        },
        (error: Error) => this.options.logger.warn(`lease renewal failed: ${error.message}`),
      );
    }
  }
}
