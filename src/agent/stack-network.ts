// The names of an agent's stack network and of its containers' DNS settings (docs/dns.md). Pure.

import type { Plan } from '../manifest/compile.ts';
import type { AgentIdentity } from './identity.ts';
import type { Placement } from './spec.ts';

export const DNS_ZONE = 'disco';
/**
 * `web` and `web.hello` (fewer than two dots) try the search list first, so they never leave the host;
 * names with two dots or more (`deb.debian.org`) go out as they are first.
 */
export const DNS_OPTIONS = ['ndots:2'];

export const stackNetworkName = (identity: AgentIdentity) => `scs-${identity.stack}-${identity.environment}-${identity.project}`;

/** `web`, `web.hello` and `web.hello.dev` all reach `web.hello.dev.disco` from a container of hello in dev. */
export function searchDomains(stack: string, environment: string, zone = DNS_ZONE): string[] {
  return [`${stack}.${environment}.${zone}`, `${environment}.${zone}`, zone];
}

/** The placement of a stack whose network has this gateway, and whose DNS is served there (unless `dns: none`). */
export function placementAt(plan: Plan, identity: AgentIdentity, gateway: string | undefined): Placement {
  const network = stackNetworkName(identity);
  if (plan.dns === 'none' || gateway === undefined) return { network };
  return { network, dns: { address: gateway, search: searchDomains(plan.stack, plan.environment), options: DNS_OPTIONS } };
}
