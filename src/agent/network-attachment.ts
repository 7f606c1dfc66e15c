// How an agent's bridge containers join a network (their network attachment), and the resolver they
// get (docs/dns.md): the stack network, one per agent so that each has its own gateway to serve DNS
// on, and the host's DNS on port 53 there.
// When that DNS cannot be served (not root, port taken), containers keep Docker's resolver: say so once.

import type { ConsolaInstance } from 'consola';
import { formatHostPort, parseHostPort } from '../address.ts';
import { pinnedSubnet } from '../cidr.ts';
import type { DnsCounts } from '../dns/counts.ts';
import type { PassedDnsSockets } from '../dns/sockets.ts';
import { DNS_PORT, EVERYTHING, HostDns, type HostDnsOptions, readHostUpstreams } from '../hostdns/host-dns.ts';
import type { LocalEndpoint } from '../hostdns/local-view.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { Place } from '../registry/nearest.ts';
import type { ContainerEngine, NetworkInfo } from './container-engine.ts';
import { type AgentIdentity, ownerLabels } from './identity.ts';
import { dnsSockets, takePassedSockets } from './passed-sockets.ts';
import type { NetworkAttachment } from './spec.ts';
import { attachmentAt, DNS_ZONE, stackNetworkName } from './stack-network.ts';

/**
 * The stack network, made if it is not there yet, with the subnet the stack file pins. The agent
 * begins it while its disco starts (run-agent.ts): the two wait on nothing of each other.
 */
export async function makeStackNetwork(engine: ContainerEngine, compiled: CompiledStack, identity: AgentIdentity): Promise<NetworkInfo> {
  const network = stackNetworkName(identity);
  const pinned = compiled.subnet === undefined ? undefined : pinnedSubnet(compiled.subnet);
  const info = await engine.ensureNetwork(network, ownerLabels(identity), pinned);
  if (pinned && info.subnet !== pinned.subnet) {
    throw new Error(
      `the stack network ${network} has the subnet ${info.subnet}, and the stack file pins ${pinned.subnet}: ` +
        `scs down removes the network, and the next scs up makes it with ${pinned.subnet}`,
    );
  }
  return info;
}

export interface AttachedStack {
  readonly attachment: NetworkAttachment;
  readonly dns: HostDns | undefined;
}

export async function attachStack(options: {
  engine: ContainerEngine;
  compiled: CompiledStack;
  identity: AgentIdentity;
  discovery: HostDnsOptions['discovery'];
  localEndpoints: () => readonly LocalEndpoint[];
  logger: ConsolaInstance;
  /** `scs up --hold`: what the host DNS holds the last endpoints of a name for, too. */
  holdMs: number;
  /** Tests serve on another port; containers can only use 53. */
  dnsPort?: number;
  /** Counts the host DNS's queries, for the agent's metrics. */
  dnsCounts?: DnsCounts | undefined;
  /** The host DNS's sockets held by a supervisor; by default those passed to this process, if any (passed-sockets.ts). */
  dnsSockets?: PassedDnsSockets | undefined;
  /** Where this host is: the host DNS gives its containers the nearest endpoints the lowest SRV priority. */
  place?: Place | undefined;
  /** The stack network, when its making began earlier (makeStackNetwork); else it is made here. */
  network?: Promise<NetworkInfo>;
}): Promise<AttachedStack> {
  const { engine, compiled, identity, logger } = options;
  const network = stackNetworkName(identity);
  const info = await (options.network ?? makeStackNetwork(engine, compiled, identity));
  if (compiled.dns === 'none') return { attachment: { network }, dns: undefined };
  const upstreams = compiled.dns?.upstreams ? compiled.dns.upstreams.map((text) => parseHostPort(text)) : readHostUpstreams();
  let dns: HostDns;
  try {
    dns = await HostDns.start({
      network: info,
      port: options.dnsPort ?? DNS_PORT,
      discovery: options.discovery,
      zone: DNS_ZONE,
      upstreams,
      localEndpoints: options.localEndpoints,
      holdMs: options.holdMs,
      logger: logger.withTag('dns'),
      counts: options.dnsCounts,
      place: options.place,
      passed: 'dnsSockets' in options ? options.dnsSockets : dnsSockets(takePassedSockets()),
    });
  } catch (error) {
    const at = formatHostPort(info.gateway, options.dnsPort ?? DNS_PORT);
    const code = (error as { code?: unknown }).code;
    // A token whose scope leaves out some names: the stack runs, its containers without the host DNS.
    if (code === ErrorCode.forbidden) {
      logger.warn(
        `containers keep Docker's resolver: the host DNS watches ${EVERYTHING}, and ${(error as Error).message}; ` +
          `give the agent a token that may require ${EVERYTHING}, or say dns: none in the stack file`,
      );
    } else {
      const remedy =
        code === 'EACCES'
          ? 'run scs as root, or let it bind port 53 (sysctl net.ipv4.ip_unprivileged_port_start=53)'
          : code === 'EADDRINUSE'
            ? 'something else serves DNS there: another agent of this stack and project?'
            : 'see scs up --debug';
      logger.warn(
        `containers keep Docker's resolver: cannot serve DNS at ${at} (${(error as Error).message}); ${remedy}, or say dns: none`,
      );
    }
    return { attachment: { network }, dns: undefined };
  }
  const upstreamText = upstreams.length ? upstreams.map((u) => formatHostPort(u.host, u.port)).join(', ') : 'none';
  logger.info(`DNS for containers on ${formatHostPort(dns.address, dns.port)} (network ${network}; other names to ${upstreamText})`);
  return { attachment: attachmentAt(compiled, identity, dns.address), dns };
}
