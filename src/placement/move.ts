// Whether a move may go, and the placement it sets: `scs move SERVICE --to HOST` checked against
// the agents disco knows and where the service's data lives. Pure; src/placement/mover.ts acts on it.

import type { Member } from '../protocol/member.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import { zoneOf } from '../registry/nearest.ts';

export interface MoveAsked {
  /** `service.stack.environment`. */
  readonly service: string;
  readonly to: string;
  readonly withoutData: boolean;
}

export interface MovePlan {
  readonly place: Place;
  /** The hosts that run it now, which let go of it. */
  readonly from: readonly string[];
  /**
   * `start-first`: the new host serves before the old one stops (no data, or data left behind);
   * `stop-first`: the data follows, so the old host lets go of it before the new one takes it.
   */
  readonly order: 'start-first' | 'stop-first';
}

/** Allowed, with its plan; refused, with the sentence why; or nothing to do: it is placed and runs there alone. */
export type MoveCheck = { readonly plan: MovePlan } | { readonly refused: string } | { readonly already: true };

/** The members of `service`'s stack and environment that run it now. */
export function runningOn(service: string, members: readonly Member[]): string[] {
  const [name, stack, environment] = service.split('.');
  return members
    .filter((m) => m.stack === stack && m.environment === environment && m.services.some((s) => s.service === name))
    .map((m) => m.host)
    .filter((host, at, hosts) => hosts.indexOf(host) === at)
    .sort();
}

export function checkMove(asked: MoveAsked, stored: Placement | undefined, members: readonly Member[]): MoveCheck {
  const { service, to, withoutData } = asked;
  const [name, stack, environment] = service.split('.');
  const ours = members.filter((m) => m.stack === stack && m.environment === environment);
  const target = ours.find((m) => m.host === to);
  if (!target) {
    const known = [...new Set(ours.map((m) => m.host))].sort().join(', ') || 'none';
    return { refused: `no agent of ${stack}.${environment} is up on host ${to} (hosts up: ${known}): start one there with scs up -d` };
  }
  const from = runningOn(service, members).filter((host) => host !== to);
  if (stored?.target.host === to && stored.target.attrs === undefined && from.length === 0) return { already: true };
  const data = stored?.data;
  if (data === 'stays' && !withoutData)
    return {
      refused: `${name} keeps its data in a volume of the host it runs on, which cannot follow it: move it with --without-data to start it empty on ${to}, or keep its data on an aws-ec2-ebs volume (docs/volumes.md)`,
    };
  const zone = zoneOf(target.attrs);
  // Where the data is: as stored by a claim or a move; for a placement the files set, the zone of the
  // host that runs it now, whose volume it is.
  const dataZone = stored?.zone ?? zoneOf(ours.find((m) => from.includes(m.host) && zoneOf(m.attrs))?.attrs);
  if (data === 'follows' && !withoutData && dataZone && zone && zone !== dataZone)
    return {
      refused: `${name}'s data is on a volume in zone ${dataZone}, and host ${to} is in zone ${zone}: a volume moves only within its zone`,
    };
  const place: Place = {
    service,
    target: { host: to },
    cause: 'move',
    ...(from[0] ? { from: from[0] } : stored?.target.host ? { from: stored.target.host } : {}),
    ...(stored?.files === undefined ? {} : { files: stored.files }),
    ...(data ? { data } : {}),
    ...(data === 'follows' && !withoutData && (zone ?? dataZone) ? { zone: (zone ?? dataZone)! } : {}),
    ...(withoutData && data ? { withoutData: true } : {}),
    revision: stored?.revision ?? 0,
  };
  // One writer: a service with data never runs on two hosts at once, even when it moves without its data.
  return { plan: { place, from, order: data ? 'stop-first' : 'start-first' } };
}
