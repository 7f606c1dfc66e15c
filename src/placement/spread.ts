// How a service's instances spread over the hosts that may run it (`spread:` in the stack file).
// Every agent computes the same assignment from the same live members and runs the instances
// assigned to its own host, so no agent decides for another and no leader is needed.
//
// The count is shared out over the groups (zones, data centers or hosts) as evenly as it divides:
// at most ⌈N/G⌉ in any one of G groups. A group with no live host takes no share, so the others
// take its part; with `over:` naming the groups it should be in, that group is reported missing.
// Within a group the share is divided over its hosts the same way, and each instance goes to the
// host that ranks it highest among those with room left (rendezvous hashing): a host joining or
// leaving moves few instances that were not its own. Pure.

import { createHash } from 'node:crypto';
import type { Member } from '../protocol/member.ts';
import { type PlacedMember, type PlacementTarget, placedOn, type SpreadKey } from '../protocol/placement.ts';
import { zoneOf } from '../registry/nearest.ts';

export interface Spread {
  /** What the instances spread over: hosts, zones (`zone`, or its alias `az`) or data centers (`dc`). */
  readonly by: SpreadKey;
  /** The groups it should run in: one of them with no live host is missing, and says so. */
  readonly over?: readonly string[];
}

export interface SpreadPlan {
  /** The host each instance runs on, by instance number; empty when no host may run it. */
  readonly hosts: ReadonlyMap<number, string>;
  /** The groups of `over` with no live host: the service is under-spread while there is one. */
  readonly missing: readonly string[];
}

/** Member phases that take part in the sharing: starting or running, not stopping or failed. */
const SHARING: ReadonlySet<Member['phase']> = new Set(['starting', 'running']);

/**
 * The hosts that share `service`'s instances: `me` (the agent asking, whether or not disco lists it
 * yet) when the placement's `target` picks it, and every other member of the stack that is starting
 * or running, was given the service (or every one), and is picked by the target.
 */
export function sharers(
  service: string,
  me: PlacedMember,
  members: readonly Pick<Member, 'host' | 'attrs' | 'phase' | 'given'>[],
  target: PlacementTarget | undefined,
): PlacedMember[] {
  const picked = (member: PlacedMember) => target === undefined || placedOn(target, member);
  const others = members.filter(
    (member) =>
      member.host !== me.host &&
      SHARING.has(member.phase) &&
      (member.given === undefined || member.given.includes(service)) &&
      picked(member),
  );
  return picked(me) ? [me, ...others] : others;
}

/** The group `member` is in, for `by`; hosts without the attribute form one group of their own (""). */
export function groupOf(by: SpreadKey, member: PlacedMember): string {
  if (by === 'host') return member.host;
  if (by === 'zone') return zoneOf(member.attrs) ?? '';
  return member.attrs?.dc ?? '';
}

/** `count` instances of `service` over `members` (each host once; a host's first record counts). */
export function spreadInstances(service: string, count: number, spread: Spread, members: readonly PlacedMember[]): SpreadPlan {
  const groups = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const member of members) {
    const group = groupOf(spread.by, member);
    if ((spread.over && !spread.over.includes(group)) || seen.has(member.host)) continue;
    seen.add(member.host);
    groups.set(group, (groups.get(group) ?? new Set()).add(member.host));
  }
  const missing = (spread.over ?? []).filter((group) => !groups.has(group));
  const room = new Map<string, number>();
  for (const [group, share] of shares(service, count, [...groups.keys()]))
    for (const [host, part] of shares(`${service}\n${group}`, share, [...(groups.get(group) ?? [])])) room.set(host, part);
  const hosts = new Map<number, string>();
  for (let instance = 1; instance <= count; instance++) {
    const ranked = [...room.keys()].sort(byScore(`${service}\n${instance}`));
    const host = ranked.find((each) => (room.get(each) ?? 0) > 0);
    if (host === undefined) break;
    hosts.set(instance, host);
    room.set(host, (room.get(host) ?? 0) - 1);
  }
  return { hosts, missing };
}

/**
 * How `service`'s `count` instances spread over the members that may run it (`sharers`), as every
 * agent and `scs up --dry-run` decide it; undefined for a service without `spread:`.
 */
export function spreadPlan(
  service: { readonly name: string; readonly spread?: Spread | undefined },
  count: number,
  me: PlacedMember,
  members: Parameters<typeof sharers>[2],
  target: PlacementTarget | undefined,
): SpreadPlan | undefined {
  return service.spread && spreadInstances(service.name, count, service.spread, sharers(service.name, me, members, target));
}

/** The instances of `plan` that run on `host`, in order. */
export function instancesOn(plan: SpreadPlan, host: string): number[] {
  return [...plan.hosts].filter(([, on]) => on === host).map(([instance]) => instance);
}

/**
 * `total` divided over `keys`: ⌊total/k⌋ each, and one more for the first `total mod k` by their
 * rank for `seed`, so that two services do not both put their extra instance in the same group.
 */
function shares(seed: string, total: number, keys: readonly string[]): Map<string, number> {
  const ranked = [...keys].sort(byScore(seed));
  const base = Math.floor(total / Math.max(1, ranked.length));
  const extra = total - base * ranked.length;
  return new Map(ranked.map((key, at) => [key, base + (at < extra ? 1 : 0)]));
}

/** Highest score first, for `seed`; the key itself breaks a tie, so every agent sorts alike. */
function byScore(seed: string): (a: string, b: string) => number {
  const scores = new Map<string, string>();
  const score = (key: string) => {
    let known = scores.get(key);
    if (known === undefined) scores.set(key, (known = createHash('sha256').update(`${seed}\n${key}`).digest('hex')));
    return known;
  };
  return (a, b) => {
    const [x, y] = [score(a), score(b)];
    return x !== y ? (x < y ? 1 : -1) : a < b ? -1 : a > b ? 1 : 0;
  };
}
