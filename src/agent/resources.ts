// What a service's container needs from outside it: its volumes, and a network that is not Docker's
// (an ENI). Here they are named for the planner (reconcile.ts), looked at for the observation, and
// acted on for the executor; the provisioners (src/volumes/, src/networks/) do the work.

import type { ConsolaInstance } from 'consola';
import type { CompiledService } from '../manifest/compiled.ts';
import { networkProvisioner } from '../networks/methods.ts';
import type { NetworkProvisioner } from '../networks/provisioner.ts';
import { volumeProvisioner } from '../volumes/methods.ts';
import type { VolumeEngine, VolumeProvisioner } from '../volumes/provisioner.ts';
import type { Resource, StepKind } from './plan.ts';
import type { DesiredResource } from './reconcile.ts';

export interface ResourceContext {
  readonly engine: VolumeEngine;
  /** The labels of what this agent owns, put on the Docker volumes it creates. */
  readonly labels: Record<string, string>;
  readonly logger: ConsolaInstance;
}

/** Its volumes in the order of the stack file, then its network. Only an EBS volume and an ENI are attached to the host. */
export function desiredResources(service: CompiledService): DesiredResource[] {
  const eni = service.container.eni;
  return [
    ...service.container.volumes.map((volume) => ({ resource: { volume: volume.name }, attaches: volume.method === 'aws-ec2-ebs' })),
    ...(eni ? [{ resource: { network: 'aws-ec2-eni' }, attaches: true }] : []),
  ];
}

/** Those that exist as wanted; undefined when one could not be looked at (then each is provisioned, which is safe). */
export async function existingResources(service: CompiledService, context: ResourceContext): Promise<Resource[] | undefined> {
  try {
    const found = await Promise.all(
      desiredResources(service).map(async ({ resource }) =>
        (await provisionerOf(service, resource, context).provisioned()) ? [resource] : [],
      ),
    );
    return found.flat();
  } catch (error) {
    context.logger.debug(`${service.name}: could not look at its volumes and network (${(error as Error).message})`);
    return undefined;
  }
}

export type ResourceStepKind = Extract<StepKind, 'provision' | 'attach' | 'detach' | 'deprovision'>;

export async function actOnResource(
  service: CompiledService,
  kind: ResourceStepKind,
  resource: Resource,
  context: ResourceContext,
): Promise<void> {
  const provisioner = provisionerOf(service, resource, context);
  switch (kind) {
    case 'provision':
      return provisioner.provision();
    case 'attach':
      await provisioner.attach();
      return;
    case 'detach':
      return provisioner.detach();
    case 'deprovision':
      return provisioner.deprovision();
  }
}

function provisionerOf(service: CompiledService, resource: Resource, context: ResourceContext): VolumeProvisioner | NetworkProvisioner {
  if ('network' in resource) {
    const network = networkProvisioner(service, context);
    if (!network) throw new Error(`${service.name}: it has no network ${resource.network}`);
    return network;
  }
  const volume = service.container.volumes.find((v) => v.name === resource.volume);
  if (!volume) throw new Error(`${service.name}: it has no volume ${resource.volume}`);
  return volumeProvisioner(volume, context);
}
