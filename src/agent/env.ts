// The environment a container (or `scs require --exec`) sees for what it requires.

import { formatHostPort } from '../address.ts';
import { envKey } from '../names.ts';
import { isEndpointHost } from '../protocol/fields.ts';

export interface EnvEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * `SCS_REQUIRE_<ENDPOINT>=host:port;host:port` plus `_HOST` and `_PORT` of the first one.
 * The endpoints must already be in the registry's stable order; none gives empty values, so a
 * program can tell "nothing yet" from "not configured".
 */
export function requireEnv(endpoint: string, endpoints: readonly EnvEndpoint[]): Record<string, string> {
  const key = `SCS_REQUIRE_${envKey(endpoint)}`;
  // The client has left such hosts out already; a program's environment is no place to trust that.
  const valid = endpoints.filter((e) => isEndpointHost(e.host));
  const first = valid[0];
  return {
    [key]: valid.map((e) => formatHostPort(e.host, e.port)).join(';'),
    [`${key}_HOST`]: first?.host ?? '',
    [`${key}_PORT`]: first ? String(first.port) : '',
  };
}
