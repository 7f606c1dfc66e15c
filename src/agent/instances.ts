// A service with `replicas: N` runs N instances, each its own container providing its own endpoint.
// Instance 1 is the service as it always was (its container, volumes and config hash unchanged, so a
// stack that grows from one instance to three replaces nothing); instances 2…N add `-2`…`-N` to
// their container's name and to every volume that is not shareable: one writer per instance's data.
// Pure: what the runners of a service are given.

import { LABEL } from '../docker/labels.ts';
import type { CompiledService, CompiledVolume } from '../manifest/compiled.ts';
import { INSTANCES_LIMITS } from '../protocol/instances.ts';

/** `web`, `web-2`, …: how logs, `scs ps` and events name an instance. */
export const instanceName = (service: string, instance: number) => (instance === 1 ? service : `${service}-${instance}`);

/** The compiled service instance `instance` of `service` runs. */
export function instanceService(service: CompiledService, instance: number): CompiledService {
  if (instance === 1) return service;
  const suffix = `-${instance}`;
  return {
    ...service,
    instance,
    container: {
      ...service.container,
      name: `${service.container.name}${suffix}`,
      volumes: service.container.volumes.map((volume) => ownVolume(volume, suffix)),
    },
  };
}

/** Its own copy of a volume that only one container may hold; a shareable one is the same for all. */
function ownVolume(volume: CompiledVolume, suffix: string): CompiledVolume {
  if (volume.shareable) return volume;
  const name = `${volume.name}${suffix}`;
  if (volume.method !== 'aws-ec2-ebs') return { ...volume, name, source: `${volume.source}${suffix}` };
  // Found again by its tags: the volume tag says which instance's it is, so that no two instances match one volume.
  return { ...volume, name, source: `${volume.source}${suffix}`, ebs: { ...volume.ebs, tags: { ...volume.ebs.tags, 'scs:volume': name } } };
}

/** The label an instance's container carries beside its service's, from instance 2 (instance 1's labels are as before). */
export function instanceLabels(service: Pick<CompiledService, 'instance'>): Record<string, string> {
  return service.instance && service.instance > 1 ? { [LABEL.instance]: String(service.instance) } : {};
}

/** The instance a container runs, by its labels: 1 when it carries none. */
export function instanceOfLabels(labels: Readonly<Record<string, string>>): number {
  const value = Number(labels[LABEL.instance] ?? 1);
  return Number.isSafeInteger(value) && value >= 1 && value <= INSTANCES_LIMITS.replicas ? value : 1;
}

/** The name of the instance a compiled service is. */
export const instanceNameOf = (service: Pick<CompiledService, 'name' | 'instance'>) => instanceName(service.name, service.instance ?? 1);
