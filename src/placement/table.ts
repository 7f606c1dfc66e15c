// `scs placement` as rows: for each service, where it is placed and why, where it runs now (the
// members that list it), what is moving, and its instances record (count, drains). Pure: placements,
// members and records in, rows out.

import type { Drain, Instances, Replicas } from '../protocol/instances.ts';
import type { Member } from '../protocol/member.ts';
import { formatTarget, type Placement, placementMatches } from '../protocol/placement.ts';
import { runningOn } from './move.ts';

export interface PlacementRow {
  /** `service.stack.environment`. */
  readonly service: string;
  /** `host h1`, `dc=dc-a`; `anywhere` when nothing is stored: every agent that runs the stack runs it. */
  readonly placedOn: string;
  readonly cause: Placement['cause'] | 'none';
  readonly since?: string;
  readonly by?: string;
  readonly runsOn: string[];
  readonly data?: Placement['data'];
  /** The zone its data is in, for data that follows (it moves only within it). */
  readonly zone?: string;
  /** The host it is leaving, while a move is under way. */
  readonly moving?: string;
  /** How many instances should run, and who said so: absent when nothing set a count (one). */
  readonly replicas?: Replicas;
  /** Its drains: the instances whose endpoints are dropped while their containers run. */
  readonly drained: Drain[];
}

/** One row per service placed, or running, or of the stack here (`known`), that `pattern` picks, in name order. */
export function placementRows(
  placements: readonly Placement[],
  members: readonly Member[],
  known: readonly string[] = [],
  pattern = '*.*.*.*',
  records: readonly Instances[] = [],
): PlacementRow[] {
  const names = new Set([...placements.map((p) => p.service), ...known, ...records.map((r) => r.service)]);
  for (const member of members)
    for (const service of member.services) names.add(`${service.service}.${member.stack}.${member.environment}`);
  const picked = [...names].filter((service) => placementMatches(pattern, service)).sort();
  return picked.map((service): PlacementRow => {
    const stored = placements.find((p) => p.service === service);
    const runsOn = runningOn(service, members);
    const record = records.find((r) => r.service === service);
    const instances = { ...(record?.replicas ? { replicas: record.replicas } : {}), drained: record?.drained ?? [] };
    if (!stored) return { service, placedOn: 'anywhere', cause: 'none', runsOn, ...instances };
    const leaving = stored.from !== undefined && runsOn.includes(stored.from) ? stored.from : undefined;
    return {
      service,
      placedOn: formatTarget(stored.target),
      cause: stored.cause,
      since: stored.since,
      by: stored.by,
      runsOn,
      ...(stored.data ? { data: stored.data } : {}),
      ...(stored.zone ? { zone: stored.zone } : {}),
      ...(leaving ? { moving: leaving } : {}),
      ...instances,
    };
  });
}
