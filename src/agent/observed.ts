// What is, and what is wanted, for the planner: Docker's view of a service's container (found by
// its labels) joined with what the agent itself knows of it, and the container the plan asks for
// with what disco says now. Reads only; reconcile.ts decides from these two.

import { LABEL } from '../docker/labels.ts';
import type { ContainerEngine, ContainerInfo } from './container-engine.ts';
import { currentEndpoints, runOf, type ServiceFacts } from './facts.ts';
import type { DesiredService, Mode, ObservedService } from './reconcile.ts';
import { addresses, appliedFromEnv, containerSpec } from './spec.ts';

export async function observeService(engine: ContainerEngine, labels: Record<string, string>, facts: ServiceFacts, mode: Mode): Promise<ObservedService> {
  let info: ContainerInfo | undefined;
  if (facts.container) info = await engine.inspect(facts.container);
  else if (mode === 'start') {
    // A container left by an earlier agent of this stack is taken over, or replaced.
    const [found] = await engine.list({ ...labels, [LABEL.role]: facts.plan.role });
    if (found) info = await engine.inspect(found.id);
  }
  facts.container = info?.id;
  const run = info ? runOf(info) : undefined;
  if (info && run !== facts.run) {
    // A new run starts from the environment it was created with, whatever live updates did before.
    facts.run = run;
    for (const requirement of facts.requires) {
      requirement.applied = appliedFromEnv(info.env, requirement.plan.endpoint);
      requirement.failed = undefined;
    }
  }
  facts.status = info ? `${info.status}${info.health ? ` (${info.health})` : ''}` : facts.status === 'waiting' ? 'waiting' : 'gone';
  return {
    container: info && { id: info.id, run: run!, configHash: info.labels[LABEL.config], running: info.running, health: info.health, exitCode: info.exitCode },
    ready: run !== undefined && facts.readyRun === run,
    provisions: facts.providedRun === undefined ? 'none' : facts.providedRun === run ? 'current' : 'stale',
    requires: facts.requires.map((r) => ({ endpoint: r.plan.endpoint, applied: r.applied, failed: r.failed })),
  };
}

export function desiredService(facts: ServiceFacts, labels: Record<string, string>): DesiredService {
  const { plan } = facts;
  const endpoints = currentEndpoints(facts);
  const spec = containerSpec(plan, labels, endpoints);
  return {
    configHash: spec.labels[LABEL.config]!,
    provides: plan.provides.length > 0,
    requires: plan.requires.map((r) => ({ endpoint: r.endpoint, current: addresses(endpoints.get(r.endpoint) ?? []), liveupdate: r.liveupdate !== undefined })),
  };
}
