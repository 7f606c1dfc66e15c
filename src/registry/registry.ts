// The registry: who provides what, who requires what, and which requirements a change concerns.
// Pure and synchronous: callers (the server, DNS) own all I/O. Both sides are indexed by name,
// so a change costs work proportional to the requirements of that one name, never a full scan.
// A requirement may name a pattern (`*.*.hello.dev`, see src/names.ts): those are indexed apart,
// by pattern, and a change looks up the patterns that match its name (one per shape in use, at
// most 15) rather than testing each.

import { hasWildcard, patternFor, patternShape } from '../names.ts';
import { AttributePool } from './attribute-pool.ts';
import { type AttributeMatcher, compileFilter } from './filter.ts';
import { type NameBranch, NameTree } from './name-tree.ts';
import { compareProvisions } from './order.ts';
import type { Address, AttributeFilter, Attributes, Cause, Change, Provision, Requirement } from './types.ts';

export interface ProvideInput {
  /** Given when the provision was named elsewhere (a registry mirrored from etcd); made up otherwise. */
  readonly id?: string;
  readonly name: string;
  readonly address: Address;
  readonly attributes: Attributes;
  readonly owner: string;
}

export interface RequireInput {
  /** A canonical name, or a canonical pattern. */
  readonly name: string;
  readonly filter: AttributeFilter;
  readonly owner: string;
}

/**
 * The provisions of one name, and the name's leaf in the tree (to forget it by when the last goes).
 * Its provisions share its `name`: each provide brings its own copy of the string, from the wire.
 */
interface Named {
  readonly name: string;
  readonly provisions: Map<string, Provision>;
  readonly leaf: NameBranch;
}

/** A provision with its name's entry: a drop (100,000 of them in a mass goodbye) finds it without a lookup by name. */
interface Held {
  readonly provision: Provision;
  readonly named: Named;
}

interface IndexedRequirement {
  readonly requirement: Requirement;
  readonly matches: AttributeMatcher;
}

export function sortProvisions(provisions: Iterable<Provision>): Provision[] {
  return [...provisions].sort(compareProvisions);
}

/** Told of every provision added or dropped, after the registry has changed, with why. */
export type ProvisionListener = (kind: 'add' | 'drop', provision: Provision, cause: Cause) => void;

const PROVIDED: Cause = { reason: 'provide' };
const UNPROVIDED: Cause = { reason: 'unprovide' };

export class Registry {
  private readonly listeners: ProvisionListener[] = [];
  private readonly provisions = new Map<string, Held>();
  private readonly provisionsByName = new Map<string, Named>();
  private readonly requirements = new Map<string, IndexedRequirement>();
  /** Requirements of one exact name, by name. */
  private readonly requirementsByName = new Map<string, Map<string, IndexedRequirement>>();
  /** Requirements of a pattern with a wildcard, by pattern. */
  private readonly requirementsByPattern = new Map<string, Map<string, IndexedRequirement>>();
  /** Requirements of a pattern, counted by the pattern's shape (which labels are `*`). */
  private readonly shapes = new Map<number, number>();
  /** The names that have provisions, for patterns to find theirs. */
  private readonly names = new NameTree();
  /** One copy of each set of attributes, shared by the provisions that carry it. */
  private readonly attributes = new AttributePool();
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

  /** The provision with this id, if it is registered. */
  get(id: string): Provision | undefined {
    return this.provisions.get(id)?.provision;
  }

  provide(input: ProvideInput, cause: Cause = PROVIDED): { provision: Provision; changes: Change[] } {
    let named = this.provisionsByName.get(input.name);
    if (!named)
      this.provisionsByName.set(input.name, (named = { name: input.name, provisions: new Map(), leaf: this.names.add(input.name) }));
    // Made field by field, not spread from the input: a caller's extra fields are not kept, and every provision has one shape.
    const provision: Provision = {
      id: input.id ?? `p${this.nextProvision++}`,
      name: named.name,
      address: input.address,
      attributes: this.attributes.hold(input.attributes),
      owner: input.owner,
    };
    named.provisions.set(provision.id, provision);
    this.provisions.set(provision.id, { provision, named });
    this.generation++;
    for (const listener of this.listeners) listener('add', provision, cause);
    const changes: Change[] = [];
    this.changesFor(provision, 'add', changes);
    return { provision, changes };
  }

  /** Drops one provision; unknown ids yield no changes (a drop may race a session's expiry). */
  drop(id: string, cause: Cause = UNPROVIDED): Change[] {
    const changes: Change[] = [];
    this.dropOne(id, cause, changes);
    return changes;
  }

  /**
   * Drops many provisions in one pass (a session's goodbye), each as `drop` would, and returns their
   * changes in order. Unknown ids are skipped.
   */
  dropAll(ids: Iterable<string>, cause: Cause = UNPROVIDED): Change[] {
    const changes: Change[] = [];
    for (const id of ids) this.dropOne(id, cause, changes);
    return changes;
  }

  private dropOne(id: string, cause: Cause, changes: Change[]): void {
    const held = this.provisions.get(id);
    if (!held) return;
    this.provisions.delete(id);
    const { provision, named } = held;
    this.attributes.release(provision.attributes);
    // The name's last provision takes its record along: deleting from a Map about to be dropped would only make V8 shrink it.
    if (named.provisions.size > 1) named.provisions.delete(id);
    else {
      this.provisionsByName.delete(provision.name);
      this.names.forget(named.leaf);
    }
    this.generation++;
    for (const listener of this.listeners) listener('drop', provision, cause);
    this.changesFor(provision, 'drop', changes);
  }

  require(input: RequireInput): { requirement: Requirement; endpoints: Provision[] } {
    // Stryker disable next-line UpdateOperator: ids counting down are still unique, and nothing reads an id but to look it up
    const requirement: Requirement = { id: `r${this.nextRequirement++}`, ...input };
    const indexed = { requirement, matches: compileFilter(input.filter) };
    this.requirements.set(requirement.id, indexed);
    const index = this.indexOf(requirement.name);
    let named = index.get(requirement.name);
    if (!named) index.set(requirement.name, (named = new Map()));
    named.set(requirement.id, indexed);
    if (index === this.requirementsByPattern) {
      const shape = patternShape(requirement.name);
      this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
    }
    return { requirement, endpoints: this.match(requirement.name, indexed.matches) };
  }

  unrequire(id: string): boolean {
    const indexed = this.requirements.get(id);
    if (!indexed) return false;
    this.requirements.delete(id);
    const index = this.indexOf(indexed.requirement.name);
    const named = index.get(indexed.requirement.name);
    // Stryker disable next-line OptionalChaining: a requirement is always in its name's map while it is indexed, so named is never undefined here
    named?.delete(id);
    // Stryker disable next-line OptionalChaining: a requirement is always in its name's map while it is indexed, so named is never undefined here
    if (named?.size === 0) index.delete(indexed.requirement.name);
    // Stryker disable next-line ConditionalExpression: for an exact name the block lowers the count of shape 0, which no pattern has, so it deletes nothing
    if (index === this.requirementsByPattern) {
      const shape = patternShape(indexed.requirement.name);
      const left = (this.shapes.get(shape) ?? 1) - 1;
      if (left > 0) this.shapes.set(shape, left);
      else this.shapes.delete(shape);
    }
    return true;
  }

  /** The current endpoints of a requirement, in stable order. */
  endpointsOf(requirementId: string): Provision[] {
    const indexed = this.requirements.get(requirementId);
    return indexed ? this.match(indexed.requirement.name, indexed.matches) : [];
  }

  /** Every provision of one name (or pattern) whose attributes pass the filter, in stable order. */
  lookup(name: string, filter: AttributeFilter = {}): Provision[] {
    return this.match(name, compileFilter(filter));
  }

  /** Every provision, or those whose name passes `accept`, in name then address order. */
  list(accept?: (name: string) => boolean): Provision[] {
    const names = [...this.provisionsByName.keys()].filter((name) => !accept || accept(name)).sort();
    return names.flatMap((name) => sortProvisions(this.provisionsByName.get(name)!.provisions.values()));
  }

  /** Every provision, in no particular order (the DNS views put records in their own). */
  listAnyOrder(): Provision[] {
    return Array.from(this.provisions.values(), (held) => held.provision);
  }

  private indexOf(name: string): Map<string, Map<string, IndexedRequirement>> {
    return hasWildcard(name) ? this.requirementsByPattern : this.requirementsByName;
  }

  /** The provisions of a name or pattern that pass `matches`, in stable order (name, address, id). */
  private match(name: string, matches: AttributeMatcher): Provision[] {
    // The name tree gives a pattern's names sorted: only each name's own provisions need sorting.
    const names = hasWildcard(name) ? this.names.match(name) : [name];
    return names.flatMap((one) =>
      sortProvisions([...(this.provisionsByName.get(one)?.provisions.values() ?? [])].filter((p) => matches(p.attributes))),
    );
  }

  /**
   * Adds to `changes` the requirements of the provision's own name, then those of the patterns that
   * match it, shape by shape. No closure is made per call: a mass goodbye calls this 100,000 times.
   */
  private changesFor(provision: Provision, kind: Change['kind'], changes: Change[]): void {
    // With no requirement at all, no lookup: a goodbye on a registry nobody watches costs none per drop.
    if (this.requirements.size === 0) return;
    collect(this.requirementsByName.get(provision.name), provision, kind, changes);
    if (this.shapes.size === 0) return;
    const labels = provision.name.split('.');
    for (const shape of this.shapes.keys()) collect(this.requirementsByPattern.get(patternFor(labels, shape)), provision, kind, changes);
  }
}

/** The changes for the requirements in `named` whose filter the provision passes. */
function collect(named: Map<string, IndexedRequirement> | undefined, provision: Provision, kind: Change['kind'], changes: Change[]): void {
  if (!named) return;
  for (const { requirement, matches } of named.values()) {
    if (matches(provision.attributes)) changes.push({ requirement, kind, provision });
  }
}
