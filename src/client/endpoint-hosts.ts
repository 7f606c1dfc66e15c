// The client's second look at endpoints from the server: a host that is neither an IP address nor a
// DNS name (a quote and a newline once reached SCS_REQUIRE_*_HOST) is left out, loudly, whoever let
// it through: an older server, or a peer writing to the shared etcd store.

import { isEndpointHost } from '../protocol/fields.ts';

interface HostedEndpoint {
  readonly name: string;
  readonly host: string;
}

/** The endpoints whose host is valid; each other one is left out with a warning. */
export function withValidHosts<E extends HostedEndpoint>(endpoints: readonly E[], warn: (message: string) => void): E[] {
  const kept: E[] = [];
  for (const endpoint of endpoints) {
    if (isEndpointHost(endpoint.host)) kept.push(endpoint);
    else
      warn(
        `disco sent an endpoint of ${endpoint.name} whose host ${JSON.stringify(endpoint.host.slice(0, 80))} is not an IP address or a DNS name; leaving it out`,
      );
  }
  return kept;
}
