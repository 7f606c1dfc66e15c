// One event of a disco server's ring, as `scs events` shows it and the `events` op sends it. The
// kinds are a closed set, as the reasons are (src/reasons.ts); docs/observe.md lists both.

import * as v from 'valibot';
import { isReason, type Reason } from '../reasons.ts';

export const EVENT_KINDS = {
  'endpoint-added': 'an endpoint was registered (on this server, or on another one sharing its etcd)',
  'endpoint-dropped': 'an endpoint was dropped; its reason says why',
  'member-joined': 'an agent registered itself as a member',
  'member-left': 'a member went; its reason says why, by the same rules as a session',
  'server-joined': 'a disco server started (this one), or was first seen holding a session in the shared etcd',
  'server-left': 'a disco server sharing the etcd holds no session any more, or this one is shutting down',
  step: "an agent ran a step of its plan; its reason names the planner's cause, `ok` says whether it worked",
  liveupdate: 'an agent ran a live update of a requirement; `ok` says whether it worked',
  placed: "a service's placement was set (where it should run); its reason is the placement's cause",
  scaled: 'the number of instances a service should run was set; its reason says by whom (`files` or `scale`)',
  drained: 'instances of a service were drained (`scs drain`): their endpoints dropped, their containers left running',
  undrained: 'instances of a service were undrained (`scs undrain`): their endpoints are provided again',
} as const;

export type EventKind = keyof typeof EVENT_KINDS;

/** What the server records; the ring adds `seq` and `time`. */
export interface EventInput {
  readonly kind: EventKind;
  /** An endpoint's name, a service's (`service.stack.environment`), a member's, or a disco server's id. */
  readonly name: string;
  readonly reason: Reason;
  /** For people: an address, a step as the agent logs it, an error. */
  readonly detail: string;
  /** Who caused it: the client name its session said hello with, when known. */
  readonly client?: string | undefined;
  /** For steps and live updates: whether it worked. */
  readonly ok?: boolean | undefined;
}

export interface DiscoEvent extends EventInput {
  /** One more than the server's previous event: a reader sees a gap as events it missed. */
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The disco server that recorded it. */
  readonly server: string;
}

const MAX_TEXT = 1024;
const Text = v.pipe(v.string(), v.maxLength(MAX_TEXT));

/** An event as it travels, its time in RFC 3339 (UTC, milliseconds). */
export const WireEventSchema = v.object({
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  time: v.pipe(v.string(), v.isoTimestamp()),
  server: v.pipe(v.string(), v.maxLength(64)),
  kind: v.picklist(Object.keys(EVENT_KINDS) as EventKind[]),
  name: v.pipe(v.string(), v.maxLength(256)),
  reason: v.pipe(
    v.string(),
    v.check((word) => isReason(word), 'expected one of the reasons'),
    v.transform((word) => word as Reason),
  ),
  detail: Text,
  client: v.optional(Text),
  ok: v.optional(v.boolean()),
});
export type WireEvent = v.InferOutput<typeof WireEventSchema>;

export function toWire(event: DiscoEvent): WireEvent {
  const { at, ...rest } = event;
  const { seq, server, kind, name, reason, detail, client, ok } = rest;
  return {
    seq,
    time: new Date(at).toISOString(),
    server,
    kind,
    name,
    reason,
    detail,
    ...(client === undefined ? {} : { client }),
    ...(ok === undefined ? {} : { ok }),
  };
}
