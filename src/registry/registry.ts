// The registry: who provides what, who requires what, and which requirements a change concerns.
// Pure and synchronous: callers (the server, DNS) own all I/O. Both sides are indexed by name,
// so a change costs work proportional to the requirements of that one name, never a full scan.

import { type AttributeMatcher, compileFilter } from './filter.ts';
import { compareAddresses } from './order.ts';
import type { Address, AttributeFilter, Attributes, Change, Provision, Requirement } from './types.ts';

export interface ProvideInput {
  readonly name: string;
  readonly address: Address;
  readonly attributes: Attributes;
  readonly owner: string;
}

export interface RequireInput {
  readonly name: string;
  readonly filter: AttributeFilter;
  readonly owner: string;
}

interface IndexedRequirement {
  readonly requirement: Requirement;
  readonly matches: AttributeMatcher;
}

export function sortProvisions(provisions: Iterable<Provision>): Provision[] {
  return [...provisions].sort((a, b) => compareAddresses(a.address, b.address) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Told of every provision added or dropped, after the registry has changed. */
export type ProvisionListener = (kind: 'add' | 'drop', provision: Provision) => void;

export class Registry {
  private readonly listeners: ProvisionListener[] = [];
  private readonly provisions = new Map<string, Provision>();
  private readonly provisionsByName = new Map<string, Map<string, Provision>>();
  private readonly requirements = new Map<string, IndexedRequirement>();
  private readonly requirementsByName = new Map<string, Map<string, IndexedRequirement>>();
  private nextProvision = 1;
  private nextRequirement = 1;
  private generation = 0;

  /** Grows by one with every provision added or dropped: a cheap "has anything changed" test. */
  get version(): number {
    return this.generation;
  }

  get size(): number {
    return this.provisions.size;
  }

  get requirementCount(): number {
    return this.requirements.size;
  }

  /** For readers that keep derived state (DNS caches) and must know exactly what changed. */
  addListener(listener: ProvisionListener): void {
    this.listeners.push(listener);
  }

  provide(input: ProvideInput): { provision: Provision; changes: Change[] } {
    const provision: Provision = { id: `p${this.nextProvision++}`, ...input };
    this.provisions.set(provision.id, provision);
    let named = this.provisionsByName.get(provision.name);
    if (!named) this.provisionsByName.set(provision.name, (named = new Map()));
    named.set(provision.id, provision);
    this.generation++;
    for (const listener of this.listeners) listener('add', provision);
    return { provision, changes: this.changesFor(provision, 'add') };
  }

  /** Drops one provision; unknown ids yield no changes (a drop may race a session's expiry). */
  drop(id: string): Change[] {
    const provision = this.provisions.get(id);
    if (!provision) return [];
    this.provisions.delete(id);
    const named = this.provisionsByName.get(provision.name);
    named?.delete(id);
    if (named?.size === 0) this.provisionsByName.delete(provision.name);
    this.generation++;
    for (const listener of this.listeners) listener('drop', provision);
    return this.changesFor(provision, 'drop');
  }

  require(input: RequireInput): { requirement: Requirement; endpoints: Provision[] } {
    const requirement: Requirement = { id: `r${this.nextRequirement++}`, ...input };
    const indexed = { requirement, matches: compileFilter(input.filter) };
    this.requirements.set(requirement.id, indexed);
    let named = this.requirementsByName.get(requirement.name);
    if (!named) this.requirementsByName.set(requirement.name, (named = new Map()));
    named.set(requirement.id, indexed);
    return { requirement, endpoints: this.match(requirement.name, indexed.matches) };
  }

  unrequire(id: string): boolean {
    const indexed = this.requirements.get(id);
    if (!indexed) return false;
    this.requirements.delete(id);
    const named = this.requirementsByName.get(indexed.requirement.name);
    named?.delete(id);
    if (named?.size === 0) this.requirementsByName.delete(indexed.requirement.name);
    return true;
  }

  /** The current endpoints of a requirement, in stable order. */
  endpointsOf(requirementId: string): Provision[] {
    const indexed = this.requirements.get(requirementId);
    return indexed ? this.match(indexed.requirement.name, indexed.matches) : [];
  }

  /** Every provision of one name whose attributes pass the filter, in stable order. */
  lookup(name: string, filter: AttributeFilter = {}): Provision[] {
    return this.match(name, compileFilter(filter));
  }

  /** Every provision, or those whose name passes `accept`, in name then address order. */
  list(accept?: (name: string) => boolean): Provision[] {
    const names = [...this.provisionsByName.keys()].filter((name) => !accept || accept(name)).sort();
    return names.flatMap((name) => sortProvisions(this.provisionsByName.get(name)!.values()));
  }

  private match(name: string, matches: AttributeMatcher): Provision[] {
    const named = this.provisionsByName.get(name);
    if (!named) return [];
    const found: Provision[] = [];
    for (const provision of named.values()) if (matches(provision.attributes)) found.push(provision);
    return sortProvisions(found);
  }

  private changesFor(provision: Provision, kind: Change['kind']): Change[] {
    const named = this.requirementsByName.get(provision.name);
    if (!named) return [];
    const changes: Change[] = [];
    for (const { requirement, matches } of named.values()) {
      if (matches(provision.attributes)) changes.push({ requirement, kind, provision });
    }
    return changes;
  }
}
