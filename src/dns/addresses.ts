// IP addresses as the DNS writes them: one text form per address, and the bytes of A and AAAA
// records. IPv6 is put in its canonical form by the WHATWG URL parser (Node's own), which reads
// every way an address can be written, an embedded dotted quad (`::ffff:10.0.0.1`) included, and
// prints hex groups only, lower-case, with the longest run of zeros folded: bytes are then plain.

import { isIP } from 'node:net';

/**
 * The one text form of an IP address: IPv4 as it is, IPv6 canonical (`::ffff:a00:1` for
 * `::FFFF:10.0.0.1`). A zone index (`fe80::1%eth0`) means nothing outside its host: it goes.
 */
export function canonicalAddress(address: string): string {
  const plain = address.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return address;
  return new URL(`http://[${plain}]/`).hostname.slice(1, -1);
}

/** The eight 16-bit groups of an IPv6 address, in any of its text forms. */
export function ipv6Groups(address: string): number[] {
  const [head, tail] = canonicalAddress(address).split('::') as [string, string?];
  const read = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = read(head);
  const right = read(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Writes an A record's four bytes at `at`. */
export function writeIPv4(out: Buffer, at: number, address: string): void {
  const parts = address.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

/** Writes an AAAA record's sixteen bytes at `at`. */
export function writeIPv6(out: Buffer, at: number, address: string): void {
  const groups = ipv6Groups(address);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i]!, at + 2 * i);
}
