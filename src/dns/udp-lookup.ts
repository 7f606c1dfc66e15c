// The lookup the DNS server's UDP socket sends its replies with.

import { lookup } from 'node:dns';
import { isIP } from 'node:net';

/** The address the last reply went to, and its IP version: most replies go where the one before went. */
let lastAddress: string | undefined;
let lastVersion = 0;

/**
 * Replies go to the address a query came from, always an IP: no need for dgram's default
 * dns.lookup, which costs a deferred callback on every send. isIP's regular expression is run once
 * per address in a row, not once per reply.
 */
export function literalLookup(
  address: string,
  family: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  if (address !== lastAddress) {
    const version = isIP(address);
    // Stryker disable next-line ConditionalExpression: replies go to the address a datagram came from, always an IP, which dns.lookup gives back as it is
    if (!version) {
      lookup(address, family as number, callback);
      return;
    }
    lastAddress = address;
    lastVersion = version;
  }
  callback(null, address, lastVersion);
}
