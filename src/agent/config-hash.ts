// Which changes to a service need a new container (Compose's config hash). Everything that shapes
// the container counts, except the values of SCS_REQUIRE_*: an endpoint that moves is applied by the
// image's live update, or by a replacement the planner decides with its own cause, never by a
// hash that differs. test/unit/agent/config-hash.test.ts pins each field.

import { createHash } from 'node:crypto';
import { LABEL } from '../docker/labels.ts';
import type { ContainerSpec } from './container-engine.ts';

export const REQUIRE_ENV_PREFIX = 'SCS_REQUIRE_';

const sorted = <T>(record: Record<string, T>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function configHash(spec: ContainerSpec): string {
  const env = Object.fromEntries(Object.entries(spec.env).filter(([key]) => !key.startsWith(REQUIRE_ENV_PREFIX)));
  const labels = Object.fromEntries(Object.entries(spec.labels).filter(([key]) => key !== LABEL.config));
  const shape = {
    name: spec.name,
    image: spec.image,
    env: sorted(env),
    labels: sorted(labels),
    publish: sorted(spec.publish),
    // Containers made when every port listened on every interface get a new hash: they are replaced, and listen narrower.
    publishOn: sorted(spec.publishOn ?? {}),
    network: spec.network,
    // Only when set, so that containers made before stack networks keep their hash.
    ...(spec.networkName ? { networkName: spec.networkName } : {}),
    ...(spec.dns ? { dns: spec.dns } : {}),
    restart: spec.restart,
    mounts: spec.mounts,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}
