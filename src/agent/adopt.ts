// `scs adopt`: the EBS volumes and ENIs of this agent's services that match by their name tags but
// were made by an older scs (no stack id) or by another agent (its service moved here) become this
// deployment's: tagged with its project and stack id. `scs up` and `scs down` touch only what carries
// those, so this is the one, explicit, way a look-alike is taken over. Needs no Docker.

import type { ConsolaInstance } from 'consola';
import { consola } from 'consola';
import type { CompiledStack } from '../manifest/compiled.ts';
import { networkProvisioner } from '../networks/methods.ts';
import { volumeProvisioner } from '../volumes/methods.ts';
import type { VolumeEngine } from '../volumes/provisioner.ts';
import { hostLabel, resourceLabels } from './identity.ts';
import { compileStack, project, type StackFlags, selectServices } from './stack-files.ts';
import { stackId } from './stack-id.ts';
import { stateFolder } from './state-folder.ts';

export interface AdoptOptions {
  readonly stack: StackFlags;
  /** Only these services' volumes and ENIs; all when empty. */
  readonly services?: readonly string[];
  readonly logger?: ConsolaInstance;
  readonly env?: NodeJS.ProcessEnv;
}

/** Adopting looks at AWS only: the Docker-backed volumes carry labels Docker cannot change, and are never adopted. */
const noDocker: VolumeEngine = {
  ensureVolume: () => Promise.reject(new Error('scs adopt creates no volume')),
  volumeExists: () => Promise.reject(new Error('scs adopt looks at no Docker volume')),
  removeVolume: () => Promise.reject(new Error('scs adopt removes no volume')),
  volumeLabels: () => Promise.reject(new Error('scs adopt looks at no Docker volume')),
};

/** Adopts what can be, and says how many it did; throws one sentence naming how many could not, after trying every one. */
export async function adopt(options: AdoptOptions): Promise<number> {
  const names = [...(options.services ?? [])];
  const compiled = compileStack({ ...options.stack, named: names });
  return adoptServices({
    compiled: selectServices(compiled, names),
    project: project(options.stack),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}

/**
 * What `adopt` does, for services already compiled: also the agent's, for a service moved to its host
 * whose data follows it (the move, ordered through disco, is the explicit word that takes it over).
 */
export async function adoptServices(options: {
  readonly compiled: CompiledStack;
  readonly project: string;
  readonly logger?: ConsolaInstance;
  readonly env?: NodeJS.ProcessEnv;
  /** Say nothing when none of the services has anything to adopt. */
  readonly quiet?: boolean;
}): Promise<number> {
  const { compiled, project: projectName } = options;
  const logger = options.logger ?? consola;
  // Made here when no agent has run yet: the agent that `scs up` starts then keeps it.
  const id = stackId(stateFolder(projectName, compiled.stack));
  const labels = resourceLabels({
    stack: compiled.stack,
    environment: compiled.environment,
    project: projectName,
    host: hostLabel(),
    stackId: id,
  });
  const context = { engine: noDocker, labels, logger, ...(options.env ? { env: options.env } : {}) };
  let refused = 0;
  let adopted = 0;
  let looked = 0;
  for (const service of compiled.services) {
    const provisioners = [
      ...service.container.volumes.map((volume) => volumeProvisioner(volume, context)),
      ...[networkProvisioner(service, context)].flatMap((network) => (network ? [network] : [])),
    ];
    for (const provisioner of provisioners) {
      if (!provisioner.adopt) continue;
      looked++;
      try {
        if (await provisioner.adopt()) adopted++;
      } catch (error) {
        logger.error((error as Error).message);
        refused++;
      }
    }
  }
  if (looked === 0 && !options.quiet) logger.info('nothing to adopt: no service here has an aws-ec2-ebs volume or an aws-ec2-eni network');
  if (refused > 0) throw new Error(`${refused} of ${looked} could not be adopted (said above); nothing else was changed for them`);
  return adopted;
}
