// One zone's records, derived from the registry: the DNS grammar of docs/dns.md, as data.
// Pure: built from a list of provisions, so it is tested without sockets. The server rebuilds
// a zone's view only when the registry's version has moved and a query needs it.

import { isIP } from 'node:net';
import { parseName } from '../names.ts';
import type { Provision } from '../registry/types.ts';
import type { Zone } from './zones.ts';

export interface SrvData {
  readonly port: number;
  /** Absolute target name. */
  readonly target: string;
}

/** The records at one owner name. */
export interface Node {
  srv: SrvData[];
  /** One TXT record per endpoint, each a list of `key=value` strings. */
  txt: string[][];
  /** Absolute names. */
  ptr: string[];
  a: string[];
  aaaa: string[];
}

export interface ZoneView {
  readonly zone: Zone;
  /** Owner names relative to the zone apex (`_mysql._tcp.db.blog.prod`); '' is the apex. */
  readonly nodes: ReadonlyMap<string, Node>;
  /** Every name that exists: owners and the empty non-terminals above them (RFC 8020). */
  readonly names: ReadonlySet<string>;
}

export const SERVICES_NAME = '_services._dns-sd._udp';
export const NS_LABEL = 'ns';
export const ADDR_LABEL = 'addr';

const emptyNode = (): Node => ({ srv: [], txt: [], ptr: [], a: [], aaaa: [] });

/**
 * A label naming an address: `10-0-0-5` for 10.0.0.5; IPv6 fully expanded, so that no label
 * starts or ends with a hyphen (`fd00-0-0-0-0-0-0-1`); host names with dots turned to hyphens.
 */
export function addressLabel(host: string): string {
  if (isIP(host) === 6) return expandIPv6(host).join('-');
  return host.toLowerCase().replace(/\.$/, '').replaceAll('.', '-');
}

function expandIPv6(address: string): string[] {
  const [head, tail] = address.toLowerCase().split('::') as [string, string?];
  // Stryker disable next-line ArrayDeclaration: the extra group stands where a zero would (one zero fewer is added) and reads back as 0: the same eight groups
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two groups.
  const groups = [...left, ...right].flatMap((group) => {
    if (!group.includes('.')) return [group];
    const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
    return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  });
  // Stryker disable next-line ConditionalExpression: without :: the address has all eight groups: nothing is missing
  const missing = tail === undefined ? 0 : 8 - groups.length;
  // Stryker disable next-line ArrowFunction,StringLiteral: every group is read back with parseInt(group, 16) || 0, so an empty or missing group is 0 as well
  const middle = Array.from({ length: missing }, () => '0');
  // Stryker disable next-line ConditionalExpression: without :: the address has all eight groups, and splicing no zeros in gives the same groups
  const all = tail === undefined ? groups : [...groups.slice(0, left.length), ...middle, ...groups.slice(left.length)];
  return all.map((group) => (parseInt(group, 16) || 0).toString(16));
}

/** The owner names, relative to a zone, that one provision puts records at. */
export function ownersOf(provision: Provision) {
  const { endpoint, service, stack, environment } = parseName(provision.name);
  const { host, port, protocol } = provision.address;
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
    const labels = name.split('.');
    for (let i = 0; i <= labels.length; i++) touched.add(labels.slice(i).join('.'));
  }
  return touched; // The instance's ancestors include its type.
}

export interface ViewOptions {
  /** Addresses for `ns.<zone>`, the name server the SOA and NS records name. */
  readonly nameServerAddresses: readonly string[];
}

export function buildZoneView(zone: Zone, provisions: Iterable<Provision>, options: ViewOptions): ZoneView {
  const nodes = new Map<string, Node>();
  const node = (name: string): Node => {
    let found = nodes.get(name);
    if (!found) nodes.set(name, (found = emptyNode()));
    return found;
  };
  const absolute = (relative: string) => (relative ? `${relative}.${zone.origin}` : zone.origin);
  // An RRset holds no duplicates; one set of "owner|kind|value" keeps that linear in provisions.
  const seen = new Set<string>();
  const once = (key: string): boolean => !seen.has(key) && seen.add(key) !== undefined;
  const addAddress = (owner: string, host: string) => {
    if (once(`${owner}|addr|${host}`)) (isIP(host) === 6 ? node(owner).aaaa : node(owner).a).push(host);
  };

  node(''); // The apex always exists; SOA and NS are added by the answerer.
  for (const address of options.nameServerAddresses) addAddress(NS_LABEL, address);

  for (const provision of provisions) {
    if (!zone.matches(provision.attributes)) continue;
    const { type, instance, base, address, port, host, txt } = ownersOf(provision);
    const target = address ? absolute(address) : `${host.toLowerCase().replace(/\.$/, '')}.`;
    if (once(`${type}|srv|${target}|${port}`)) {
      node(type).srv.push({ port, target });
      node(type).ptr.push(absolute(instance));
      node(instance).srv.push({ port, target });
    }
    if (once(`${type}|txt|${JSON.stringify(txt)}`)) node(type).txt.push(txt);
    // Two provisions at one address are one instance; its TXT is the first one's.
    if (once(`${instance}|txt`)) node(instance).txt.push(txt);
    if (once(`${SERVICES_NAME}|ptr|${type}`)) node(SERVICES_NAME).ptr.push(absolute(type));
    if (address) {
      addAddress(base, host);
      addAddress(address, host);
    }
  }

  const names = new Set<string>();
  for (const name of nodes.keys()) {
    // Stryker disable next-line ArrayDeclaration: the apex exists anyway, and the extra name has a space, which only a question the guard refuses could ask
    const labels = name ? name.split('.') : [];
    for (let i = 0; i <= labels.length; i++) names.add(labels.slice(i).join('.'));
  }
  return { zone, nodes, names };
}
