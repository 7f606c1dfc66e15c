// The owner names one provision puts records at, relative to a zone: the DNS grammar of
// docs/dns.md for names. Pure, and apart from the view (view.ts) that keeps the records there.

import { isIP } from 'node:net';
import { parseName } from '../names.ts';
import type { Provision } from '../registry/types.ts';
import { canonicalAddress, ipv6Groups } from './addresses.ts';

const NO_ATTRIBUTES: readonly string[] = [];

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
  const { endpoint, base } = splitName(provision.name);
  const { port, protocol } = provision.address;
  // The one text form of the address: `::FFFF:10.0.0.1` and `::ffff:a00:1` are one AAAA record.
  const host = canonicalAddress(provision.address.host);
  const type = `_${endpoint}._${protocol}.${base}`;
  const keys = Object.keys(provision.attributes);
  const txt = keys.length === 0 ? NO_ATTRIBUTES : keys.sort().map((key) => `${key}=${provision.attributes[key]}`);
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

/**
 * A registry name's endpoint and the rest (`service.stack.environment`). The registry holds names in
 * their canonical form, four labels, read here without checking each label again; any other form is
 * parsed in full.
 */
function splitName(name: string): { endpoint: string; base: string } {
  const dot = name.indexOf('.');
  let dots = 0;
  for (let at = dot; at >= 0; at = name.indexOf('.', at + 1)) dots++;
  if (dots === 3) return { endpoint: name.slice(0, dot), base: name.slice(dot + 1) };
  const { endpoint, service, stack, environment } = parseName(name);
  return { endpoint, base: `${service}.${stack}.${environment}` };
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
