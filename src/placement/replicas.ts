// What the stack files say of a service's count (`replicas:`), against what disco keeps: the files
// give the first count, `scs scale` changes it afterwards, and files whose count changed since they
// last set it win again, saying so, as placement's files.ts does. Pure.

import type { CompiledService } from '../manifest/compiled.ts';
import type { Instances, Scale } from '../protocol/instances.ts';

export interface FilesReplicas {
  /** The counts to set, each conditional on the stored revision it was decided against. */
  readonly scales: Scale[];
  /** One line for each count the files set over another one: `web: replicas 3 from the stack files (was 2 by scs scale)`. */
  readonly notes: string[];
}

export function filesReplicas(
  services: readonly Pick<CompiledService, 'name' | 'replicas'>[],
  stored: ReadonlyMap<string, Instances>,
  nameOf: (service: string) => string,
): FilesReplicas {
  const scales: Scale[] = [];
  const notes: string[] = [];
  for (const service of services) {
    if (service.replicas === undefined) continue;
    const name = nameOf(service.name);
    const now = stored.get(name)?.replicas;
    if (now && now.files === service.replicas) continue;
    scales.push({
      service: name,
      count: service.replicas,
      cause: 'files',
      files: service.replicas,
      revision: stored.get(name)?.revision ?? 0,
    });
    if (now && now.count !== service.replicas) {
      const by = now.cause === 'scale' ? 'scs scale' : 'the stack files';
      notes.push(`${service.name}: replicas ${service.replicas} from the stack files (was ${now.count} by ${by})`);
    }
  }
  return { scales, notes };
}

/** How many instances of `service` should run: disco's count when it keeps one, else the stack files', else one. */
export function replicasOf(service: Pick<CompiledService, 'replicas'>, record: Instances | undefined): number {
  return record?.replicas?.count ?? service.replicas ?? 1;
}

/** The count a `scs up` with these files leaves: the files' when they set it (none stored, or theirs changed), else disco's. */
export function countAfterUp(service: Pick<CompiledService, 'replicas'>, record: Instances | undefined): number {
  if (service.replicas !== undefined && record?.replicas?.files !== service.replicas) return service.replicas;
  return replicasOf(service, record);
}
