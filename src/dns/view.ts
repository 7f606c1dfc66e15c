// One zone's records, derived from the registry: the DNS grammar of docs/dns.md, as data.
// Pure: made from provisions, so it is tested without sockets. The view is kept change by change
// (`apply`): every record counts the provisions that give it, so a change adds or takes back the
// few records of one provision and costs what it touches, not the whole registry. Each record set
// is kept in the order of its keys, so the view after any history equals one built afresh.

import { isIP } from 'node:net';
import { parseName } from '../names.ts';
import type { Provision } from '../registry/types.ts';
import { canonicalAddress, ipv6Groups } from './addresses.ts';
import type { Zone } from './zones.ts';

export interface SrvData {
  readonly port: number;
  /** Absolute target name. */
  readonly target: string;
}

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
  /** Owner names relative to the zone apex (`_mysql._tcp.db.blog.prod`); '' is the apex. */
  readonly nodes: ReadonlyMap<string, Node>;
  /** Every name that exists: owners and the empty non-terminals above them (RFC 8020). */
  readonly names: { has(name: string): boolean };
}

export const SERVICES_NAME = '_services._dns-sd._udp';
export const NS_LABEL = 'ns';
export const ADDR_LABEL = 'addr';

/**
 * A label naming an address: `10-0-0-5` for 10.0.0.5; IPv6 as its eight groups, so that no label
 * starts or ends with a hyphen (`fd00-0-0-0-0-0-0-1`); host names with dots turned to hyphens.
 */
export function addressLabel(host: string): string {
  if (isIP(host.replace(/%.*$/, '')) === 6)
    return ipv6Groups(host)
      .map((group) => group.toString(16))
      .join('-');
  return host.toLowerCase().replace(/\.$/, '').replaceAll('.', '-');
}

/** The owner names, relative to a zone, that one provision puts records at. */
export function ownersOf(provision: Provision) {
  const { endpoint, service, stack, environment } = parseName(provision.name);
  const { port, protocol } = provision.address;
  // The one text form of the address: `::FFFF:10.0.0.1` and `::ffff:a00:1` are one AAAA record.
  const host = canonicalAddress(provision.address.host);
  const base = `${service}.${stack}.${environment}`;
  const type = `_${endpoint}._${protocol}.${base}`;
  const txt = Object.keys(provision.attributes)
    .sort()
    .map((key) => `${key}=${provision.attributes[key]}`);
  return {
    type,
    instance: `${addressLabel(host)}-${port}.${type}`,
    base,
    /** The address name for an IP host; host names are targets as they are. */
    address: isIP(host) ? `${addressLabel(host)}.${ADDR_LABEL}` : undefined,
    host,
    port,
    txt,
  };
}

/** Every name whose answer a provision can change: its owners, `_services`, and their ancestors. */
export function namesTouchedBy(provision: Provision): Set<string> {
  const { instance, base, address } = ownersOf(provision);
  const touched = new Set<string>();
  // Stryker disable next-line ArrayDeclaration: one more stamp in the reply cache, for a name no question can have
  for (const name of [instance, base, SERVICES_NAME, ...(address ? [address] : [])]) {
    // The name and each suffix after a dot, then the zone's apex: found by scanning, as a burst of drops calls this once each.
    touched.add(name);
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) touched.add(name.slice(dot + 1));
    touched.add('');
  }
  return touched; // The instance's ancestors include its type.
}

export interface ViewOptions {
  /** Addresses for `ns.<zone>`, the name server the SOA and NS records name. */
  readonly nameServerAddresses: readonly string[];
}

/** One record set: each value with how many provisions give it, in the order of its key. */
class RecordSet<T> {
  private readonly keys: string[] = [];
  readonly values: T[] = [];
  private readonly counts: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** Where `key` is, or would go: a binary search. */
  private find(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle]! < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  add(key: string, value: T): void {
    const at = this.find(key);
    if (this.keys[at] === key) this.counts[at]!++;
    else {
      this.keys.splice(at, 0, key);
      this.values.splice(at, 0, value);
      this.counts.splice(at, 0, 1);
    }
  }

  remove(key: string): void {
    const at = this.find(key);
    if (this.keys[at] !== key) return;
    if (--this.counts[at]! > 0) return;
    this.keys.splice(at, 1);
    this.values.splice(at, 1);
    this.counts.splice(at, 1);
  }
}

class ViewNode implements Node {
  readonly srvs = new RecordSet<SrvData>();
  readonly ptrs = new RecordSet<string>();
  readonly txts = new RecordSet<readonly string[]>();
  readonly as = new RecordSet<string>();
  readonly aaaas = new RecordSet<string>();
  /** An instance's provisions' attributes, by provision id: its TXT is the first's, as the registry lists them. */
  readonly instanceTxts = new RecordSet<readonly string[]>();

  get srv() {
    return this.srvs.values;
  }
  get ptr() {
    return this.ptrs.values;
  }
  get txt() {
    return this.instanceTxts.size === 0 ? this.txts.values : this.instanceTxts.values.slice(0, 1);
  }
  get a() {
    return this.as.values;
  }
  get aaaa() {
    return this.aaaas.values;
  }
  get empty(): boolean {
    return this.srvs.size + this.ptrs.size + this.txts.size + this.as.size + this.aaaas.size + this.instanceTxts.size === 0;
  }
}

/** What a change did, for tests: records added or taken back, and nodes made or removed. */
export interface ViewWork {
  records: number;
  nodes: number;
}

/** A zone's view, kept up to date one provision at a time. */
export class LiveZoneView implements ZoneView {
  readonly nodes = new Map<string, ViewNode>();
  /** Each name that exists, with how many nodes are at it or below it. */
  private readonly counts = new Map<string, number>();
  readonly names = this.counts;
  /** The provisions this view shows, by id: a drop takes back what its add gave. */
  private readonly shown = new Map<string, Provision>();
  readonly work: ViewWork = { records: 0, nodes: 0 };

  constructor(
    readonly zone: Zone,
    options: ViewOptions,
  ) {
    this.node(''); // The apex always exists; SOA and NS are added by the answerer.
    for (const address of options.nameServerAddresses) this.address(NS_LABEL, canonicalAddress(address), 1);
  }

  /** One change of the registry. An add of a provision already shown (a new address) replaces it. */
  apply(kind: 'add' | 'drop', provision: Provision): void {
    const shown = this.shown.get(provision.id);
    if (shown) {
      this.shown.delete(provision.id);
      this.contribute(shown, -1);
    }
    if (kind === 'add' && this.zone.matches(provision.attributes)) {
      this.shown.set(provision.id, provision);
      this.contribute(provision, 1);
    }
  }

  private contribute(provision: Provision, delta: 1 | -1): void {
    const absolute = (relative: string) => `${relative}.${this.zone.origin}`;
    const { type, instance, base, address, port, host, txt } = ownersOf(provision);
    const target = address ? absolute(address) : `${host.toLowerCase().replace(/\.$/, '')}.`;
    const srvKey = `${target} ${String(port).padStart(5, '0')}`;
    this.change(type, (node) => node.srvs, srvKey, { port, target }, delta);
    this.change(type, (node) => node.ptrs, absolute(instance), absolute(instance), delta);
    this.change(type, (node) => node.txts, JSON.stringify(txt), txt, delta);
    this.change(instance, (node) => node.srvs, srvKey, { port, target }, delta);
    this.change(instance, (node) => node.instanceTxts, provision.id, txt, delta);
    this.change(SERVICES_NAME, (node) => node.ptrs, absolute(type), absolute(type), delta);
    if (address) {
      this.address(base, host, delta);
      this.address(address, host, delta);
    }
  }

  private address(owner: string, host: string, delta: 1 | -1): void {
    this.change(owner, (node) => (isIP(host) === 6 ? node.aaaas : node.as), host, host, delta);
  }

  private change<T>(owner: string, set: (node: ViewNode) => RecordSet<T>, key: string, value: T, delta: 1 | -1): void {
    this.work.records++;
    if (delta > 0) set(this.node(owner)).add(key, value);
    else {
      const node = this.nodes.get(owner);
      if (!node) return;
      set(node).remove(key);
      this.forgetIfEmpty(owner, node);
    }
  }

  /** The node at `owner`, made (with its name and the names above it) if it is new. */
  private node(owner: string): ViewNode {
    let found = this.nodes.get(owner);
    if (found) return found;
    this.nodes.set(owner, (found = new ViewNode()));
    this.work.nodes++;
    for (const name of namesAbove(owner)) this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    return found;
  }

  private forgetIfEmpty(owner: string, node: ViewNode): void {
    if (owner === '' || !node.empty) return;
    this.nodes.delete(owner);
    this.work.nodes++;
    for (const name of namesAbove(owner)) {
      const left = this.counts.get(name)! - 1;
      if (left > 0) this.counts.set(name, left);
      else this.counts.delete(name);
    }
  }
}

/** A name and every name above it, up to the apex (''). */
function namesAbove(owner: string): string[] {
  const names = [owner];
  for (let dot = owner.indexOf('.'); dot >= 0; dot = owner.indexOf('.', dot + 1)) names.push(owner.slice(dot + 1));
  if (owner !== '') names.push('');
  return names;
}

export function buildZoneView(zone: Zone, provisions: Iterable<Provision>, options: ViewOptions): LiveZoneView {
  const view = new LiveZoneView(zone, options);
  for (const provision of provisions) view.apply('add', provision);
  return view;
}
