// A service's container as the engine creates it: the plan's settings, the stack's labels, and
// the environment of what it requires as disco says now.

import { formatHostPort } from '../address.ts';
import type { Endpoint } from '../client/client.ts';
import { LABEL } from '../docker/labels.ts';
import type { ServicePlan } from '../manifest/compile.ts';
import { envKey } from '../names.ts';
import { configHash, REQUIRE_ENV_PREFIX } from './config-hash.ts';
import type { ContainerSpec } from './container-engine.ts';
import { requireEnv } from './env.ts';
import { type AgentIdentity, containerLabels } from './identity.ts';

/**
 * Where the agent puts its bridge containers: the stack network, and the resolver it serves on the
 * network's gateway (docs/dns.md). Without one, containers join Docker's default bridge, as before.
 */
export interface Placement {
  readonly network: string;
  /** Absent with `dns: none`, or when the agent could not serve DNS there. */
  readonly dns?: { readonly address: string; readonly search: readonly string[]; readonly options: readonly string[] };
}

export const addresses = (endpoints: readonly Endpoint[]) => endpoints.map((e) => formatHostPort(e.host, e.port));

/** `requires`: endpoint → its current endpoints, for every requirement of the plan. */
export function containerSpec(
  plan: ServicePlan,
  identity: AgentIdentity,
  requires: ReadonlyMap<string, readonly Endpoint[]>,
  placement?: Placement,
): ContainerSpec {
  const env = { ...plan.container.env };
  if (placement?.dns) env.SCS_DNS = formatHostPort(placement.dns.address, 53);
  for (const requirement of plan.requires) Object.assign(env, requireEnv(requirement.endpoint, requires.get(requirement.endpoint) ?? []));
  const publish: Record<string, string> = {};
  for (const provide of plan.provides) publish[`${provide.port}/${provide.protocol}`] = provide.publish ? String(provide.publish) : '';
  const spec: ContainerSpec = {
    name: plan.container.name,
    image: plan.image.tag,
    env,
    labels: containerLabels(identity, plan.role),
    publish,
    network: plan.container.network,
    ...(placement && plan.container.network === 'bridge' ? { networkName: placement.network } : {}),
    // Docker refuses a resolver for a container on the host's network: it has the host's.
    ...(placement?.dns && plan.container.network === 'bridge'
      ? { dns: { servers: [placement.dns.address], search: [...placement.dns.search], options: [...placement.dns.options] } }
      : {}),
    restart: plan.container.restart,
    mounts: [
      ...plan.container.volumes.map((volume) => ({
        // Docker volumes by name (named, nfs); host paths bound in (local, and the mount point of an EBS volume).
        type: volume.method === 'named' || volume.method === 'nfs' ? ('volume' as const) : ('bind' as const),
        source: volume.source,
        target: volume.target,
      })),
      // A secret is the host's file itself, read-only: never copied into an image or the environment.
      ...(plan.container.secrets ?? []).map((secret) => ({
        type: 'bind' as const,
        source: secret.source,
        target: secret.target,
        readOnly: true,
      })),
    ],
  };
  spec.labels[LABEL.config] = configHash(spec);
  return spec;
}

/** What a container was created with for one requirement, read back from its environment. */
export function appliedFromEnv(env: Record<string, string>, endpoint: string): string[] {
  const value = env[`${REQUIRE_ENV_PREFIX}${envKey(endpoint)}`];
  return value ? value.split(';') : [];
}
