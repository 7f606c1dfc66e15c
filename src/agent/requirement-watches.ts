// Before a service's instance starts: a watch on each endpoint it requires, nearest first from this
// host's place (nearest-watch.ts), and a wait for at least one endpoint of each, unless its provider is
// drained here (nobody waits for what a drain holds back). Every change the watch tells of asks the
// runner for a pass.

import type { AgentOptions } from './agent-options.ts';
import { orderedWatch } from './nearest-watch.ts';
import type { ServiceRunner } from './runner.ts';
import { waitForEndpoint } from './wait-timeout.ts';

export async function watchRequirements(
  runner: ServiceRunner,
  options: Pick<AgentOptions, 'client' | 'logger' | 'waitTimeoutMs' | 'place' | 'instances'>,
  changed: () => void,
): Promise<void> {
  const { client, logger, waitTimeoutMs } = options;
  for (const requirement of runner.facts.requires) {
    if (requirement.watch) continue;
    const watch = await client.require({ name: requirement.compiled.name, attrs: requirement.compiled.filter }, () => {
      changed();
      runner.requirementsChanged();
    });
    requirement.watch = orderedWatch(watch, options.place ?? {}, requirement.compiled.order);
    if (requirement.watch.endpoints.length === 0 && options.instances?.providerDrained(requirement.compiled.name) !== true) {
      logger.info(`${runner.name}: waiting for ${requirement.compiled.name}`);
      await waitForEndpoint(requirement, waitTimeoutMs);
    }
    requirement.lastSeen = requirement.watch.endpoints;
  }
}
