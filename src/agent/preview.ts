// `scs up --dry-run`: the plan `scs up` would carry out now, read from Docker, with nothing done.
// What services require is not known before their providers are up, so it is taken as unchanged.

import { consola as logger } from 'consola';
import { serviceLabelOf } from '../docker/labels.ts';
import type { CompiledService, CompiledStack } from '../manifest/compiled.ts';
import { countAfterUp } from '../placement/replicas.ts';
import { type Instances, isDrained } from '../protocol/instances.ts';
import type { ContainerEngine } from './container-engine.ts';
import { newFacts } from './facts.ts';
import { type AgentIdentity, hostLabel, ownerLabels } from './identity.ts';
import { instanceName, instanceNameOf, instanceOfLabels, instanceService } from './instances.ts';
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
  /** What disco holds: why a service would not run here (placed elsewhere), and its instances record. */
  stored: StoredHere = { elsewhere: new Map(), instances: () => undefined },
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
  const found = await engine.list(ownerLabels(identity));
  for (const service of compiled.services) {
    const away = stored.elsewhere.get(service.name);
    if (away !== undefined) {
      lines.push(`${service.name}: nothing to do here (${away})`);
      continue;
    }
    if (!(await imageExists(service.image.tag))) lines.push(`${service.name}: build ${service.image.tag} (not built yet)`);
    // As the agent will: the files' count set in disco unless a scs scale stands (src/placement/replicas.ts).
    const record = stored.instances(service.name);
    const count = countAfterUp(service, record);
    const here = stored.spreadHere?.(service, count) ?? Array.from({ length: count }, (_, at) => at + 1);
    for (const instance of here) {
      const own = instanceService(service, instance);
      const facts = { ...newFacts(own), drained: isDrained(record, identity.host, instance) };
      const { observed } = await observeService(engine, identity, facts, 'start', logger);
      const steps = converge({ ...desiredService(facts, identity, 0, Date.now(), attachment), requires: [] }, observed, 'start');
      lines.push(steps.length > 0 ? formatPlan(instanceNameOf(own), steps) : `${instanceNameOf(own)}: nothing to do`);
    }
    // Instances beyond the count that Docker still has are retired, the highest first.
    const beyond = found
      .filter((c) => serviceLabelOf(c.labels) === service.name && instanceOfLabels(c.labels) > count)
      .map((c) => instanceOfLabels(c.labels))
      .sort((a, b) => b - a);
    for (const instance of beyond) lines.push(`${instanceName(service.name, instance)}: drop, stop and remove (scaled to ${count})`);
    const elsewhere = found
      .map((c) => (serviceLabelOf(c.labels) === service.name ? instanceOfLabels(c.labels) : 0))
      .filter((instance) => instance > 0 && instance <= count && !here.includes(instance));
    for (const instance of elsewhere)
      lines.push(`${instanceName(service.name, instance)}: serves until its host by the spread provides it, then drop, stop and remove`);
  }
  return lines.join('\n');
}

/** What disco holds that a plan here follows. */
export interface StoredHere {
  /** Why a service would not run here (placed elsewhere), by its name in the stack; it runs here when absent. */
  readonly elsewhere: ReadonlyMap<string, string>;
  /** Its instances record (count and drains), by its name in the stack. */
  readonly instances: (service: string) => Instances | undefined;
  /** The instances of a spread service (`spread:`) this host would run of `count`; undefined for one that does not spread. */
  readonly spreadHere?: (service: CompiledService, count: number) => number[] | undefined;
}
