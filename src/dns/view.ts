// One zone's records, derived from the registry: the DNS grammar of docs/dns.md, as data.
// Pure: made from provisions, so it is tested without sockets. The view is kept change by change
// (`apply`): every record counts the provisions that give it, so a change adds or takes back the
// few records of one provision and costs what it touches, not the whole registry, however many
// records share a name. Each record set is put in the order of its keys when read, so the view
// after any history equals one built afresh.

import { isIP } from 'node:net';
import type { Provision } from '../registry/types.ts';
import { canonicalAddress } from './addresses.ts';
import { NS_LABEL, ownersOf, SERVICES_NAME } from './owners.ts';
import { SparseMap } from './sparse-map.ts';
import { type SrvData, SrvRecord } from './srv.ts';
import type { Zone } from './zones.ts';

export type { SrvData } from './srv.ts';

/** The records at one owner name. */
export interface Node {
  readonly srv: readonly SrvData[];
  /** One TXT record per distinct attribute set, each a list of `key=value` strings. */
  readonly txt: readonly (readonly string[])[];
  /** Absolute names. */
  readonly ptr: readonly string[];
  readonly a: readonly string[];
  readonly aaaa: readonly string[];
}

export interface ZoneView {
  readonly zone: Zone;
  /** The records at each owner name, relative to the zone apex (`_mysql._tcp.db.blog.prod`); '' is the apex. */
  readonly nodes: { get(name: string): Node | undefined };
  /** Every name that exists: owners and the empty non-terminals above them (RFC 8020). */
  readonly names: { has(name: string): boolean };
}

export interface ViewOptions {
  /** Addresses for `ns.<zone>`, the name server the SOA and NS records name. */
  readonly nameServerAddresses: readonly string[];
  /**
   * Told the names that stopped existing with one change (their last node went), each below the
   * names above it, to hold them a while; the array is reused once it returns.
   */
  readonly gone?: (names: readonly ViewNode[]) => void;
  /**
   * Whether a name that stopped existing is held still: it is kept, with the names above it (which
   * stopped existing no sooner), so that the server finds it by its owner.
   */
  readonly held?: (name: ViewNode) => boolean;
}

const NO_VALUES: readonly never[] = [];

/** Past this many keys a record set finds a key through a Map rather than by scanning. */
const INDEXED_FROM = 16;

/** One value of a record set, with how many provisions give it and where it is in its set. */
class Entry<T> {
  count = 1;
  constructor(
    readonly set: RecordSet<T>,
    readonly key: string,
    readonly value: T,
    public at: number,
  ) {}
}

/**
 * One record set: each value with how many provisions give it. Kept in no order, so that a change
 * costs the same whatever the set's size (`_services` holds a PTR for every type in the zone); the
 * values are put in the order of their keys when read, once per change, so the view after any
 * history equals one built afresh. A provision keeps the entries it added, so a drop finds them
 * without a search.
 */
class RecordSet<T> {
  // Made with the first entry: an array that grows from empty reserves room for 17, and most sets hold one.
  private entries: Entry<T>[] | undefined;
  /** Key → entry, once the set is large. */
  private index: Map<string, Entry<T>> | undefined;
  private sorted: T[] | undefined;

  constructor(readonly node: ViewNode) {}

  get size(): number {
    return this.entries?.length ?? 0;
  }

  /** The values, in the order of their keys. */
  get values(): readonly T[] {
    if (this.sorted) return this.sorted;
    const entries = [...(this.entries ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
    this.sorted = entries.map((entry) => entry.value);
    return this.sorted;
  }

  /** Adds one provision's value, and returns its entry: counted once more if the key was there. */
  add(key: string, value: T): Entry<T> {
    const entries = this.entries;
    const found = this.index ? this.index.get(key) : entries?.find((entry) => entry.key === key);
    if (found) {
      found.count++;
      return found;
    }
    this.sorted = undefined;
    const made = new Entry(this, key, value, entries?.length ?? 0);
    if (!entries) this.entries = [made];
    else entries.push(made);
    this.node.records++;
    if (this.index) this.index.set(key, made);
    else if (made.at >= INDEXED_FROM) this.index = new Map(this.entries!.map((entry) => [entry.key, entry]));
    return made;
  }

  /** Takes back one provision's count of an entry; returns whether the key went. */
  remove(entry: Entry<T>): boolean {
    if (--entry.count > 0) return false;
    this.sorted = undefined;
    const entries = this.entries!;
    // The last entry takes the place of the one that goes.
    const last = entries.pop()!;
    if (last !== entry) {
      entries[entry.at] = last;
      last.at = entry.at;
    }
    this.index?.delete(entry.key);
    this.node.records--;
    return true;
  }
}

type SetKey = 'srvs' | 'ptrs' | 'txts' | 'as' | 'aaaas' | 'instanceTxts';

/**
 * A name that exists, and the records at it, if any. Its sets are made on first use: most names hold
 * one or two kinds. One object per name, kept in one Map, whether it holds records or only names the
 * ones below it (an empty non-terminal).
 */
export class ViewNode implements Node {
  srvs: RecordSet<SrvData> | undefined;
  ptrs: RecordSet<string> | undefined;
  txts: RecordSet<readonly string[]> | undefined;
  as: RecordSet<string> | undefined;
  aaaas: RecordSet<string> | undefined;
  /** An instance's provisions' attributes, by provision id: its TXT is the first's, as the registry lists them. */
  instanceTxts: RecordSet<readonly string[]> | undefined;
  /** Distinct keys over all its sets: the node goes when none is left. */
  records = 0;
  /** Its absolute name, once a PTR names it. */
  absolute: string | undefined;
  /** Whether it is a node: records are at it (or it is the apex), not only at names below it. */
  held = false;
  /** Nodes at this name or below it: the name exists while this is above 0. */
  count = 0;
  /** The number of its latest burial in the zone's tombstones, once it went; -1 before. */
  burial = -1;

  constructor(
    readonly owner: string,
    /** The name one label up; none for the apex. */
    readonly parent: ViewNode | undefined,
  ) {}

  get srv(): readonly SrvData[] {
    return this.srvs?.values ?? NO_VALUES;
  }
  get ptr(): readonly string[] {
    return this.ptrs?.values ?? NO_VALUES;
  }
  get txt(): readonly (readonly string[])[] {
    const instance = this.instanceTxts;
    if (instance && instance.size > 0) return instance.values.slice(0, 1);
    return this.txts?.values ?? NO_VALUES;
  }
  get a(): readonly string[] {
    return this.as?.values ?? NO_VALUES;
  }
  get aaaa(): readonly string[] {
    return this.aaaas?.values ?? NO_VALUES;
  }
}

/**
 * What one provision gives the view: the entries it added, taken back as they are when it is dropped.
 * Emptied when the provision goes: a drop then costs one lookup of its id, not a second to mark it.
 */
type Contribution = Entry<unknown>[];

/** What a change did, for tests: records added or taken back, and nodes made or removed. */
export interface ViewWork {
  records: number;
  nodes: number;
}

/** A zone's view, kept up to date one provision at a time. */
export class LiveZoneView implements ZoneView {
  /**
   * Each name that exists, with how many nodes are at it or below it (above 0), and its records; for a
   * while, those that stopped existing too (sparse-map.ts says why): one that comes back finds its node.
   * Every name above a living one lives, so letting go of the others leaves no node without its parent.
   */
  readonly names: SparseMap<string, ViewNode>;
  readonly nodes: NodeIndex;
  /** The provisions this view shows, by id, with what each gave: a drop takes back what its add gave. */
  private readonly shown = new SparseMap<string, Contribution>((contribution) => contribution.length > 0);
  readonly work: ViewWork = { records: 0, nodes: 0 };
  /** Names that stopped existing during the change being applied. */
  private readonly gone: ViewNode[] = [];

  constructor(
    readonly zone: Zone,
    private readonly options: ViewOptions,
  ) {
    const { held } = options;
    this.names = new SparseMap<string, ViewNode>((node) => node.count > 0, held && ((node) => node.count > 0 || held(node)));
    this.nodes = new NodeIndex(this.names);
    this.node(''); // The apex always exists; SOA and NS are added by the answerer.
    for (const address of options.nameServerAddresses) {
      const host = canonicalAddress(address);
      this.add(this.node(NS_LABEL), isIP(host) === 6 ? 'aaaas' : 'as', host, host);
    }
  }

  /** How many provisions the view shows. */
  get size(): number {
    return this.shown.size;
  }

  /** Entries its maps looked at when they let go of what went: a count of work, for tests. */
  get copied(): number {
    return this.names.copied + this.shown.copied;
  }

  /** Whether the view shows the provision with this id. */
  shows(id: string): boolean {
    return this.shown.has(id);
  }

  /** One change of the registry. An add of a provision already shown (a new address) replaces it. */
  apply(kind: 'add' | 'drop', provision: Provision): void {
    const shown = this.shown.get(provision.id);
    if (shown) {
      for (const entry of shown) this.remove(entry);
      shown.length = 0;
      this.shown.died();
    }
    if (kind === 'add' && this.zone.matches(provision.attributes)) {
      this.shown.set(provision.id, this.contribute(provision));
      this.shown.born();
    }
    if (this.gone.length === 0) return;
    // One array for every change: a fresh one grew room for 17 names with each drop of a mass goodbye.
    this.options.gone?.(this.gone);
    this.gone.length = 0;
  }

  private contribute(provision: Provision): Contribution {
    const origin = this.zone.origin;
    const { type, instance, base, address, port, host, txt } = ownersOf(provision);
    const target = address ? `${address}.${origin}` : `${host.toLowerCase().replace(/\.$/, '')}.`;
    const typeNode = this.node(type);
    const instanceNode = this.node(instance);
    // Its priority and weight are read from the instance's attributes: the first provision's, as its TXT.
    const srvKey = `${target} ${String(port).padStart(5, '0')}`;
    const srv: SrvData = new SrvRecord(port, target, instanceNode);
    const instancePtr = (instanceNode.absolute ??= `${instance}.${origin}`);
    const typePtr = (typeNode.absolute ??= `${type}.${origin}`);
    const txtKey = txt.length === 0 ? '[]' : JSON.stringify(txt);
    const entries: Entry<unknown>[] = [
      this.add(typeNode, 'srvs', srvKey, srv),
      this.add(typeNode, 'ptrs', instancePtr, instancePtr),
      this.add(typeNode, 'txts', txtKey, txt),
      this.add(instanceNode, 'srvs', srvKey, srv),
      this.add(instanceNode, 'instanceTxts', provision.id, txt),
      this.add(this.node(SERVICES_NAME), 'ptrs', typePtr, typePtr),
    ];
    if (address) {
      const addresses = isIP(host) === 6 ? 'aaaas' : 'as';
      entries.push(this.add(this.node(base), addresses, host, host), this.add(this.node(address), addresses, host, host));
    }
    return entries;
  }

  private add<K extends SetKey>(node: ViewNode, which: K, key: string, value: RecordValue<K>): Entry<unknown> {
    this.work.records++;
    const set = (node[which] ??= new RecordSet(node) as ViewNode[K]) as RecordSet<RecordValue<K>>;
    return set.add(key, value) as Entry<unknown>;
  }

  private remove(entry: Entry<unknown>): void {
    this.work.records++;
    const set = entry.set;
    if (!set.remove(entry)) return;
    const node = set.node;
    if (node.records > 0 || node.owner === '') return;
    node.held = false;
    this.work.nodes++;
    for (let name: ViewNode | undefined = node; name; name = name.parent) {
      if (--name.count > 0) continue;
      this.names.died();
      this.gone.push(name);
    }
  }

  /** The node at `owner`, made (with its name and the names above it) if it is new. */
  private node(owner: string): ViewNode {
    const found = this.name(owner);
    if (found.held) return found;
    found.held = true;
    this.work.nodes++;
    for (let name: ViewNode | undefined = found; name; name = name.parent) if (name.count++ === 0) this.names.born();
    return found;
  }

  /** A name, made (with the names above it) if it is not known yet: counted at once by `node`. */
  private name(owner: string): ViewNode {
    const found = this.names.known(owner);
    if (found) return found;
    const dot = owner.indexOf('.');
    const parent = owner === '' ? undefined : this.name(dot < 0 ? '' : owner.slice(dot + 1));
    const made = new ViewNode(owner, parent);
    this.names.set(owner, made);
    return made;
  }
}

/** The nodes among the names: those with records at them. */
class NodeIndex {
  constructor(private readonly names: SparseMap<string, ViewNode>) {}

  get(owner: string): ViewNode | undefined {
    const found = this.names.get(owner);
    return found?.held ? found : undefined;
  }

  has(owner: string): boolean {
    return this.get(owner) !== undefined;
  }

  *entries(): IterableIterator<[string, ViewNode]> {
    for (const [owner, node] of this.names.entries()) if (node.held) yield [owner, node];
  }
}

type RecordValue<K extends SetKey> = NonNullable<ViewNode[K]> extends RecordSet<infer T> ? T : never;

export function buildZoneView(zone: Zone, provisions: Iterable<Provision>, options: ViewOptions): LiveZoneView {
  const view = new LiveZoneView(zone, options);
  for (const provision of provisions) view.apply('add', provision);
  return view;
}
