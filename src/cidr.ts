// Networks written as CIDR (`10.0.0.0/8`, `fd00::/8`, or one address), and sets of them that tell
// whether an address is inside: for who may use a DNS server's recursion.

import { BlockList, isIP } from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

export function parseCidr(text: string): Cidr {
  const [address = '', prefixText, extra] = text.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) throw new Error(`"${text}" is not a network like 10.0.0.0/8 or fd00::/8`);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) {
    throw new Error(`"${text}" has a prefix length that is not a whole number from 0 to ${bits}`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** Whether an address is in any of some networks. IPv4 addresses seen through IPv6 (`::ffff:10.0.0.1`) count as IPv4. */
export class CidrSet {
  private readonly list = new BlockList();

  constructor(readonly networks: readonly Cidr[]) {
    for (const { address, prefix, family } of networks) this.list.addSubnet(address, prefix, family);
  }

  has(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const version = isIP(plain);
    return version !== 0 && this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * A stack network pinned to an IPv4 subnet (`10.89.0.0/24`): its network address, and its gateway, the
 * first address after it, where the host DNS is served. Room for the gateway and at least two
 * containers: /8 to /29.
 */
export function pinnedSubnet(text: string): { subnet: string; gateway: string } {
  const cidr = parseCidr(text);
  if (cidr.family !== 'ipv4' || !text.includes('/') || cidr.prefix < 8 || cidr.prefix > 29) {
    throw new Error(`"${text}" is not an IPv4 subnet from /8 to /29 like 10.89.0.0/24`);
  }
  const value = cidr.address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - cidr.prefix);
  if (value % size !== 0) throw new Error(`"${text}" is not a subnet's first address: its host bits are not zero`);
  return { subnet: `${cidr.address}/${cidr.prefix}`, gateway: addressAfter(cidr.address) };
}

/** The IPv4 address after this one: a subnet's first host, where routers and gateways sit. */
export function addressAfter(address: string): string {
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
