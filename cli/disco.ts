import type { CAC } from 'cac';
import { type ConsolaInstance, consola } from 'consola';
import * as v from 'valibot';
import { formatHostPort, type HostPort, parseHostPort } from '../src/address.ts';
import { formatCidr, parseCidr } from '../src/cidr.ts';
import { ConfigError, loadYamlFile } from '../src/config/yaml.ts';
import { dnsName } from '../src/dns/zones.ts';
import { parseDuration } from '../src/duration.ts';
import { type DiscoConfig, DiscoConfigSchema, EtcdUrl } from '../src/server/config.ts';
import { defaultServerOptions } from '../src/server/server.ts';
import { flag, parseWith, repeated, UsageError, UserError, untilSignal } from './common.ts';
import { serverTls, serverTokens, type TlsFlags } from './disco-access.ts';
import { runDisco } from './run-disco.ts';

interface DiscoFlags extends TlsFlags {
  config?: string;
  listen?: string;
  dns?: string;
  dnsTtl?: string;
  dnsNegativeTtl?: string;
  dnsTombstone?: string;
  recursor?: string | string[];
  dnsRecursionAllow?: string | string[];
  heartbeatInterval?: string;
  heartbeatTimeout?: string;
  grace?: string;
  maxConnections?: string;
  maxConnectionsPerSource?: string;
  helloTimeout?: string;
  lineTimeout?: string;
  etcd?: string;
}

export function registerDisco(cli: CAC): void {
  cli
    .command('disco', 'Run a discovery server (TCP protocol and DNS)')
    .option('--config <file>', 'YAML settings (see docs/dns.md); flags override it')
    .option('--listen <host:port>', 'TCP address for the disco protocol (default 127.0.0.1:9640)')
    .option('--dns <host:port|off>', 'DNS address, UDP and TCP (default 127.0.0.1:8600)')
    .option('--dns-ttl <duration>', 'TTL of DNS answers (default 5s)')
    .option('--dns-negative-ttl <duration>', 'TTL of NXDOMAIN and NODATA answers (default 1s)')
    .option('--dns-tombstone <duration>', 'How long a name whose endpoints all went answers NODATA, not NXDOMAIN (default 30s)')
    .option('--recursor <host:port>', 'Upstream resolver for names outside the zones (repeatable)')
    .option(
      '--dns-recursion-allow <network>',
      'Network whose queries for other names are forwarded, like 10.0.0.0/8 (repeatable; default loopback and private networks)',
    )
    .option('--tls-cert <file>', 'Serve the protocol over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'Key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'Require client certificates signed by this CA (PEM)')
    .option('--heartbeat-interval <duration>', 'Heartbeat interval (default 5s)')
    .option('--heartbeat-timeout <duration>', 'Silence after which a peer is dead (default 15s)')
    .option('--grace <duration>', 'How long a lost session waits to be resumed (default 10s)')
    .option('--max-connections <n>', 'Open connections allowed in total (default 20000)')
    .option('--max-connections-per-source <n>', 'Open connections allowed from one address (default 1000)')
    .option('--hello-timeout <duration>', 'Time a new connection has to say hello (default 10s)')
    .option('--line-timeout <duration>', 'Time a line may take to arrive once begun (default 10s)')
    .option('--etcd <url,...>', 'Keep the registry in etcd, shared with every disco server given it (see docs/ha.md)')
    .action(async (flags: DiscoFlags) => {
      const config: DiscoConfig = flags.config ? readConfig(flags.config) : {};
      const listen = flags.listen
        ? flag('listen', () => parseHostPort(flags.listen!, { anyPort: true }))
        : (config.listen ?? { host: '127.0.0.1', port: 9640 });
      // cac hands a bare number such as `--dns-tombstone 0` over as a number: 0 is a value, not "unset".
      const duration = (name: string, text: string | number | undefined, fallback: number) =>
        text === undefined || text === '' ? fallback : flag(name, () => parseDuration(String(text)));
      const defaultZones = [{ name: 'disco' }];
      const heartbeatInterval = duration(
        'heartbeat-interval',
        flags.heartbeatInterval,
        config.heartbeat?.interval ?? defaultServerOptions.heartbeatInterval,
      );
      const heartbeatTimeout = duration(
        'heartbeat-timeout',
        flags.heartbeatTimeout,
        config.heartbeat?.timeout ?? defaultServerOptions.heartbeatTimeout,
      );
      const grace = duration('grace', flags.grace, config.grace ?? defaultServerOptions.grace);
      if (heartbeatTimeout <= heartbeatInterval) throw new UsageError('--heartbeat-timeout must be longer than --heartbeat-interval');
      const limits = {
        maxConnections: count('max-connections', flags.maxConnections, config.limits?.connections ?? defaultServerOptions.maxConnections),
        maxConnectionsPerSource: count(
          'max-connections-per-source',
          flags.maxConnectionsPerSource,
          config.limits?.connectionsPerSource ?? defaultServerOptions.maxConnectionsPerSource,
        ),
        helloTimeout: duration('hello-timeout', flags.helloTimeout, config.limits?.helloTimeout ?? defaultServerOptions.helloTimeout),
        lineTimeout: duration('line-timeout', flags.lineTimeout, config.limits?.lineTimeout ?? defaultServerOptions.lineTimeout),
      };

      const logger = consola.withTag('disco');
      const dnsListen =
        flags.dns === 'off'
          ? 'off'
          : flags.dns
            ? flag('dns', () => parseHostPort(flags.dns!, { anyPort: true }))
            : (config.dns?.listen ?? { host: '127.0.0.1', port: 8600 });
      const recursorFlags = repeated(flags.recursor);
      const recursors: HostPort[] = recursorFlags.length
        ? recursorFlags.map((r) => flag('recursor', () => parseHostPort(String(r))))
        : (config.dns?.recursors ?? []);
      const zones = config.dns?.zones ?? defaultZones;
      const allowFlags = repeated(flags.dnsRecursionAllow);
      const recursionAllow = allowFlags.length
        ? allowFlags.map((network) => flag('dns-recursion-allow', () => parseCidr(network)))
        : config.dns?.recursion?.allow;
      const tls = serverTls(flags, config, flags.config);
      const tokens = serverTokens(config, flags.config);
      // The DNS defaults are loaded only when DNS runs: `--dns off` never loads the DNS code.
      const dnsDefaults = dnsListen === 'off' ? undefined : (await import('../src/dns/server.ts')).defaultDnsOptions;
      const ttlMs = duration('dns-ttl', flags.dnsTtl, config.dns?.ttl ?? (dnsDefaults?.ttl ?? 0) * 1000);
      const negativeTtlMs = duration(
        'dns-negative-ttl',
        flags.dnsNegativeTtl,
        config.dns?.negativeTtl ?? (dnsDefaults?.negativeTtl ?? 0) * 1000,
      );
      const tombstoneMs = duration('dns-tombstone', flags.dnsTombstone, config.dns?.tombstone ?? dnsDefaults?.tombstoneMs ?? 0);
      const etcdUrls = flags.etcd ? parseWith(v.array(EtcdUrl), String(flags.etcd).split(','), '--etcd') : config.etcd;
      const shared = etcdUrls ? await sharedRegistry(etcdUrls, heartbeatTimeout + grace, logger) : undefined;
      const running = await runDisco(
        {
          ...defaultServerOptions,
          host: listen.host,
          port: listen.port,
          heartbeatInterval,
          heartbeatTimeout,
          grace,
          ...limits,
          ...(tls ? { tls } : {}),
          ...(tokens ? { tokens } : {}),
          logger,
          ...(shared ? { backend: shared } : {}),
        },
        dnsListen === 'off'
          ? 'off'
          : {
              host: dnsListen.host,
              port: dnsListen.port,
              ttl: Math.round(ttlMs / 1000),
              negativeTtl: Math.round(negativeTtlMs / 1000),
              tombstoneMs,
              recursors,
              ...(recursionAllow ? { recursionAllow } : {}),
              zones,
            },
      );
      const stopped = untilSignal(); // Before the first output, as in `scs provide`.
      const security = [tls && (tls.ca ? 'TLS, client certificates required' : 'TLS'), tokens && `${tokens.length} token(s)`];
      const registry = etcdUrls ? `, registry in etcd at ${etcdUrls.join(', ')}` : '';
      logger.info(
        `listening on tcp ${running.disco}${registry}${security.some(Boolean) ? ` (${security.filter(Boolean).join(', ')})` : ''}`,
      );
      if (running.dnsAddress) {
        const allowed = (recursionAllow ?? running.dns!.options.recursionAllow).map(formatCidr).join(', ');
        const forwarding = recursors.length
          ? `, forwarding to ${recursors.map((r) => formatHostPort(r.host, r.port)).join(', ')} for ${allowed}`
          : '';
        logger.info(`dns on udp+tcp ${running.dnsAddress}, zones ${zones.map((zone) => dnsName(zone.name)).join(', ')}${forwarding}`);
      }

      const signal = await stopped;
      logger.info(`${signal}: telling clients and shutting down`);
      await running.close();
    });
}

/** The registry in etcd: a session's lease lasts its heartbeat timeout and grace. Loaded only when asked for. */
async function sharedRegistry(urls: string[], ttlMs: number, logger: ConsolaInstance) {
  const [{ EtcdClient }, { EtcdBackend }] = await Promise.all([
    import('../src/server/etcd-client.ts'),
    import('../src/server/etcd-backend.ts'),
  ]);
  const etcd = new EtcdClient(urls);
  try {
    await etcd.range('/scs/s/');
  } catch (error) {
    throw new UserError(`cannot use etcd: ${(error as Error).message}`);
  }
  return new EtcdBackend(etcd, { prefix: '/scs/', ttlMs, logger });
}

/** A whole-number flag of 1 or more. */
function count(name: string, text: string | number | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name}: expected a whole number of 1 or more, not "${text}"`);
  return value;
}

function readConfig(file: string): DiscoConfig {
  try {
    return loadYamlFile(file, DiscoConfigSchema);
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}
