import type { Address, Provision } from './types.ts';

/** The stable order endpoints are listed in everywhere: host, then port, then protocol. */
export function compareAddresses(a: Address, b: Address): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.port !== b.port) return a.port - b.port;
  // Stryker disable next-line EqualityOperator: evaluated only after !== found the two different, where < and <= agree
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return 0;
}

/**
 * The stable order of one name's provisions: address, then id (the order they came in). Names are
 * ordered apart, before their provisions are (the registry walks them sorted).
 */
export function compareProvisions(a: Provision, b: Provision): number {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: two provisions at one address always differ by id, and V8's sort only asks whether a result is below 0
  return compareAddresses(a.address, b.address) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
