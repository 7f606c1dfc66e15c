// `scs up --dry-run`: the plan `scs up` would carry out now, read from Docker, with nothing done.
// What services require is not known before their providers are up, so it is taken as unchanged.

import type { Plan } from '../manifest/compile.ts';
import type { ContainerEngine } from './container-engine.ts';
import { newFacts } from './facts.ts';
import { type AgentIdentity, hostLabel } from './identity.ts';
import { desiredService, observeService } from './observed.ts';
import { formatPlan } from './plan.ts';
import { converge } from './reconcile.ts';

export async function previewUp(
  plan: Plan,
  project: string,
  engine: ContainerEngine,
  imageExists: (tag: string) => Promise<boolean>,
): Promise<string> {
  const identity: AgentIdentity = { stack: plan.stack, environment: plan.environment, project, host: hostLabel() };
  const lines: string[] = [];
  for (const service of plan.services) {
    const facts = newFacts(service);
    if (!(await imageExists(service.image.tag))) lines.push(`${service.role}: build ${service.image.tag} (not built yet)`);
    const observed = await observeService(engine, identity, facts, 'start');
    const steps = converge({ ...desiredService(facts, identity), requires: [] }, observed, 'start');
    lines.push(steps.length > 0 ? formatPlan(service.role, steps) : `${service.role}: nothing to do`);
  }
  return lines.join('\n');
}
