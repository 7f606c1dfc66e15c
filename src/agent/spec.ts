// A service's container as the engine creates it: its compiled settings, the stack's labels, and
// the environment of what it requires as disco says now.

import { formatHostPort } from '../address.ts';
import type { Endpoint } from '../client/client.ts';
import { LABEL } from '../docker/labels.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { envKey } from '../names.ts';
import { configHash, REQUIRE_ENV_PREFIX } from './config-hash.ts';
import type { ContainerSpec } from './container-engine.ts';
import { requireEnv } from './env.ts';
import { type AgentIdentity, containerLabels } from './identity.ts';
import { instanceLabels } from './instances.ts';

/**
 * Where the agent puts its bridge containers: the stack network, and the resolver it serves on the
 * network's gateway (docs/dns.md). Without one, containers join Docker's default bridge, as before.
 */
/** Where a published port listens when nothing else is known: this host alone. */
const LOOPBACK = '127.0.0.1';

export interface NetworkAttachment {
  readonly network: string;
  /** Absent with `dns: none`, or when the agent could not serve DNS there. */
  readonly dns?: { readonly address: string; readonly search: readonly string[]; readonly options: readonly string[] };
  /** The host addresses ports are published on unless a port says otherwise: loopback, and the advertised address; loopback alone when absent. */
  readonly publishOn?: readonly string[];
}

export const addresses = (endpoints: readonly Endpoint[]) => endpoints.map((e) => formatHostPort(e.host, e.port));

/** `requires`: endpoint → its current endpoints, for every requirement of the service. */
export function containerSpec(
  service: CompiledService,
  identity: AgentIdentity,
  requires: ReadonlyMap<string, readonly Endpoint[]>,
  attachment?: NetworkAttachment,
): ContainerSpec {
  const env = { ...service.container.env };
  if (attachment?.dns) env.SCS_DNS = formatHostPort(attachment.dns.address, 53);
  for (const requirement of service.requires)
    Object.assign(env, requireEnv(requirement.endpoint, requires.get(requirement.endpoint) ?? []));
  const publish: Record<string, string> = {};
  const publishOn: Record<string, string[]> = {};
  for (const provide of service.provides) {
    const port = `${provide.port}/${provide.protocol}`;
    publish[port] = provide.publish ? String(provide.publish) : '';
    publishOn[port] = provide.publishAddress ? [provide.publishAddress] : [...(attachment?.publishOn ?? [LOOPBACK])];
  }
  const spec: ContainerSpec = {
    name: service.container.name,
    image: service.image.tag,
    env,
    labels: { ...containerLabels(identity, service.name), ...instanceLabels(service) },
    publish,
    publishOn,
    network: service.container.network,
    ...(attachment && service.container.network === 'bridge' ? { networkName: attachment.network } : {}),
    // Docker refuses a resolver for a container on the host's network: it has the host's.
    ...(attachment?.dns && service.container.network === 'bridge'
      ? { dns: { servers: [attachment.dns.address], search: [...attachment.dns.search], options: [...attachment.dns.options] } }
      : {}),
    restart: service.container.restart,
    mounts: [
      ...service.container.volumes.map((volume) => ({
        // Docker volumes by name (named, nfs); host paths bound in (local, and the mount point of an EBS volume).
        type: volume.method === 'named' || volume.method === 'nfs' ? ('volume' as const) : ('bind' as const),
        source: volume.source,
        target: volume.target,
      })),
      // A secret is the host's file itself, read-only: never copied into an image or the environment.
      ...(service.container.secrets ?? []).map((secret) => ({
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
