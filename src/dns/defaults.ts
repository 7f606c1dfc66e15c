// The DNS front end's defaults, apart from its code: `scs disco` merges its settings with them
// without loading the DNS server (`--dns off` never loads it).

import { type Cidr, parseCidr } from '../cidr.ts';

/** Loopback and the private networks (RFC 1918, RFC 4193): nothing the Internet can reach. */
export const DEFAULT_RECURSION_ALLOW: readonly Cidr[] = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
].map(parseCidr);

export const DNS_DEFAULTS = {
  host: '127.0.0.1',
  port: 8600,
  zones: [{ name: 'disco' }] as const,
  /** Seconds. */
  ttl: 5,
  /** Seconds. */
  negativeTtl: 1,
  tombstoneMs: 30_000,
  recursionAllow: DEFAULT_RECURSION_ALLOW,
  /** Open TCP connections to the DNS port, in total and from one address (a resolver needs a few). */
  tcpMaxConnections: 1000,
  tcpMaxConnectionsPerSource: 100,
  /** Encoded replies kept (cache.ts): three questions a name (SRV, A, TXT) for some 16,000 names. */
  cacheEntries: 50_000,
} as const;
