// Where a DNS asker is, from its source address: a configured map of networks to places (disco.yaml's
// `dns.places`, docs/dns.md), the longest prefix winning, or one place for everyone (a host's DNS,
// whose askers are all on its host). Each distinct place has a small index, for the reply cache's key.
// A lookup costs one Map lookup per distinct prefix length of the address's family (at most 33 or
// 129), whatever the number of networks; an address asked about lately costs one Map lookup (a query
// costs about 8 µs: parsing the address for every one of them was a tenth of it).

import { isIP } from 'node:net';
import type { Cidr } from '../cidr.ts';
import { isKnown, type Place } from '../registry/nearest.ts';
import { ipv6Groups } from './addresses.ts';

export interface PlaceRule {
  readonly network: Cidr;
  readonly zone?: string | undefined;
  readonly dc?: string | undefined;
}

/** The most networks a map holds: the list is read at start, and each distinct place is a cache variant. */
export const MAX_PLACE_RULES = 1000;

/** Addresses whose place is remembered; past it the memory starts again, so it stays bounded. */
export const REMEMBERED_ASKERS = 4096;

/** An asker's place, and its index among the distinct places: 0 for an unknown one. */
export interface AskerPlace {
  readonly place: Place;
  readonly index: number;
}

const UNKNOWN: AskerPlace = { place: {}, index: 0 };

interface PrefixTable {
  readonly prefix: number;
  /** The network's masked bytes → its place. */
  readonly networks: Map<string, AskerPlace>;
}

export class AskerPlaces {
  /** Per family, the tables by prefix length, longest first. */
  private readonly tables: Record<'ipv4' | 'ipv6', PrefixTable[]> = { ipv4: [], ipv6: [] };
  /** Distinct places, counting the unknown one: every index is below it. */
  readonly size: number;
  /** Places of addresses asked about lately: the rules never change, so an answer found once stays true. */
  private readonly remembered = new Map<string, AskerPlace>();

  constructor(rules: readonly PlaceRule[]) {
    if (rules.length > MAX_PLACE_RULES) throw new Error(`expected at most ${MAX_PLACE_RULES} networks with places, not ${rules.length}`);
    const distinct = new Map<string, AskerPlace>();
    for (const rule of rules) {
      const place: Place = { ...(rule.zone ? { zone: rule.zone } : {}), ...(rule.dc ? { dc: rule.dc } : {}) };
      const key = JSON.stringify([place.zone, place.dc]);
      let asker = distinct.get(key);
      if (!asker) distinct.set(key, (asker = isKnown(place) ? { place, index: distinct.size + 1 } : UNKNOWN));
      const tables = this.tables[rule.network.family];
      let table = tables.find((each) => each.prefix === rule.network.prefix);
      if (!table) tables.push((table = { prefix: rule.network.prefix, networks: new Map() }));
      const masked = maskedKey(bytesOf(rule.network.address)!, rule.network.prefix);
      // The first rule for a network stands, as in a routing table read top down.
      if (!table.networks.has(masked)) table.networks.set(masked, asker);
    }
    for (const tables of Object.values(this.tables)) tables.sort((a, b) => b.prefix - a.prefix);
    this.size = [...distinct.values()].filter((asker) => asker !== UNKNOWN).length + 1;
  }

  /** The place of the network with the longest prefix that holds the address; unknown when none does. */
  of(address: string): AskerPlace {
    if (this.size === 1) return UNKNOWN; // No rules, or none with a place: everyone is unknown.
    let found = this.remembered.get(address);
    if (found === undefined) {
      if (this.remembered.size >= REMEMBERED_ASKERS) this.remembered.clear();
      this.remembered.set(address, (found = this.find(address)));
    }
    return found;
  }

  private find(address: string): AskerPlace {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = (mapped ?? address).replace(/%.*$/, '');
    const bytes = bytesOf(plain);
    if (!bytes) return UNKNOWN;
    for (const table of this.tables[bytes.length === 4 ? 'ipv4' : 'ipv6']) {
      const found = table.networks.get(maskedKey(bytes, table.prefix));
      if (found) return found;
    }
    return UNKNOWN;
  }
}

/** One place for every asker, IPv4 and IPv6: a host's DNS, whose askers are all on its host. */
export function everyoneAt(place: Place): PlaceRule[] {
  return [
    { network: { address: '0.0.0.0', prefix: 0, family: 'ipv4' }, ...place },
    { network: { address: '::', prefix: 0, family: 'ipv6' }, ...place },
  ];
}

function bytesOf(address: string): number[] | undefined {
  const version = isIP(address);
  if (version === 4) return address.split('.').map(Number);
  if (version === 6) return ipv6Groups(address).flatMap((group) => [group >> 8, group & 0xff]);
  return undefined;
}

/** The first `prefix` bits of an address, as a key: the whole bytes, then the last one masked. */
function maskedKey(bytes: readonly number[], prefix: number): string {
  const whole = prefix >> 3;
  const rest = prefix & 7;
  const kept = bytes.slice(0, whole);
  if (rest > 0) kept.push(bytes[whole]! & (0xff << (8 - rest)) & 0xff);
  return kept.join('.');
}
