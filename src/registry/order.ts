import type { Address } from './types.ts';

/** The stable order endpoints are listed in everywhere: host, then port, then protocol. */
export function compareAddresses(a: Address, b: Address): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.port !== b.port) return a.port - b.port;
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return 0;
}
