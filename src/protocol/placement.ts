// Desired placement: which host (or which data center or zone) runs each service of a stack. disco
// keeps it (in etcd when HA, so it outlives every restart); the stack files give the first wish,
// `scs move` and `scs place` change it, and each agent runs what is placed on it. The same schema
// checks it on the wire, when it comes back from etcd, and when the CLI reads it.

import * as v from 'valibot';
import { isLabel } from '../names.ts';
import { AttributesSchema, ServiceNameSchema } from './fields.ts';

export const PLACEMENT_LIMITS = {
  /** Services one disco keeps a placement for. */
  placements: 10_000,
  /** Placements one `place` request sets, all or none. */
  perRequest: 128,
  /** `placement` watches one session may hold. */
  watches: 16,
} as const;

/** Why a placement is what it is: a closed set, as the reasons are (src/reasons.ts). */
export const PLACEMENT_CAUSES = ['files', 'move', 'claim', 'rollback'] as const;
export type PlacementCause = (typeof PLACEMENT_CAUSES)[number];

/** What a service's instances spread over (`spread:`, src/placement/spread.ts): hosts, zones or data centers. */
export const SPREAD_KEYS = ['host', 'zone', 'dc'] as const;
export type SpreadKey = (typeof SPREAD_KEYS)[number];
const GROUP = 'expected a zone, data center or host like "us-east-1a" (letters, digits, dots, hyphens, underscores, at most 63)';
/** One group a spread names: a zone, a data center or a host. */
export const SpreadGroupSchema = v.pipe(v.string(GROUP), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, GROUP));

export const DATA_KINDS = ['follows', 'stays'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

const LABEL = 'expected a host name like "h1" (letters, digits and inner hyphens, at most 63)';
const HostLabel = v.pipe(v.string(LABEL), v.check(isLabel, LABEL));
const BY = 'expected who placed it, in at most 128 characters';
const ISO_TIME = 'expected a time like "2026-01-01T00:00:00.000Z"';
const WISH = "expected the stack files' placement as text, in at most 512 characters";
const ZONE = 'expected a zone like "us-east-1a"';
const REVISION = 'expected a revision (a whole number, 0 for "none stored yet")';
const Revision = v.pipe(v.number(REVISION), v.safeInteger(REVISION), v.minValue(0, REVISION));

/** Where a service should run: one host, or every host whose member attributes match (`dc`, `az`), or both. */
export const PlacementTargetSchema = v.pipe(
  v.strictObject({ host: v.optional(HostLabel), attrs: v.optional(AttributesSchema) }),
  v.check((target) => target.host !== undefined || Object.keys(target.attrs ?? {}).length > 0, 'expected a host or attributes'),
);
export type PlacementTarget = v.InferOutput<typeof PlacementTargetSchema>;

/** The fields a `place` request sets for one service. */
export const placementEntries = {
  /** `service.stack.environment`. */
  service: ServiceNameSchema,
  target: PlacementTargetSchema,
  /** The host it is moving from, while a move is under way: that host drains it once the new one serves. */
  from: v.optional(HostLabel),
  cause: v.picklist(PLACEMENT_CAUSES, `expected one of ${PLACEMENT_CAUSES.join(', ')}`),
  /** What the stack files said when they last set it: a later `scs up` with other files overrides a move, one with the same does not. */
  files: v.optional(v.pipe(v.string(WISH), v.maxLength(512, WISH))),
  /** Moved without its data (`--without-data`): a copy that starts empty is wanted. */
  withoutData: v.optional(v.boolean('expected true or false')),
  /**
   * Where its data lives: `follows` (a volume that moves with it, EBS), `stays` (a volume of the
   * host, named or local). Absent: it keeps none, and any number of hosts may run it at once.
   */
  data: v.optional(v.picklist(DATA_KINDS, `expected one of ${DATA_KINDS.join(', ')}`)),
  /** The zone its data is in, for data that follows: a volume can move only within its zone. */
  zone: v.optional(v.pipe(v.string(ZONE), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, ZONE))),
};

/** One placement as a `place` request sets it; `revision`, when given, makes it conditional (0: only if none is stored). */
export const PlaceSchema = v.strictObject({ ...placementEntries, revision: v.optional(Revision) });
export type Place = v.InferOutput<typeof PlaceSchema>;

/** One placement as disco keeps and sends it: what was set, who set it, when, and its revision. */
export const PlacementSchema = v.strictObject({
  ...placementEntries,
  /** The client name of the session that set it. */
  by: v.pipe(v.string(BY), v.maxLength(128, BY)),
  since: v.pipe(v.string(ISO_TIME), v.isoTimestamp(ISO_TIME)),
  /** Grows with every change to this service's placement; a conditional `place` names the one it saw. */
  revision: v.pipe(Revision, v.minValue(1, REVISION)),
});
export type Placement = v.InferOutput<typeof PlacementSchema>;

/** A member as placement reads it: its host and attributes. */
export interface PlacedMember {
  readonly host: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

/** Whether `target` picks `member`: its host is the one named, and each attribute named is the member's. Pure. */
export function placedOn(target: PlacementTarget, member: PlacedMember): boolean {
  if (target.host !== undefined && target.host !== member.host) return false;
  return Object.entries(target.attrs ?? {}).every(([key, value]) => member.attrs?.[key] === value);
}

/** `host h1`, `dc=a az=a1`, `host h1, dc=a`: a target as the CLI and the log say it. */
export function formatTarget(target: PlacementTarget): string {
  const attrs = Object.entries(target.attrs ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return [target.host === undefined ? '' : `host ${target.host}`, attrs].filter(Boolean).join(', ');
}

/** Whether two targets pick the same hosts. */
export const sameTarget = (a: PlacementTarget, b: PlacementTarget) => formatTarget(a) === formatTarget(b);

/** Whether `pattern` (an endpoint pattern, canonical: `*.web.hello.dev`) picks `service`: its first label is left aside. */
export function placementMatches(pattern: string, service: string): boolean {
  const wanted = pattern.split('.').slice(1);
  const labels = service.split('.');
  return wanted.length === labels.length && wanted.every((label, at) => label === '*' || label === labels[at]);
}
