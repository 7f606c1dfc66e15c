// Where a service's data lives, as placement reads it: a service with a volume that is not
// shareable is a singleton across every host (one writer), and its volume's method says whether the
// data can follow it to another host. Pure.

import type { CompiledVolume } from '../manifest/compiled.ts';
import type { DataKind } from '../protocol/placement.ts';

export interface ServiceData {
  readonly kind: DataKind;
  /** The volume that decided it: the first that stays, else the first that follows. */
  readonly volume: CompiledVolume;
}

/** Methods whose volume another host can take over: an EBS volume is detached and attached again, an NFS export mounted there. */
const FOLLOWS: ReadonlySet<CompiledVolume['method']> = new Set(['aws-ec2-ebs', 'nfs']);

/** The data that makes `service` a singleton, or undefined when any number of hosts may run it at once. */
export function dataOf(service: { readonly container: { readonly volumes: readonly CompiledVolume[] } }): ServiceData | undefined {
  const exclusive = service.container.volumes.filter((volume) => !volume.shareable);
  const stays = exclusive.find((volume) => !FOLLOWS.has(volume.method));
  if (stays) return { kind: 'stays', volume: stays };
  const follows = exclusive[0];
  return follows ? { kind: 'follows', volume: follows } : undefined;
}
