// Where a process's HTTP listener listens (`--http`, disco.yaml's `http:`), and whether it may:
// the protocol's rule, that beyond loopback there must be tokens or an explicit `--insecure`.

import { formatHostPort, type HostPort, isLoopbackHost, parseHostPort } from '../address.ts';
import { flag, UsageError } from '../errors.ts';

export interface HttpPolicy {
  /** Whether the listener checks tokens (disco with `tokens:`). */
  readonly tokens: boolean;
  /** Whether the user said that anyone who reaches it may see it. */
  readonly insecure: boolean;
  /** The flag that says so, for the message. */
  readonly insecureFlag: string;
  /** How to give tokens, for the message. */
  readonly tokensHint: string;
}

/** The listener's address from the flag, else the config's; undefined when off. Throws a UsageError (exit 2). */
export function httpAddress(flagText: string | undefined, configured: HostPort | undefined, policy: HttpPolicy): HostPort | undefined {
  const address = flagText === undefined ? configured : flag('http', () => parseHostPort(String(flagText), { anyPort: true }));
  if (!address) return undefined;
  if (!policy.tokens && !policy.insecure && !isLoopbackHost(address.host)) {
    throw new UsageError(
      `the HTTP listener will not listen on ${formatHostPort(address.host, address.port)} without tokens, as anyone who reaches it could read what runs where (${policy.tokensHint}, or say ${policy.insecureFlag})`,
    );
  }
  return address;
}
