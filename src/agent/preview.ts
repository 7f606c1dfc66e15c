// `scs up --dry-run`: the plan `scs up` would carry out now, read from Docker, with nothing done.
// What services require is not known before their providers are up, so it is taken as unchanged.

import { consola as logger } from 'consola';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { ContainerEngine } from './container-engine.ts';
import { newFacts } from './facts.ts';
import { type AgentIdentity, hostLabel } from './identity.ts';
import { desiredService, observeService } from './observed.ts';
import { formatPlan } from './plan.ts';
import { converge } from './reconcile.ts';
import { readStackId } from './stack-id.ts';
import { attachmentAt, stackNetworkName } from './stack-network.ts';
import { stateFolder } from './state-folder.ts';

export async function previewUp(
  compiled: CompiledStack,
  project: string,
  engine: ContainerEngine,
  imageExists: (tag: string) => Promise<boolean>,
  /** The host addresses `up` would publish ports on (src/agent/advertise.ts); loopback alone when absent. */
  publishOn?: readonly string[],
  /** Why a service would not run here (placed elsewhere), by its name in the stack; it runs here when absent. */
  elsewhere: ReadonlyMap<string, string> = new Map(),
): Promise<string> {
  // The deployment's id, when an agent has made one: it tells its EBS volumes and ENIs from look-alikes.
  const stackId = readStackId(stateFolder(project, compiled.stack));
  const identity: AgentIdentity = {
    stack: compiled.stack,
    environment: compiled.environment,
    project,
    host: hostLabel(),
    ...(stackId ? { stackId } : {}),
  };
  // Where `up` would put containers: the stack network as it is now, its DNS assumed served. Without the
  // network yet, no container can be on it: the gateway then does not matter.
  const bridged = compiled.services.some((service) => service.container.network === 'bridge');
  const gateway = bridged ? ((await engine.networkInfo(stackNetworkName(identity)))?.gateway ?? '0.0.0.0') : undefined;
  const attachment = bridged ? { ...attachmentAt(compiled, identity, gateway), ...(publishOn ? { publishOn } : {}) } : undefined;
  const lines: string[] = [];
  for (const service of compiled.services) {
    const away = elsewhere.get(service.name);
    if (away !== undefined) {
      lines.push(`${service.name}: nothing to do here (${away})`);
      continue;
    }
    const facts = newFacts(service);
    if (!(await imageExists(service.image.tag))) lines.push(`${service.name}: build ${service.image.tag} (not built yet)`);
    const { observed } = await observeService(engine, identity, facts, 'start', logger);
    const steps = converge({ ...desiredService(facts, identity, 0, Date.now(), attachment), requires: [] }, observed, 'start');
    lines.push(steps.length > 0 ? formatPlan(service.name, steps) : `${service.name}: nothing to do`);
  }
  return lines.join('\n');
}
