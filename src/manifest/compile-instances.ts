// A service's instances as the stack file says them: where it runs at first (`placement:`), how
// many (`replicas:`) and how they spread over hosts (`spread:`), each refused in one sentence where
// the instances could not run as asked. Pure.

import { dataOf } from '../placement/data.ts';
import type { Spread } from '../placement/spread.ts';
import type { PlacementTarget } from '../protocol/placement.ts';
import type { CompiledProvide, CompiledService, CompiledVolume } from './compiled.ts';
import type { StackService } from './schema.ts';

type Fail = (path: Array<string | number>, message: string) => never;

export function instancesOf(
  service: StackService,
  provides: readonly CompiledProvide[],
  volumes: readonly CompiledVolume[],
  fail: Fail,
): Pick<CompiledService, 'placement' | 'replicas' | 'spread'> {
  const placement = placementOf(service.placement);
  const spread = spreadOf(service, placement, volumes, fail);
  return { ...(placement ? { placement } : {}), ...replicasOf(service, provides, fail), ...(spread ? { spread } : {}) };
}

function placementOf(placement: StackService['placement']): PlacementTarget | undefined {
  if (placement === undefined) return undefined;
  if (typeof placement === 'string') return { host: placement };
  const { host, attributes } = placement;
  return { ...(host === undefined ? {} : { host }), ...(attributes ? { attrs: attributes } : {}) };
}

/**
 * `replicas:` as the agent runs it: several instances may share a host, so none may hold what only
 * one container on a host can (a fixed host port, the host's network, an ENI), nor write one export.
 */
function replicasOf(service: StackService, provides: readonly CompiledProvide[], fail: Fail): { replicas?: number } {
  const { replicas } = service;
  if (replicas === undefined) return {};
  if (replicas > 1) {
    const fixed = provides.find((provide) => provide.publish !== undefined);
    if (fixed)
      fail(
        ['replicas'],
        `${replicas} instances on one host cannot all publish host port ${fixed.publish}: leave publish out, and each gets a port of its own`,
      );
    if (service.network.method === 'host')
      fail(['replicas'], `${replicas} instances cannot all listen on the host's network: use network: bridge`);
    const nfs = Object.entries(service.volumes).find(([, volume]) => volume.method === 'nfs' && !volume.shareable);
    if (nfs)
      fail(
        ['replicas'],
        `${replicas} instances would all write the NFS export of volume ${nfs[0]}: mark it shareable: true if they may, or keep one instance`,
      );
    if (service.network.method === 'aws-ec2-eni')
      fail(['replicas'], `replicas above 1 with an ENI network are not supported yet: each instance would need an ENI of its own`);
  }
  return { replicas };
}

/**
 * `spread:` as the agents share the instances out: over the hosts the placement allows, so not with
 * a placement on one host; and an instance moves between hosts as others come and go, so it may
 * keep no data that stays behind on a host or follows one writer.
 */
function spreadOf(
  service: StackService,
  placement: PlacementTarget | undefined,
  volumes: readonly CompiledVolume[],
  fail: Fail,
): Spread | undefined {
  const { spread } = service;
  if (spread === undefined) return undefined;
  if (placement?.host !== undefined)
    fail(
      ['spread'],
      `spread over more than one host cannot hold with placement on host ${placement.host}: place it by attributes, or leave spread out`,
    );
  const data = dataOf({ container: { volumes } });
  if (data)
    fail(
      ['spread'],
      `its instances would move between hosts without volume ${data.volume.name}'s data: mark the volume shareable: true, or leave spread out`,
    );
  return typeof spread === 'string' ? { by: spread } : { by: spread.by, ...(spread.over ? { over: spread.over } : {}) };
}
