// A subscriber's view of one requirement, and how to bring it in line with a fresh snapshot.
// After a server restart provision ids change, so endpoints are matched by what they are.

import type { WireEndpoint } from '../protocol/messages.ts';
import { compareAddresses } from '../registry/order.ts';

export type Endpoint = WireEndpoint;

export interface ViewChange {
  readonly add: Endpoint[];
  readonly drop: Endpoint[];
}

/** What an endpoint is, regardless of the id a server gave it. */
export function identity(endpoint: Endpoint): string {
  const attrs = Object.keys(endpoint.attrs)
    .sort()
    .map((key) => [key, endpoint.attrs[key]]);
  return JSON.stringify([endpoint.name, endpoint.host, endpoint.port, endpoint.protocol, attrs]);
}

/** The registry's stable order: name (a watch of a pattern sees several), then address, then id. */
export function sortEndpoints(endpoints: Iterable<Endpoint>): Endpoint[] {
  return [...endpoints].sort(
    // Stryker disable next-line EqualityOperator,ConditionalExpression: names are compared only once found different, and ids are unique within a server, so endpoints never tie
    (a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : 0) || compareAddresses(a, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * Replaces `view` by `snapshot` and returns what a subscriber must be told: endpoints that are
 * the same in both (by name, address and attributes) are neither dropped nor added.
 */
export function reconcile(view: Map<string, Endpoint>, snapshot: readonly Endpoint[]): ViewChange {
  const unmatched = new Map<string, Endpoint[]>();
  for (const endpoint of view.values()) {
    const key = identity(endpoint);
    const same = unmatched.get(key);
    if (same) same.push(endpoint);
    else unmatched.set(key, [endpoint]);
  }
  const add: Endpoint[] = [];
  for (const endpoint of snapshot) {
    const same = unmatched.get(identity(endpoint));
    if (same && same.length > 0) same.pop();
    else add.push(endpoint);
  }
  const drop = [...unmatched.values()].flat();
  view.clear();
  for (const endpoint of snapshot) view.set(endpoint.id, endpoint);
  return { add: sortEndpoints(add), drop: sortEndpoints(drop) };
}

/** Applies one pushed change; returns what actually changed (a replayed drop of an unknown id is ignored). */
export function applyChange(view: Map<string, Endpoint>, add: readonly Endpoint[], drop: readonly Endpoint[]): ViewChange {
  const dropped = drop.filter((endpoint) => view.delete(endpoint.id));
  const added = add.filter((endpoint) => !view.has(endpoint.id));
  for (const endpoint of added) view.set(endpoint.id, endpoint);
  return { add: added, drop: dropped };
}
