// The names of an agent's stack network and of its containers' DNS settings (docs/dns.md). Pure.

import type { AgentIdentity } from './identity.ts';

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
