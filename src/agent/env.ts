// The environment a container (or `scs require --exec`) sees for what it requires.

import { formatHostPort } from '../address.ts';
import { envKey } from '../names.ts';

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
  const first = endpoints[0];
  return {
    [key]: endpoints.map((e) => formatHostPort(e.host, e.port)).join(';'),
    [`${key}_HOST`]: first?.host ?? '',
    [`${key}_PORT`]: first ? String(first.port) : '',
  };
}
