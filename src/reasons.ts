// Why something happened, as a closed set: the same word names a registry drop in the server's log,
// its event in `scs events`, and its counter in the metrics, so the three always agree. Each word
// has one sentence, which docs/observe.md lists; adding one means adding it here, and nowhere else.

import { ErrorCode } from './protocol/errors.ts';
import type { PlacementCause } from './protocol/placement.ts';

/** Why an endpoint was added or dropped, why a session ended, why a connection was cut. */
export const REGISTRY_REASONS = {
  provide: 'a client provided the endpoint',
  goodbye: 'the client said "bye": its session ended and its endpoints went at once',
  unprovide: 'the client withdrew this endpoint ("unprovide", or `scs` dropping it)',
  'heartbeat-timeout': 'the client missed its heartbeats; its session waited out the grace, was not resumed, and ended',
  'lost-socket': 'the connection closed or broke; the session waited out the grace, was not resumed, and ended',
  'slow-reader':
    'the server cut the connection: it read nothing for the heartbeat timeout while lines waited for it (then the grace ran out)',
  'protocol-violation':
    'the server cut the connection for breaking a protocol limit: a line too long or too slow, too many bad lines, no hello',
  'lease-expired':
    "etcd ended the lease of a session this server held: the server could not renew it in time (cut off from etcd's majority)",
  'lease-ended':
    'a session held by another disco server ended in etcd: that server revoked its lease (its own events say why) or it expired (that server went)',
  replaced: 'the session was resumed elsewhere: on another connection, or on another disco server, which holds its endpoints now',
  'server-shutdown': 'the disco server is shutting down',
} as const;

/** Why a disco server or a member joined or left. */
export const PRESENCE_REASONS = {
  started: 'this disco server started: the first event of its ring',
  'first-session': 'a disco server sharing this etcd was first seen holding a session',
  'no-sessions': 'a disco server sharing this etcd holds no session any more (it stopped, or its clients moved)',
  registered: 'an agent registered itself as a member',
} as const;

/** Why an agent planned a step: the causes its planner gives (src/agent/reconcile.ts), by kind. */
export const STEP_REASONS = {
  'no-container': 'the service has no container yet',
  'config-changed': "the service's configuration changed: its container is replaced",
  'endpoints-changed': 'an endpoint the service requires moved: a live update applies it',
  'liveupdate-failed': 'a live update failed, or the image has none: the container is replaced instead',
  'container-exited': 'its container exited or had stopped',
  'container-restarted': 'its container restarted (Docker brought it back): its endpoints are registered again',
  'container-gone': 'its container is gone',
  'container-running': 'its container is running and ready: its endpoints are provided',
  unhealthy: 'its container is unhealthy: its endpoints are dropped until it is healthy again',
  'check-failed': "the stack file's health check failed `retries` times in a row: its endpoints are dropped until it passes",
  'check-passed': "the stack file's health check passes again after failing: its endpoints are provided again",
  flapping: 'its health changed too often (flap damping): its endpoints are held out for a while',
  'unfinished-replacement': 'an earlier replacement did not finish: what it left is cleared away',
  'scs-stop': '`scs stop`',
  'scs-restart': '`scs restart`',
  'scs-down': '`scs down`',
  'removed-from-stack': 'the service is no longer in the stack',
  'scs-drain': '`scs drain`: the instance keeps running, its endpoints dropped until `scs undrain`',
  moved: 'the service is placed on another host now (`scs move`, `scs place`, or the stack files): it leaves this one',
  other: 'a cause the planner gave that none of the words above names (the event shows it in full)',
} as const;

/** Why a service is placed where it is: the causes of src/protocol/placement.ts, one word each. */
export const PLACEMENT_REASONS = {
  files: 'the stack files set it (`scs up`): where the service is placed, or how many instances of it run',
  move: 'a person moved or placed it (`scs move`, `scs place`)',
  claim: 'an agent claimed it, placing it on its own host: the service was placed nowhere and that host holds its data',
  rollback: 'a move that failed was undone: the service is placed back where it was',
} as const satisfies Record<PlacementCause, string>;

/** Why a service's instances record changed: its count (`files`, from PLACEMENT_REASONS, or `scale`), its drains. */
export const INSTANCES_REASONS = {
  scale: 'a person set the number of instances (`scs scale`)',
  drain: 'a person drained instances (`scs drain`)',
  undrain: 'a person undrained instances (`scs undrain`)',
} as const;

export const REASONS = { ...REGISTRY_REASONS, ...PRESENCE_REASONS, ...STEP_REASONS, ...PLACEMENT_REASONS, ...INSTANCES_REASONS } as const;

export type RegistryReason = keyof typeof REGISTRY_REASONS;
export type StepReason = keyof typeof STEP_REASONS;
export type Reason = keyof typeof REASONS;

export const isReason = (word: string): word is Reason => Object.hasOwn(REASONS, word);

/** A connection is cut after the server sent one of these codes; anything else that ends one is a lost socket. */
const CUT_BY: Partial<Record<string, RegistryReason>> = {
  [ErrorCode.overloaded]: 'slow-reader',
  [ErrorCode.replaced]: 'replaced',
  [ErrorCode.lineTooLong]: 'protocol-violation',
  [ErrorCode.tooManyErrors]: 'protocol-violation',
  [ErrorCode.helloTimeout]: 'protocol-violation',
  [ErrorCode.lineTimeout]: 'protocol-violation',
};

/** Why a connection the server closed with an error line went. */
export function cutReason(code: string): RegistryReason {
  return CUT_BY[code] ?? 'lost-socket';
}
