// Deciding, and only deciding: what must happen to one service so that what runs matches what is
// wanted. Pure: the runner observes, this plans, the executor acts, and the runner asks again until
// nothing is left to do. Every rule of the agent is here, with a cause for each step.

import { nextStep, type Resource, type Step, step } from './plan.ts';

/** What is wanted of a service now: its container's configuration, and what it requires. */
export interface DesiredService {
  /** False after `scs stop`: its endpoints dropped and its container stopped, but kept. */
  readonly running: boolean;
  /** True while `scs drain` covers it here: its container runs as ever, but its endpoints are not provided. */
  readonly drained?: boolean;
  /** The config hash of the container it would create now (see config-hash.ts). */
  readonly configHash: string;
  /** Whether it has endpoints to provide. */
  readonly provides: boolean;
  readonly requires: readonly DesiredRequirement[];
  /** Replace start-first (make-before-break), draining the old container this long; or stop-first. */
  readonly replace: { readonly order: 'start-first' | 'stop-first'; readonly drainMs: number };
  /** What its container needs first, in order: its volumes, then a network from outside Docker. */
  readonly resources: readonly DesiredResource[];
}

export interface DesiredResource {
  readonly resource: Resource;
  /** It must be made usable on this host before each container (an EBS volume attached and mounted, an ENI attached). */
  readonly attaches: boolean;
}

export interface DesiredRequirement {
  readonly endpoint: string;
  /** What disco says now, as `host:port` in stable order. */
  readonly current: readonly string[];
  readonly liveupdate: boolean;
  /**
   * Every endpoint went away a moment ago: the empty set is held back (see urgency.ts), so a
   * provider that comes straight back costs one update, to its new address, not two.
   */
  readonly holdingEmpty: boolean;
}

export interface ObservedContainer {
  readonly id: string;
  /** This run of the container: its id and when it last started. A restart makes a new run. */
  readonly run: string;
  readonly configHash: string | undefined;
  readonly running: boolean;
  readonly health: string | undefined;
  readonly exitCode: number;
}

export interface ObservedService {
  readonly container: ObservedContainer | undefined;
  /** The agent has seen this run ready (running, and healthy if the image has a healthcheck). */
  readonly ready: boolean;
  /** This run followed an earlier run of the same container that the agent saw: it restarted. */
  readonly restarted?: boolean;
  /** Endpoints registered with disco: for this run, for an earlier one (stale), or none. */
  readonly provisions: 'none' | 'current' | 'stale';
  readonly requires: readonly ObservedRequirement[];
  /**
   * What the agent's own health checks (the stack file's `health:`) say of this run, once they have
   * judged it: an instance is provided only while `healthy`.
   */
  readonly check?: { readonly verdict: 'starting' | 'healthy' | 'unhealthy' | 'held'; readonly why: string; readonly recovered: boolean };
  /** A next container left by a start-first replacement that did not finish. */
  readonly next: { readonly provided: boolean; readonly running: boolean } | undefined;
  /**
   * Which of its resources exist, when that was looked at. Not known: each is provisioned before a
   * container is created, which changes nothing for one that exists.
   */
  readonly existing?: readonly Resource[];
}

export interface ObservedRequirement {
  readonly endpoint: string;
  /** What this run of the container was last configured with. */
  readonly applied: readonly string[];
  /** The last live update that failed, and for which endpoints. */
  readonly failed: { readonly endpoints: readonly string[]; readonly reason: string } | undefined;
}

/**
 * `start`: `scs up` is bringing the service up, and a container not running as wanted is replaced.
 * `supervise`: it is up; a container that dies has its endpoints dropped but is not resurrected:
 * its restart policy says whether Docker brings it back.
 */
export type Mode = 'start' | 'supervise';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, i) => item === b[i]);
const shown = (endpoints: readonly string[]) => endpoints.join(';') || 'nothing';

export function converge(desired: DesiredService, observed: ObservedService, mode: Mode): Step[] {
  const { container, provisions } = observed;
  const drop = (cause: string) => (provisions === 'none' ? [] : [step('drop', cause)]);
  if (observed.next) {
    const cause = 'an earlier replacement did not finish';
    return [
      ...(observed.next.provided ? [nextStep('drop', cause)] : []),
      ...(observed.next.running ? [nextStep('stop', cause)] : []),
      nextStep('remove', cause),
    ];
  }
  if (!desired.running) return [...drop('scs stop'), ...(container?.running ? [step('stop', 'scs stop')] : [])];
  if (!container) {
    if (mode === 'supervise') return drop('its container is gone');
    // What follows the start is about the container it made: `ps` must not say "provide ok (no container yet)".
    const cause = 'no container yet';
    return [
      ...prepare(desired, observed, cause),
      step('create', cause),
      step('start', cause),
      ...announce(desired, false, 'none', 'its new container'),
    ];
  }
  if (container.configHash !== desired.configHash) return replace(desired, observed, 'its configuration changed');
  if (!container.running) {
    if (mode === 'supervise') return drop(`its container exited with status ${container.exitCode}`);
    // As Compose does: a stopped container whose configuration is current is started again, not replaced.
    const cause = `its container had stopped (status ${container.exitCode})`;
    return [...drop(cause), step('start', cause), ...announce(desired, false, 'none', 'started again')];
  }

  const stale = desired.requires.filter((wanted) => {
    const has = observed.requires.find((r) => r.endpoint === wanted.endpoint);
    return !wanted.holdingEmpty && (!has || !sameList(has.applied, wanted.current));
  });
  const unfixable = stale.flatMap((wanted) => {
    const failed = observed.requires.find((r) => r.endpoint === wanted.endpoint)?.failed;
    if (!wanted.liveupdate) return [`${wanted.endpoint} changed and the image has no live update`];
    if (failed && sameList(failed.endpoints, wanted.current)) return [`liveupdate of ${wanted.endpoint} failed (${failed.reason})`];
    return [];
  });
  if (unfixable.length > 0) return replace(desired, observed, unfixable.join('; '));

  const steps: Step[] = provisions === 'stale' ? [step('drop', 'its container restarted')] : [];
  if (container.health === 'unhealthy') return provisions === 'none' ? [] : [step('drop', 'its container is unhealthy')];
  if (desired.drained && provisions === 'current') steps.push(step('drop', 'scs drain'));
  for (const wanted of stale) steps.push(step('liveupdate', `${wanted.endpoint} → ${shown(wanted.current)}`, wanted.endpoint));
  // Failing the agent's check, a ready instance is not provided; a live update may be what it lacks, so those still run.
  const check = observed.check;
  if (observed.ready && (check?.verdict === 'unhealthy' || check?.verdict === 'held')) {
    const cause = check.verdict === 'held' ? `held out: ${check.why}` : `its health check fails (${check.why.replace(/^unhealthy: /, '')})`;
    return [...(provisions === 'current' ? [step('drop', cause)] : []), ...steps];
  }
  // Only a container that did restart is said to be running again: one found ready again for
  // another reason (healthy after unhealthy, a provide that failed before) is just running.
  const again = observed.restarted
    ? 'running again'
    : check?.verdict === 'healthy' && check.recovered && provisions === 'none'
      ? 'its health check passes again'
      : 'its container is running';
  const cause = provisions === 'stale' ? 'its container restarted' : mode === 'start' ? 'running, and up to date' : again;
  return [...steps, ...announce(desired, observed.ready, provisions, cause)];
}

/**
 * `scs down` of a service, or one gone from the stack. With `drainMs`, given when another provider
 * of its endpoints is there to move to (a relocation), the container keeps serving that long after its
 * endpoints are dropped, as in a start-first replacement. Endpoints are dropped first, so nobody is sent
 * to a stopping container.
 */
export function teardown(
  observed: ObservedService,
  { cause = 'scs down', drainMs = 0, release, resources = [] }: TeardownOptions = {},
): Step[] {
  const drain = drainMs > 0 && observed.provisions !== 'none' && observed.container?.running;
  return [
    ...(observed.provisions === 'none' ? [] : [step('drop', cause)]),
    ...(drain ? [{ kind: 'drain' as const, cause, ms: drainMs }] : []),
    ...(observed.container ? [step('stop', cause), step('remove', cause)] : []),
    // Its container is gone: what it held is let go of (detached, its data kept), or deleted. Both change
    // nothing for what is let go of already, so they are planned whatever was seen.
    ...(release ? resources.map(({ resource }): Step => ({ kind: release, cause, resource })) : []),
  ];
}

export interface TeardownOptions {
  readonly cause?: string | undefined;
  /** With dependents that have another provider to move to (a relocation): how long the container keeps serving. */
  readonly drainMs?: number;
  /** `scs down` lets go of its volumes and network (`detach`), or with --volumes deletes them (`deprovision`). */
  readonly release?: 'detach' | 'deprovision' | undefined;
  readonly resources?: readonly DesiredResource[];
}

/** `scs restart`: the same container, stopped and started, its endpoints dropped meanwhile. */
export function restart(desired: DesiredService, observed: ObservedService): Step[] {
  if (!observed.container) return [];
  const cause = 'scs restart';
  return [
    ...(observed.provisions === 'none' ? [] : [step('drop', cause)]),
    ...(observed.container.running ? [step('stop', cause)] : []),
    step('start', cause),
    ...announce(desired, false, 'none', cause),
  ];
}

/**
 * A new container in place of the old one, with what is current. Start-first when its service allows
 * it and the old one still serves: the new one is up and provided before the old one's endpoints are
 * dropped (dependents move over), and the old one keeps serving while it drains. Otherwise stop-first:
 * the old one's endpoints go first, then the old container, then the new one comes up.
 */
function replace(desired: DesiredService, observed: ObservedService, why: string): Step[] {
  const cause = `replace: ${why}`;
  const create: Step = { kind: 'create', cause, replacing: true };
  if (desired.replace.order === 'start-first' && observed.container?.running) {
    const provided = observed.provisions !== 'none';
    return [
      ...prepare(desired, observed, cause),
      { ...create, next: true },
      nextStep('start', cause),
      nextStep('ready', cause),
      ...(desired.provides && !desired.drained ? [nextStep('provide', cause)] : []),
      ...(provided ? [step('drop', cause)] : []),
      ...(provided && desired.replace.drainMs > 0 ? [{ kind: 'drain' as const, cause, ms: desired.replace.drainMs }] : []),
      step('stop', cause),
      step('remove', cause),
      step('promote', cause),
    ];
  }
  return [
    ...(observed.provisions === 'none' ? [] : [step('drop', cause)]),
    step('stop', cause),
    step('remove', cause),
    ...prepare(desired, observed, cause),
    create,
    step('start', cause),
    ...announce(desired, false, 'none', cause),
  ];
}

/**
 * Before a container is created: each resource it needs provisioned, unless seen to exist, and made
 * usable here when its method needs that (an EBS volume attached and mounted: it may have moved).
 */
function prepare(desired: DesiredService, observed: ObservedService, cause: string): Step[] {
  const exists = (resource: Resource) => observed.existing?.some((seen) => sameResource(seen, resource)) ?? false;
  return desired.resources.flatMap(({ resource, attaches }): Step[] => [
    ...(exists(resource) ? [] : [{ kind: 'provision' as const, cause, resource }]),
    ...(attaches ? [{ kind: 'attach' as const, cause, resource }] : []),
  ]);
}

export const sameResource = (a: Resource, b: Resource) =>
  'volume' in a ? 'volume' in b && a.volume === b.volume : 'network' in b && a.network === b.network;

/** Waits until it is ready, then tells disco what it provides: nothing while it is drained. */
function announce(desired: DesiredService, ready: boolean, provisions: ObservedService['provisions'], cause: string): Step[] {
  const provide = desired.provides && !desired.drained && provisions !== 'current';
  return [...(ready ? [] : [step('ready', cause)]), ...(provide ? [step('provide', cause)] : [])];
}
