// Every message of the disco wire protocol, as valibot schemas. docs/protocol.md is the prose
// form of this file; keep them in step.

import * as v from 'valibot';
import { WireEventSchema } from '../events/event.ts';
import { STEP_REASONS, type StepReason } from '../reasons.ts';
import { AttributesSchema, HostSchema, NameSchema, PatternSchema, PortSchema, ProtocolSchema, ServiceNameSchema } from './fields.ts';
import { DrainChangeSchema, INSTANCES_LIMITS, InstancesSchema, ScaleSchema } from './instances.ts';
import { MemberSchema, memberEntries } from './member.ts';
import { PLACEMENT_LIMITS, PlacementSchema, PlaceSchema } from './placement.ts';

export const PROTOCOL_VERSION = 1;

const RequestId = v.pipe(
  v.number('expected "id" to be a number'),
  v.safeInteger('expected "id" to be a whole number'),
  v.minValue(0, 'expected "id" to be 0 or more'),
);
const IDENT = 'expected an identifier of 1 to 64 letters, digits, "_" or "-"';
const Ident = v.pipe(v.string(IDENT), v.regex(/^[A-Za-z0-9_-]{1,64}$/, IDENT));
const SEQ = 'expected a sequence number (a whole number, 0 or more)';
const Seq = v.pipe(v.number(SEQ), v.safeInteger(SEQ), v.minValue(0, SEQ));
const CURSOR = 'expected a cursor from a "next" field';
const Cursor = v.pipe(v.string(CURSOR), v.maxLength(512, CURSOR));

/** A request's list of entries (`"steps"`, `"placements"`…): a list of one to `most`, said in words when it is not. */
const batch = <T extends v.GenericSchema>(entry: T, list: string, one: string, most: number) =>
  v.pipe(
    v.array(entry, `expected "${list}" to be a list`),
    v.minLength(1, `expected at least one ${one}`),
    v.maxLength(most, `expected at most ${most} ${list}`),
  );
const VERSION = 'expected a protocol version (a whole number)';
const CLIENT = 'expected a client name of at most 128 characters';
const TOKEN = 'expected a token of 1 to 1024 characters';

/** A `list` page holds at most this many endpoints (and is cut sooner to keep its line short). */
export const MAX_PAGE_ENDPOINTS = 1000;
const LIMIT = `expected a page size from 1 to ${MAX_PAGE_ENDPOINTS}`;

/** A `report` carries at most this many steps. */
export const MAX_REPORT_STEPS = 32;
const SINCE = 'expected "since" in milliseconds since the epoch (0 replays every event kept)';
const DETAIL = 'expected a detail of at most 512 characters';

/** One step an agent reports: what `scs events` shows of it. */
const ReportedStep = v.strictObject({
  kind: v.picklist(['step', 'liveupdate'], 'expected "step" or "liveupdate"'),
  reason: v.picklist(Object.keys(STEP_REASONS) as StepReason[], 'expected one of the step reasons of docs/observe.md'),
  detail: v.pipe(v.string(DETAIL), v.maxLength(512, DETAIL)),
  ok: v.boolean('expected "ok" to be true or false'),
});

/** valibot's words for a key too many or missing ("Invalid key: Expected never..."), made plain. */
const fieldMessage = (issue: v.BaseIssue<unknown>) =>
  issue.expected === 'never' ? 'unknown field' : issue.input === undefined ? 'missing field' : 'expected a JSON object';

/** A request: exactly these fields, so that `colour: unknown field` says what is wrong. */
const request = <const E extends v.ObjectEntries>(entries: E) => v.strictObject(entries, fieldMessage);

export const requestSchemas = {
  hello: request({
    op: v.literal('hello'),
    id: RequestId,
    version: v.pipe(v.number(VERSION), v.safeInteger(VERSION)),
    session: v.optional(Ident),
    client: v.optional(v.pipe(v.string(CLIENT), v.maxLength(128, CLIENT))),
    /** Needed when the server's config lists tokens: it decides what the session may do. */
    token: v.optional(v.pipe(v.string(TOKEN), v.minLength(1, TOKEN), v.maxLength(1024, TOKEN))),
  }),
  provide: request({
    op: v.literal('provide'),
    id: RequestId,
    name: NameSchema,
    host: HostSchema,
    port: PortSchema,
    protocol: v.optional(ProtocolSchema, 'tcp'),
    attrs: v.optional(AttributesSchema, {}),
    key: v.optional(Ident),
  }),
  unprovide: v.pipe(
    request({ op: v.literal('unprovide'), id: RequestId, provision: v.optional(Ident), key: v.optional(Ident) }),
    v.check((input) => (input.provision === undefined) !== (input.key === undefined), 'expected exactly one of "provision" and "key"'),
  ),
  require: request({
    op: v.literal('require'),
    id: RequestId,
    /** A name, or a pattern whose `*` labels match any label. */
    name: PatternSchema,
    attrs: v.optional(AttributesSchema, {}),
    key: v.optional(Ident),
  }),
  unrequire: v.pipe(
    request({ op: v.literal('unrequire'), id: RequestId, sub: v.optional(Ident), key: v.optional(Ident) }),
    v.check((input) => (input.sub === undefined) !== (input.key === undefined), 'expected exactly one of "sub" and "key"'),
  ),
  list: request({
    op: v.literal('list'),
    id: RequestId,
    name: v.optional(PatternSchema),
    /** The `next` cursor of the previous page; opaque to clients. */
    after: v.optional(Cursor),
    limit: v.optional(v.pipe(v.number(LIMIT), v.safeInteger(LIMIT), v.minValue(1, LIMIT), v.maxValue(MAX_PAGE_ENDPOINTS, LIMIT))),
  }),
  /** The session's member record, whole: it replaces the last one (src/protocol/member.ts). */
  member: request({ op: v.literal('member'), id: RequestId, ...memberEntries }),
  /** The members, a page at a time; `name` (a pattern) picks them by stack, environment and service. */
  members: request({
    op: v.literal('members'),
    id: RequestId,
    name: v.optional(PatternSchema),
    after: v.optional(Cursor),
  }),
  /** Replays the events kept since `since` (if given), then pushes each new one; `name` filters (docs/observe.md). */
  events: request({
    op: v.literal('events'),
    id: RequestId,
    name: v.optional(PatternSchema),
    since: v.optional(v.pipe(v.number(SINCE), v.safeInteger(SINCE), v.minValue(0, SINCE))),
  }),
  /** An agent's plan steps on one service (`service.stack.environment`), for the server's event ring. */
  report: request({
    op: v.literal('report'),
    id: RequestId,
    service: ServiceNameSchema,
    steps: batch(ReportedStep, 'steps', 'step', MAX_REPORT_STEPS),
  }),
  /**
   * Sets the desired placement of some services, all or none (src/protocol/placement.ts): an entry
   * with a `revision` is set only if the stored one has it (0: only if none is stored).
   */
  place: request({
    op: v.literal('place'),
    id: RequestId,
    placements: batch(PlaceSchema, 'placements', 'placement', PLACEMENT_LIMITS.perRequest),
  }),
  /** The placements of the services `name` (a pattern, `*.SERVICE.STACK.ENV`) matches; with `watch`, each later change is pushed (`placed`). */
  placement: request({
    op: v.literal('placement'),
    id: RequestId,
    name: v.optional(PatternSchema),
    /** The `next` of the previous page: the placements after that service, in name order. */
    after: v.optional(Cursor),
    watch: v.optional(v.boolean('expected "watch" to be true or false')),
  }),
  /** Sets how many instances of some services should run, all or none (src/protocol/instances.ts). */
  scale: request({
    op: v.literal('scale'),
    id: RequestId,
    services: batch(ScaleSchema, 'services', 'service', INSTANCES_LIMITS.perRequest),
  }),
  /** Drains (drops the endpoints of, and keeps running) or undrains instances of some services, all or none. */
  drain: request({
    op: v.literal('drain'),
    id: RequestId,
    drains: batch(DrainChangeSchema, 'drains', 'drain', INSTANCES_LIMITS.perRequest),
  }),
  /** The instances records of the services `name` (a pattern, `*.SERVICE.STACK.ENV`) matches; with `watch`, each later change is pushed (`instances-changed`). */
  instances: request({
    op: v.literal('instances'),
    id: RequestId,
    name: v.optional(PatternSchema),
    after: v.optional(Cursor),
    watch: v.optional(v.boolean('expected "watch" to be true or false')),
  }),
  bye: request({ op: v.literal('bye'), id: RequestId }),
  ping: request({ op: v.literal('ping') }),
  pong: request({ op: v.literal('pong') }),
  ack: request({ op: v.literal('ack'), sub: Ident, seq: Seq }),
} as const;

export type RequestOp = keyof typeof requestSchemas;
export type Request = { [K in RequestOp]: v.InferOutput<(typeof requestSchemas)[K]> }[RequestOp];

export function isRequestOp(op: unknown): op is RequestOp {
  return typeof op === 'string' && Object.hasOwn(requestSchemas, op);
}

// Server → client.

export const EndpointSchema = v.object({
  id: v.string(),
  name: v.string(),
  host: v.string(),
  port: v.number(),
  protocol: ProtocolSchema,
  attrs: v.record(v.string(), v.string()),
});
export type WireEndpoint = v.InferOutput<typeof EndpointSchema>;

const ErrorBody = v.object({ code: v.string(), message: v.string() });

export const replySchema = v.variant('ok', [
  v.object({ re: v.nullable(v.number()), ok: v.literal(true) }),
  v.object({ re: v.nullable(v.number()), ok: v.literal(false), error: ErrorBody }),
]);

/**
 * A message too long for one line comes in parts: every part but the last says `more: true`.
 * Parts of a reply share its `re`; parts of a push share its `sub` and `seq`. The receiver
 * joins the lists of all parts and acts once, on the last.
 */
const More = v.optional(v.boolean());

/** Server pushes, told apart by `op` so that a push is checked against its own schema only. */
export const pushSchema = v.variant('op', [
  v.object({
    op: v.literal('changed'),
    sub: v.string(),
    seq: Seq,
    add: v.array(EndpointSchema),
    drop: v.array(EndpointSchema),
    more: More,
  }),
  /** Sent instead of the pushes a slow reader fell behind on: the subscription's whole current list. */
  v.object({ op: v.literal('resync'), sub: v.string(), seq: Seq, endpoints: v.array(EndpointSchema), more: More }),
  v.object({ op: v.literal('ping') }),
  v.object({ op: v.literal('pong') }),
  v.object({ op: v.literal('shutdown'), reason: v.string() }),
  /** One event of an `events` stream. */
  v.object({ op: v.literal('event'), event: WireEventSchema }),
  /** Placements a `placement` watch covers that changed: each as it is stored now. */
  v.object({ op: v.literal('placed'), watch: v.string(), placements: v.array(PlacementSchema) }),
  /** Instances records an `instances` watch covers that changed: each as it is stored now. */
  v.object({ op: v.literal('instances-changed'), watch: v.string(), records: v.array(InstancesSchema) }),
  /** The end of an `events` stream the server cut (`reason` is `slow-reader`). */
  v.object({ op: v.literal('events-end'), reason: v.string(), message: v.string() }),
]);

export const welcomeSchema = v.object({
  session: v.string(),
  resumed: v.boolean(),
  version: v.number(),
  heartbeat: v.object({ interval: v.number(), timeout: v.number() }),
  grace: v.number(),
});
export const provideReplySchema = v.object({ provision: v.string() });
/** The first part of a `require` reply; later parts are `replyPartSchema`. */
export const requireReplySchema = v.object({ sub: v.string(), seq: Seq, endpoints: v.array(EndpointSchema), more: More });
/** A later part of a reply that came in parts. */
export const replyPartSchema = v.object({ endpoints: v.array(EndpointSchema), more: More });
/** Sent after the replayed events: the server that answers, and how many events it replayed. */
export const eventsReplySchema = v.object({ server: v.string(), replayed: v.number() });
/** One page; `next`, when present, is the `after` of the next page. */
export const listReplySchema = v.object({ endpoints: v.array(EndpointSchema), next: v.optional(v.string()) });
/** One page of placements, in service name order; `next`, when present, is the `after` of the next page; `watch` names a watch's pushes. */
export const placementReplySchema = v.object({
  placements: v.array(PlacementSchema),
  next: v.optional(v.string()),
  watch: v.optional(v.string()),
});
/** One page of members; `next`, when present, is the `after` of the next page. */
export const membersReplySchema = v.object({ members: v.array(MemberSchema), next: v.optional(v.string()) });
/** One page of instances records, in service name order, as `placementReplySchema`; `scale` and `drain` answer with the records they set. */
export const instancesReplySchema = v.object({
  records: v.array(InstancesSchema),
  next: v.optional(v.string()),
  watch: v.optional(v.string()),
});
