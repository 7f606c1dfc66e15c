// What is, and what is wanted, for the planner: Docker's view of a service's container (found by
// its labels) joined with what the agent itself knows of it, and the container it is compiled to
// with what disco says now. Reads only; reconcile.ts decides from these two.

import { LABEL } from '../docker/labels.ts';
import type { ContainerEngine, ContainerInfo } from './container-engine.ts';
import { nextName, provisionKey, runOf, type ServiceFacts, wantedEndpoints } from './facts.ts';
import { type AgentIdentity, ownerLabels, serviceContainers } from './identity.ts';
import type { DesiredService, Mode, ObservedService } from './reconcile.ts';
import { addresses, appliedFromEnv, containerSpec, type NetworkAttachment } from './spec.ts';
import { holdingEmpty } from './urgency.ts';

export async function observeService(
  engine: ContainerEngine,
  identity: AgentIdentity,
  facts: ServiceFacts,
  mode: Mode,
): Promise<ObservedService> {
  let info: ContainerInfo | undefined;
  const known = facts.container;
  if (known) info = await engine.inspect(known);
  else if (mode === 'start') {
    // A container left by an earlier run of this agent is taken over, or replaced; another agent's never.
    const found = await serviceContainers(engine, ownerLabels(identity), facts.service.name);
    const current = found.find((c) => c.name === facts.service.container.name);
    const next = found.find((c) => c.name === nextName(facts.service.container.name));
    if (current) info = await engine.inspect(current.id);
    if (next && !facts.next) facts.next = { id: next.id, readyRun: undefined, providedFor: undefined, provisions: [] };
  }
  facts.container = info?.id;
  const next = facts.next && (await engine.inspect(facts.next.id));
  if (facts.next && !next && facts.next.provisions.length === 0) facts.next = undefined;
  const run = info ? runOf(info) : undefined;
  if (info && run !== facts.run) {
    if (facts.run?.startsWith(`${info.id}@`)) facts.restartedRun = run;
    // A new run starts from the environment it was created with, whatever live updates did before.
    facts.run = run;
    for (const requirement of facts.requires) {
      requirement.applied = appliedFromEnv(info.env, requirement.compiled.endpoint);
      requirement.failed = undefined;
    }
  }
  if (info) facts.status = `${info.status}${info.health ? ` (${info.health})` : ''}`;
  else if (known) facts.status = 'lost: removed outside scs';
  return {
    container: info && {
      id: info.id,
      run: run!,
      configHash: info.labels[LABEL.config],
      running: info.running,
      health: info.health,
      exitCode: info.exitCode,
    },
    ready: run !== undefined && facts.readyRun === run,
    restarted: run !== undefined && facts.restartedRun === run,
    provisions:
      facts.providedFor === undefined
        ? 'none'
        : run !== undefined && facts.providedFor === provisionKey(run, facts.service)
          ? 'current'
          : 'stale',
    requires: facts.requires.map((r) => ({ endpoint: r.compiled.endpoint, applied: r.applied, failed: r.failed })),
    next: facts.next && { provided: facts.next.provisions.length > 0, running: next?.running ?? false },
  };
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
    configHash: spec.labels[LABEL.config]!,
    provides: service.provides.length > 0,
    replace: { order: service.replace.order, drainMs: service.replace.drainMs },
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
