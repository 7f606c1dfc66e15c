// The backend of servers sharing their registry in etcd (docs/ha.md): each answer waits on etcd,
// a session this server does not hold is adopted while its lease lives, and etcd may take a
// session away (its lease ended, or another server resumed it). The mirror is etcd-registry.ts.

import { randomBytes } from 'node:crypto';
import type { ConsolaInstance } from 'consola';
import type { Instances, InstancesEdit, Setter } from '../protocol/instances.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { ProvideInput, Registry } from '../registry/registry.ts';
import type { Cause, Change } from '../registry/types.ts';
import type { Backend, BackendHooks, OpenedSession, Provided } from './backend.ts';
import type { EtcdClient } from './etcd-client.ts';
import { EtcdInstances } from './etcd-instances.ts';
import { EtcdPlacements } from './etcd-placements.ts';
import { EtcdRegistry, type EtcdRegistryOptions } from './etcd-registry.ts';
import { InstancesBook } from './instances-book.ts';
import type { StoredMember } from './member-book.ts';
import { PlacementBook, type Placer } from './placement-book.ts';

export class EtcdBackend implements Backend {
  private readonly mirror: EtcdRegistry;
  private readonly logger: ConsolaInstance;
  private readonly prefix: string;
  private placements: EtcdPlacements | undefined;
  private instances: EtcdInstances | undefined;

  /** Takes `etcd` for its own: stop closes it. */
  constructor(
    private readonly etcd: EtcdClient,
    options: EtcdRegistryOptions,
  ) {
    this.mirror = new EtcdRegistry(etcd, options);
    this.logger = options.logger;
    this.prefix = options.prefix;
  }

  get serverId(): string {
    return this.mirror.serverId;
  }

  start(registry: Registry, hooks: BackendHooks): Promise<void> {
    this.placements = new EtcdPlacements(this.etcd, this.prefix, hooks.placements ?? new PlacementBook());
    this.instances = new EtcdInstances(this.etcd, this.prefix, hooks.instances ?? new InstancesBook());
    return this.mirror.start(registry, hooks, [this.placements, this.instances]);
  }

  stop(): void {
    this.mirror.stop();
    this.etcd.close();
  }

  /**
   * The session `requested` taken over with the provisions it holds in etcd, if `owner` opened it;
   * else a new session with its lease.
   */
  async open(requested: string | undefined, client: string, owner = ''): Promise<OpenedSession> {
    // Stryker disable next-line ConditionalExpression: etcd's mirror of sessions is never keyed by undefined: adopting undefined finds nothing, as the guard does
    const adopted = requested === undefined ? undefined : await this.mirror.adopt(requested, owner);
    if (adopted) {
      this.logger.debug(`session ${requested} adopted from etcd`);
      return { id: requested!, adopted };
    }
    const id = randomBytes(16).toString('base64url');
    await this.mirror.open(id, client, owner);
    this.logger.debug(`session ${id} opened`);
    return { id, adopted: undefined };
  }

  provide(input: ProvideInput, key: string | undefined): Promise<Provided> {
    return this.mirror.provide({ ...input, key });
  }

  stateMember(session: string, member: StoredMember): Promise<void> {
    return this.mirror.stateMember(session, member);
  }

  place(places: readonly Place[], placer: Placer): Promise<Placement[]> {
    if (!this.placements) throw new Error('the etcd backend was not started');
    return this.placements.place(places, placer);
  }

  editInstances(edits: readonly InstancesEdit[], setter: Setter): Promise<Instances[]> {
    if (!this.instances) throw new Error('the etcd backend was not started');
    return this.instances.edit(edits, setter);
  }

  drop(id: string, cause?: Cause): Promise<Change[]> {
    return this.mirror.drop(id, cause);
  }

  /** Its keys go with its lease, and every server (this one too) hears of it from etcd: nothing to fan out yet. */
  end(session: string, _provisions?: readonly string[], cause?: Cause): Change[] {
    this.mirror.end(session, cause).catch((error: Error) => this.logger.warn(`could not end session ${session} in etcd: ${error.message}`));
    return [];
  }

  attached(session: string): void {
    this.mirror.attached(session);
  }

  detached(session: string): void {
    this.mirror.detached(session);
  }
}
