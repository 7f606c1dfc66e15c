// What is, and what is wanted, for the planner: Docker's view of a service's container (found by
// its labels) joined with what the agent itself knows of it, and the container it is compiled to
// with what disco says now. Looking changes nothing: what a look found that the agent keeps (a
// container taken over, a new run of it) is returned as `learned`, for the runner to put on record
// with `recordObservation` before it plans. reconcile.ts decides from the two.

import type { ConsolaInstance } from 'consola';
import { LABEL } from '../docker/labels.ts';
import type { ContainerEngine, ContainerInfo } from './container-engine.ts';
import { type NextContainer, nextName, provisionKey, runOf, type ServiceFacts, type ServiceStatus, wantedEndpoints } from './facts.ts';
import type { CheckVerdict } from './health.ts';
import { type AgentIdentity, ownerLabels, resourceLabels, serviceContainers } from './identity.ts';
import type { DesiredService, Mode, ObservedService } from './reconcile.ts';
import { desiredResources, existingResources } from './resources.ts';
import { addresses, appliedFromEnv, containerSpec, type NetworkAttachment } from './spec.ts';
import { holdingEmpty } from './urgency.ts';

/** What a look at a service found that the agent keeps in its facts. */
export interface Learned {
  readonly container: string | undefined;
  readonly next: NextContainer | undefined;
  /** A run of its container other than the one on record: what it was created with for each requirement. */
  readonly run?: { readonly run: string; readonly restarted: boolean; readonly applied: ReadonlyMap<string, string[]> };
  readonly status: ServiceStatus;
}

export interface Observation {
  readonly observed: ObservedService;
  readonly learned: Learned;
}

export async function observeService(
  engine: ContainerEngine,
  identity: AgentIdentity,
  facts: Readonly<ServiceFacts>,
  mode: Mode,
  logger: ConsolaInstance,
): Promise<Observation> {
  let info: ContainerInfo | undefined;
  let next = facts.next;
  const known = facts.container;
  if (known) info = await engine.inspect(known);
  else if (mode === 'start') {
    // A container left by an earlier run of this agent is taken over, or replaced; another agent's never.
    const found = await serviceContainers(engine, ownerLabels(identity), facts.service.name);
    const current = found.find((c) => c.name === facts.service.container.name);
    const left = found.find((c) => c.name === nextName(facts.service.container.name));
    if (current) info = await engine.inspect(current.id);
    if (left && !next) next = { id: left.id, readyRun: undefined, providedFor: undefined, provisions: [] };
  }
  const nextInfo = next && (await engine.inspect(next.id));
  if (next && !nextInfo && next.provisions.length === 0) next = undefined;
  const run = info ? runOf(info) : undefined;
  const newRun =
    info && run !== facts.run
      ? {
          run: run!,
          restarted: facts.run?.startsWith(`${info.id}@`) ?? false,
          // A new run starts from the environment it was created with, whatever live updates did before.
          applied: new Map(facts.requires.map((r) => [r.compiled.endpoint, appliedFromEnv(info.env, r.compiled.endpoint)])),
        }
      : undefined;
  const status: ServiceStatus = info
    ? { kind: 'container', docker: info.status, health: info.health }
    : known
      ? { kind: 'lost' }
      : facts.status;
  const restartedRun = newRun?.restarted ? newRun.run : facts.restartedRun;
  // In start mode a container may be created: whether its volumes and network exist decides what is provisioned.
  const existing =
    mode === 'start' ? await existingResources(facts.service, { engine, labels: resourceLabels(identity), logger }) : undefined;
  const observed: ObservedService = {
    container: info && {
      id: info.id,
      run: run!,
      configHash: info.labels[LABEL.config],
      running: info.running,
      // The stack file's check overrides the image's: Docker's word on it does not count then.
      health: facts.service.health ? undefined : info.health,
      exitCode: info.exitCode,
    },
    ...(info && facts.checks ? checkOf(facts.checks.verdict(info.id, run!)) : {}),
    ready: run !== undefined && facts.readyRun === run,
    restarted: run !== undefined && restartedRun === run,
    provisions:
      facts.providedFor === undefined
        ? 'none'
        : run !== undefined && facts.providedFor === provisionKey(run, facts.service)
          ? 'current'
          : 'stale',
    requires: facts.requires.map((r) =>
      newRun
        ? { endpoint: r.compiled.endpoint, applied: newRun.applied.get(r.compiled.endpoint) ?? [], failed: undefined }
        : { endpoint: r.compiled.endpoint, applied: r.applied, failed: r.failed },
    ),
    next: next && { provided: next.provisions.length > 0, running: nextInfo?.running ?? false },
    ...(existing ? { existing } : {}),
  };
  return { observed, learned: { container: info?.id, next, ...(newRun ? { run: newRun } : {}), status } };
}

const checkOf = (verdict: CheckVerdict | undefined): Pick<ObservedService, 'check'> =>
  verdict ? { check: { verdict: verdict.verdict, why: verdict.text, recovered: verdict.recovered } } : {};

/** Puts what a look found on record: done where the plan is made and carried out (the runner), never by looking. */
export function recordObservation(facts: ServiceFacts, learned: Learned): void {
  facts.container = learned.container;
  facts.next = learned.next;
  facts.status = learned.status;
  if (!learned.run) return;
  if (learned.run.restarted) facts.restartedRun = learned.run.run;
  facts.run = learned.run.run;
  for (const requirement of facts.requires) {
    requirement.applied = learned.run.applied.get(requirement.compiled.endpoint) ?? [];
    requirement.failed = undefined;
  }
}

export function desiredService(
  facts: ServiceFacts,
  identity: AgentIdentity,
  holdMs = 0,
  nowMs = Date.now(),
  attachment?: NetworkAttachment,
): DesiredService {
  const { service } = facts;
  const spec = containerSpec(service, identity, wantedEndpoints(facts, holdMs, nowMs), attachment);
  return {
    running: facts.wanted === 'running',
    drained: facts.drained,
    configHash: spec.labels[LABEL.config]!,
    provides: service.provides.length > 0,
    replace: { order: service.replace.order, drainMs: service.replace.drainMs },
    resources: desiredResources(service),
    requires: facts.requires.map((r) => {
      const current = addresses(r.watch?.endpoints ?? []);
      return {
        endpoint: r.compiled.endpoint,
        current,
        liveupdate: r.compiled.liveupdate !== undefined,
        holdingEmpty: holdingEmpty({ applied: r.applied, current, emptiedAt: r.emptiedAt }, holdMs, nowMs),
      };
    }),
  };
}
