// The DNS a host serves to its containers (docs/dns.md): on the stack network's gateway, port 53, from
// a mirror of disco's registry that a wildcard watch keeps current, with this host's own containers at
// their container addresses for queries from the stack network, and other names sent to the host's
// upstreams. It answers from its last known state while disco is away.

import { readFileSync } from 'node:fs';
import { BlockList, isIPv6 } from 'node:net';
import type { ConsolaInstance } from 'consola';
import { formatHostPort, type HostPort } from '../address.ts';
import type { NetworkInfo } from '../agent/container-engine.ts';
import type { Discovery } from '../agent/discovery.ts';
import type { Watch } from '../client/client.ts';
import type { DnsCounts } from '../dns/counts.ts';
import { everyoneAt } from '../dns/places.ts';
import { DnsServer } from '../dns/server.ts';
import type { PassedDnsSockets } from '../dns/sockets.ts';
import { isKnown, type Place } from '../registry/nearest.ts';
import { type LocalEndpoint, LocalView } from './local-view.ts';
import { RegistryMirror } from './mirror.ts';
import { hostUpstreams } from './resolv-conf.ts';

/** Every endpoint of every stack: a container may name another stack's service. */
export const EVERYTHING = '*.*.*.*';
export const DNS_PORT = 53;

/** What the host DNS hears of the connection to disco (DiscoClient's events): holds wait while disco is away. */
export interface DiscoPresence {
  on(event: 'connected' | 'disconnected', listener: () => void): unknown;
  off(event: 'connected' | 'disconnected', listener: () => void): unknown;
}

export interface HostDnsOptions {
  readonly network: NetworkInfo;
  /** 53 unless a test says otherwise: resolv.conf has no port. */
  readonly port?: number;
  readonly discovery: Pick<Discovery, 'require'> & DiscoPresence;
  readonly zone: string;
  readonly upstreams: readonly HostPort[];
  readonly localEndpoints: () => readonly LocalEndpoint[];
  /** How long the last endpoints of a name outlive their drop (src/hostdns/mirror.ts). */
  readonly holdMs: number;
  readonly logger: ConsolaInstance;
  /** Counts every query, for the agent's metrics; nothing is counted when absent. */
  readonly counts?: DnsCounts | undefined;
  /**
   * The sockets its supervisor holds at the gateway (scs-agent@STACK.socket): served instead of binding,
   * so queries sent while no agent runs wait for the next one. Ignored, with a warning, when they are
   * somewhere else.
   */
  readonly passed?: PassedDnsSockets | undefined;
  /** Where this host is: every asker of the host DNS is on this host, so this is the asker's place. */
  readonly place?: Place | undefined;
}

export class HostDns {
  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly server: DnsServer,
    private readonly watch: Watch,
    private readonly local: LocalView,
    private readonly stopHearing: () => void,
  ) {}

  static async start(options: HostDnsOptions): Promise<HostDns> {
    const mirror = new RegistryMirror([], { holdMs: options.holdMs });
    const { discovery } = options;
    const away = () => mirror.discoAway();
    const back = () => mirror.discoBack();
    discovery.on('disconnected', away);
    discovery.on('connected', back);
    const stopHearing = () => {
      discovery.off('disconnected', away);
      discovery.off('connected', back);
    };
    let watch: Watch;
    try {
      watch = await discovery.require({ name: EVERYTHING }, (event) => mirror.apply(event));
    } catch (error) {
      stopHearing();
      throw error;
    }
    mirror.apply({ add: watch.endpoints, drop: [] });
    const local = new LocalView(mirror, options.localEndpoints);
    const subnet = parseCidr(options.network.subnet);
    const onNetwork = new BlockList();
    onNetwork.addSubnet(subnet.address, subnet.prefix, subnet.family);
    const at = { host: options.network.gateway, port: options.port ?? DNS_PORT };
    const serve = (passed: PassedDnsSockets | undefined) =>
      new DnsServer(mirror, {
        ...at,
        ...(passed ? { passed } : {}),
        zones: [{ name: options.zone }],
        recursors: [...options.upstreams],
        recursionAllow: [subnet],
        logger: options.logger,
        ...(options.counts ? { counts: options.counts } : {}),
        ...(options.place && isKnown(options.place) ? { places: everyoneAt(options.place) } : {}),
        // The host itself asks from the gateway address: it gets what every other host gets.
        localView: {
          registry: local,
          serves: (address) => address !== options.network.gateway && onNetwork.check(address, isIPv6(address) ? 'ipv6' : 'ipv4'),
        },
      });
    let server = serve(options.passed);
    try {
      let { udp } = await server.listen();
      if (options.passed && (udp.address !== at.host || udp.port !== at.port)) {
        options.logger.warn(
          `the DNS sockets from the supervisor are at ${formatHostPort(udp.address, udp.port)}, not at this stack network's gateway ` +
            `${formatHostPort(at.host, at.port)}: serving there instead (pin network.subnet in the stack file, and write the socket unit again)`,
        );
        await server.close();
        server = serve(undefined);
        ({ udp } = await server.listen());
      }
      return new HostDns(options.network.gateway, udp.port, server, watch, local, stopHearing);
    } catch (error) {
      stopHearing();
      await watch.close();
      throw error;
    }
  }

  /** The agent's containers may have changed: their endpoints' container addresses are read again. */
  refresh(): void {
    this.local.refresh();
  }

  async close(): Promise<void> {
    this.stopHearing();
    await this.server.close();
    await this.watch.close();
  }
}

/** The host's resolvers, read as Docker reads them (src/hostdns/resolv-conf.ts). */
export function readHostUpstreams(): HostPort[] {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  return hostUpstreams(read('/etc/resolv.conf') ?? '', read('/run/systemd/resolve/resolv.conf'));
}

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address, prefix] = cidr.split('/') as [string, string?];
  return { address, prefix: Number(prefix ?? (isIPv6(address) ? 128 : 32)), family: isIPv6(address) ? 'ipv6' : 'ipv4' };
}
