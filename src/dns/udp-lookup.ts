// The lookup the DNS server's UDP socket sends its replies with.

import { lookup } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Replies go to the address a query came from, always an IP: no need for dgram's default
 * dns.lookup, which costs a deferred callback on every send.
 */
export function literalLookup(
  address: string,
  family: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  const version = isIP(address);
  // Stryker disable next-line ConditionalExpression: replies go to the address a datagram came from, always an IP, which dns.lookup gives back as it is
  if (version) callback(null, address, version);
  else lookup(address, family as number, callback);
}
