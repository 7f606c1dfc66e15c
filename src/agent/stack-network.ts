// The names of an agent's stack network and of its containers' DNS settings (docs/dns.md). Pure.

import type { CompiledStack } from '../manifest/compiled.ts';
import type { AgentIdentity } from './identity.ts';
import type { NetworkAttachment } from './spec.ts';

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

/** The attachment of a stack whose network has this gateway, and whose DNS is served there (unless `dns: none`). */
export function attachmentAt(compiled: CompiledStack, identity: AgentIdentity, gateway: string | undefined): NetworkAttachment {
  const network = stackNetworkName(identity);
  if (compiled.dns === 'none' || gateway === undefined) return { network };
  return { network, dns: { address: gateway, search: searchDomains(compiled.stack, compiled.environment), options: DNS_OPTIONS } };
}
