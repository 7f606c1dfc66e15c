// `scs run`: the one-off container of a service, as `docker compose run` makes it. Its image,
// environment (what it requires as disco says now), volumes and network are the service's; its
// name and labels keep it apart: it carries `scs.oneoff`, not `scs.service`, so neither the agent
// nor `scs ps` takes it for the service (and it provides nothing), while `scs down` removes one left
// behind with the rest of the agent's containers. Its ports are not published. Pure.

import type { Endpoint } from '../client/client.ts';
import { LABEL } from '../docker/labels.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { compileFilter } from '../registry/filter.ts';
import type { ContainerSpec } from './container-engine.ts';
import type { AgentIdentity } from './identity.ts';
import { containerSpec, type NetworkAttachment } from './spec.ts';

/** `scs-hello-dev-client-run-3f9a1c`: the service's stack and environment, and 6 random hex digits. */
export function oneOffName(identity: Pick<AgentIdentity, 'stack' | 'environment'>, service: string, hex: string): string {
  return `scs-${identity.stack}-${identity.environment}-${service}-run-${hex}`;
}

/** Each requirement's endpoints among those disco `listed` under its name, its attribute filter applied, in disco's order. */
export function requiredEndpoints(
  service: Pick<CompiledService, 'requires'>,
  listed: ReadonlyMap<string, readonly Endpoint[]>,
): Map<string, readonly Endpoint[]> {
  return new Map(
    service.requires.map((requirement) => {
      const matches = compileFilter(requirement.filter);
      return [requirement.endpoint, (listed.get(requirement.name) ?? []).filter((endpoint) => matches(endpoint.attrs))] as const;
    }),
  );
}

/** The one-off's container: the service's (instance 1's volumes), renamed, relabelled, unpublished, never restarted; `env` over the service's. */
export function oneOffSpec(
  service: CompiledService,
  identity: AgentIdentity,
  requires: ReadonlyMap<string, readonly Endpoint[]>,
  attachment: NetworkAttachment | undefined,
  options: { readonly name: string; readonly env: Readonly<Record<string, string>> },
): ContainerSpec {
  const spec = containerSpec(service, identity, requires, attachment);
  const { [LABEL.service]: _service, [LABEL.config]: _config, ...labels } = spec.labels;
  return {
    ...spec,
    name: options.name,
    env: { ...spec.env, ...options.env },
    labels: { ...labels, [LABEL.oneOff]: service.name },
    publish: {},
    publishOn: {},
    restart: 'no',
  };
}
