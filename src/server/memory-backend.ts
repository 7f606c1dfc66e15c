// The backend of a lone server: the registry in its memory is the whole store, so every answer
// is immediate, a session lives only on this server, and nothing is taken away from outside.

import { randomBytes } from 'node:crypto';
import type { Instances, InstancesEdit, Setter } from '../protocol/instances.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { ProvideInput, Registry } from '../registry/registry.ts';
import type { Cause, Change } from '../registry/types.ts';
import type { Backend, BackendHooks, OpenedSession, Provided } from './backend.ts';
import { InstancesBook } from './instances-book.ts';
import { MemberBook, type StoredMember } from './member-book.ts';
import { PlacementBook, type Placer } from './placement-book.ts';

const GOODBYE: Cause = { reason: 'goodbye' };

export class MemoryBackend implements Backend {
  private registry: Registry | undefined;
  private members = new MemberBook();
  private placements = new PlacementBook();
  private instances = new InstancesBook();

  async start(registry: Registry, hooks?: BackendHooks): Promise<void> {
    this.registry = registry;
    if (hooks?.members) this.members = hooks.members;
    if (hooks?.placements) this.placements = hooks.placements;
    if (hooks?.instances) this.instances = hooks.instances;
  }

  stop(): void {}

  /** Always a new session: one that this server does not hold exists nowhere else. */
  open(): OpenedSession {
    return { id: randomBytes(16).toString('base64url'), adopted: undefined };
  }

  provide(input: ProvideInput, _key?: string, cause?: Cause): Provided {
    const { provision, changes } = this.started().provide(input, cause);
    return { id: provision.id, changes };
  }

  drop(id: string, cause?: Cause): Change[] {
    return this.started().drop(id, cause);
  }

  stateMember(session: string, member: StoredMember): void {
    this.members.set(session, member);
  }

  place(places: readonly Place[], placer: Placer): Placement[] {
    return this.placements.set(places, placer);
  }

  editInstances(edits: readonly InstancesEdit[], setter: Setter): Instances[] {
    return this.instances.edit(edits, setter);
  }

  end(session: string, provisions: readonly string[], cause: Cause = GOODBYE): Change[] {
    this.members.delete(session, cause.reason);
    return this.started().dropAll(provisions, cause);
  }

  attached(): void {}

  detached(): void {}

  private started(): Registry {
    if (!this.registry) throw new Error('the memory backend was not started');
    return this.registry;
  }
}
