// What the stack files say of placement, against what disco keeps: the files give the first wish,
// a move changes it afterwards, and files whose `placement:` changed since they last set it win
// again, saying so. Pure.

import type { CompiledService } from '../manifest/compiled.ts';
import { formatTarget, type Place, type Placement } from '../protocol/placement.ts';
import { dataOf } from './data.ts';

export interface FilesPlacement {
  /** The placements to set, each conditional on the stored revision it was decided against. */
  readonly places: Place[];
  /** One line for each placement the files take back from a move or a claim. */
  readonly notes: string[];
}

export function filesPlacement(
  services: readonly CompiledService[],
  stored: ReadonlyMap<string, Placement>,
  nameOf: (service: string) => string,
): FilesPlacement {
  const places: Place[] = [];
  const notes: string[] = [];
  for (const service of services) {
    if (!service.placement) continue;
    const name = nameOf(service.name);
    const files = formatTarget(service.placement);
    const now = stored.get(name);
    if (now && now.files === files) continue;
    const data = dataOf(service)?.kind;
    places.push({
      service: name,
      target: service.placement,
      cause: 'files',
      files,
      ...(data ? { data } : {}),
      ...(now?.zone && data === 'follows' ? { zone: now.zone } : {}),
      revision: now?.revision ?? 0,
    });
    if (now && formatTarget(now.target) !== files)
      notes.push(
        `${service.name}: the stack files place it on ${files} now, not on ${formatTarget(now.target)} where it was placed: the files win`,
      );
  }
  return { places, notes };
}
