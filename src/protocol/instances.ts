// A service's instances record: how many instances of it should run (`replicas`, set by the stack
// files or `scs scale`), and which of them are drained (`scs drain`: their endpoints dropped, their
// containers left running). disco keeps it beside placement, with the same guarantees (bounded,
// revisions, in etcd without a lease when HA); it is not part of the placement record, whose target
// is required. The same schema checks it on the wire, when it comes back from etcd, and in the CLI.

import * as v from 'valibot';
import { isLabel } from '../names.ts';
import { ServiceNameSchema } from './fields.ts';

export const INSTANCES_LIMITS = {
  /** Services one disco keeps an instances record for. */
  records: 10_000,
  /** Services one `scale` or `drain` request changes, all or none. */
  perRequest: 128,
  /** Drain entries one service's record holds. */
  drains: 64,
  /** The most instances of one service. */
  replicas: 100,
  /** `instances` watches one session may hold. */
  watches: 16,
} as const;

/** Why a service's count is what it is: the stack files said so, or `scs scale` did. */
export const REPLICAS_CAUSES = ['files', 'scale'] as const;
export type ReplicasCause = (typeof REPLICAS_CAUSES)[number];

const LABEL = 'expected a host name like "h1" (letters, digits and inner hyphens, at most 63)';
const HostLabel = v.pipe(v.string(LABEL), v.check(isLabel, LABEL));
const COUNT = `expected a number of instances from 0 to ${INSTANCES_LIMITS.replicas}`;
const Count = v.pipe(v.number(COUNT), v.safeInteger(COUNT), v.minValue(0, COUNT), v.maxValue(INSTANCES_LIMITS.replicas, COUNT));
const INSTANCE = `expected an instance number from 1 to ${INSTANCES_LIMITS.replicas}`;
const Instance = v.pipe(
  v.number(INSTANCE),
  v.safeInteger(INSTANCE),
  v.minValue(1, INSTANCE),
  v.maxValue(INSTANCES_LIMITS.replicas, INSTANCE),
);
const BY = 'expected who set it, in at most 128 characters';
const By = v.pipe(v.string(BY), v.maxLength(128, BY));
const ISO_TIME = 'expected a time like "2026-01-01T00:00:00.000Z"';
const Since = v.pipe(v.string(ISO_TIME), v.isoTimestamp(ISO_TIME));
const REVISION = 'expected a revision (a whole number, 0 for "none stored yet")';
const Revision = v.pipe(v.number(REVISION), v.safeInteger(REVISION), v.minValue(0, REVISION));
const BOOL = 'expected true or false';

/** How many instances should run, and who said so last. */
export const ReplicasSchema = v.strictObject({
  count: Count,
  cause: v.picklist(REPLICAS_CAUSES, `expected one of ${REPLICAS_CAUSES.join(', ')}`),
  /** What the stack files said when they last set it: a later `scs up` with another count overrides a `scs scale`, one with the same does not. */
  files: v.optional(Count),
});
export type Replicas = v.InferOutput<typeof ReplicasSchema>;

/** One drain: the instances it covers (every host when `host` is absent, every instance when `instance` is). */
export const DrainSchema = v.strictObject({
  host: v.optional(HostLabel),
  instance: v.optional(Instance),
  by: By,
  since: Since,
});
export type Drain = v.InferOutput<typeof DrainSchema>;

/** One service's instances record as disco keeps and sends it. */
export const InstancesSchema = v.strictObject({
  service: ServiceNameSchema,
  replicas: v.optional(ReplicasSchema),
  drained: v.pipe(
    v.array(DrainSchema, 'expected "drained" to be a list'),
    v.maxLength(INSTANCES_LIMITS.drains, `expected at most ${INSTANCES_LIMITS.drains} drains`),
  ),
  /** The client name of the session that changed it last. */
  by: By,
  since: Since,
  /** Grows with every change to this service's record; a conditional `scale` names the one it saw. */
  revision: v.pipe(Revision, v.minValue(1, REVISION)),
});
export type Instances = v.InferOutput<typeof InstancesSchema>;

/** One entry of a `scale` request: the count of one service; `revision`, when given, makes it conditional (0: only if none is stored). */
export const ScaleSchema = v.strictObject({
  service: ServiceNameSchema,
  count: Count,
  cause: v.optional(v.picklist(REPLICAS_CAUSES, `expected one of ${REPLICAS_CAUSES.join(', ')}`), 'scale'),
  files: v.optional(Count),
  revision: v.optional(Revision),
});
export type Scale = v.InferOutput<typeof ScaleSchema>;

/** One entry of a `drain` request: drains (`drained: true`) or undrains the instances host and instance pick. */
export const DrainChangeSchema = v.strictObject({
  service: ServiceNameSchema,
  host: v.optional(HostLabel),
  instance: v.optional(Instance),
  drained: v.boolean(BOOL),
});
export type DrainChange = v.InferOutput<typeof DrainChangeSchema>;

/** Who changes a batch of records, and when: the same for every entry of one request. */
export interface Setter {
  readonly by: string;
  readonly since: string;
}

/** A change to one service's record: a new count, drains added or removed. */
export interface InstancesEdit {
  readonly service: string;
  readonly replicas?: Replicas;
  readonly drains?: readonly { readonly host?: string | undefined; readonly instance?: number | undefined; readonly drained: boolean }[];
  /** Set only if the stored record has this revision (0: none stored). */
  readonly revision?: number | undefined;
}

/** What `scale` entries change. */
export const scaleEdits = (scales: readonly Scale[]): InstancesEdit[] =>
  scales.map(({ service, count, cause, files, revision }) => ({
    service,
    replicas: { count, cause, ...(files === undefined ? {} : { files }) },
    ...(revision === undefined ? {} : { revision }),
  }));

/** What `drain` entries change: one edit per service, its entries in the order given. */
export function drainEdits(changes: readonly DrainChange[]): InstancesEdit[] {
  const by = new Map<string, DrainChange[]>();
  for (const change of changes) by.set(change.service, [...(by.get(change.service) ?? []), change]);
  return [...by].map(([service, drains]) => ({ service, drains }));
}

/** Whether an undrain of `host` and `instance` (each absent: any) takes `drain` away. */
const undrains = (drain: Drain, host: string | undefined, instance: number | undefined) =>
  (host === undefined || drain.host === host) && (instance === undefined || drain.instance === instance);

/**
 * The record `edit` makes of `stored` (none for a service without one), stamped by `setter`, its
 * revision one more. Throws a sentence when its drains would pass the limit. Pure.
 */
export function editInstances(stored: Instances | undefined, edit: InstancesEdit, setter: Setter): Instances {
  let drained = [...(stored?.drained ?? [])];
  for (const { host, instance, drained: on } of edit.drains ?? []) {
    if (!on) {
      drained = drained.filter((drain) => !undrains(drain, host, instance));
      continue;
    }
    if (drained.some((drain) => drain.host === host && drain.instance === instance)) continue;
    drained.push({ ...(host === undefined ? {} : { host }), ...(instance === undefined ? {} : { instance }), ...setter });
  }
  if (drained.length > INSTANCES_LIMITS.drains)
    throw new Error(`${edit.service} would have more than ${INSTANCES_LIMITS.drains} drains: undrain some first`);
  // A `scs scale` keeps what the files said last: the files win again only once they say another count.
  const files = edit.replicas?.files ?? stored?.replicas?.files;
  const replicas = edit.replicas ? { ...edit.replicas, ...(files === undefined ? {} : { files }) } : stored?.replicas;
  return {
    service: edit.service,
    ...(replicas ? { replicas } : {}),
    drained,
    ...setter,
    revision: (stored?.revision ?? 0) + 1,
  };
}

/** Whether a drain of the record covers instance `instance` on host `host`. */
export function isDrained(record: Instances | undefined, host: string, instance: number): boolean {
  return (record?.drained ?? []).some((drain) => (drain.host ?? host) === host && (drain.instance ?? instance) === instance);
}

/** `all`, `host h1`, `instance 2`, `instance 2 on h1`: what a drain covers, as the CLI and the log say it. */
export function formatDrain(drain: { readonly host?: string | undefined; readonly instance?: number | undefined }): string {
  if (drain.host === undefined) return drain.instance === undefined ? 'all' : `instance ${drain.instance}`;
  return drain.instance === undefined ? `host ${drain.host}` : `instance ${drain.instance} on ${drain.host}`;
}
