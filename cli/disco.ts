// `scs disco`: its flags, read into settings (src/server/disco-config.ts) and run (src/server/run-disco.ts) until a signal.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { ConfigError, loadYamlFile } from '../src/config/yaml.ts';
import { type DiscoConfig, DiscoConfigSchema } from '../src/server/config.ts';
import { type DiscoFlags, discoConfig } from '../src/server/disco-config.ts';
import { runDisco } from '../src/server/run-disco.ts';
import { UserError, untilSignal } from './common.ts';
import { scsVersion } from './version.ts';

export function registerDisco(cli: CAC): void {
  cli
    .command('disco', 'Run a discovery server (TCP protocol and DNS)')
    .option('--config <file>', 'YAML settings (see docs/dns.md); flags override it')
    .option('--listen <host:port>', 'TCP address for the disco protocol (default 127.0.0.1:9640)')
    .option('--http <host:port>', 'Serve /health, /ready and /metrics over HTTP here (off by default; see docs/observe.md)')
    .option('--dns <host:port|off>', 'DNS address, UDP and TCP (default 127.0.0.1:8600)')
    .option('--dns-ttl <duration>', 'TTL of DNS answers (default 5s)')
    .option('--dns-negative-ttl <duration>', 'TTL of NXDOMAIN and NODATA answers (default 1s)')
    .option('--dns-tombstone <duration>', 'How long a name whose endpoints all went answers NODATA, not NXDOMAIN (default 30s)')
    .option('--recursor <host:port>', 'Upstream resolver for names outside the zones (repeatable)')
    .option(
      '--dns-recursion-allow <network>',
      'Network whose queries for other names are forwarded, like 10.0.0.0/8 (repeatable; default loopback and private networks)',
    )
    .option(
      '--dns-place <network,zone=Z,dc=D>',
      'Where askers from a network are, like 10.1.0.0/16,zone=us-east-1a,dc=east: SRV priorities put their nearest endpoints first (repeatable)',
    )
    .option('--tls-cert <file>', 'Serve the protocol over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'Key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'Require client certificates signed by this CA (PEM)')
    .option('--heartbeat-interval <duration>', 'Heartbeat interval (default 5s)')
    .option('--heartbeat-timeout <duration>', 'Silence after which a peer is dead (default 15s)')
    .option('--grace <duration>', 'How long a lost session waits to be resumed (default 10s)')
    .option('--max-connections <n>', 'Open connections allowed in total (default 20000)')
    .option('--max-connections-per-source <n>', 'Open connections allowed from one address (default 1000)')
    .option('--max-provisions-per-session <n>', 'Endpoints one session may provide (default 10000)')
    .option('--max-provisions-per-token <n>', 'Endpoints the sessions of one token may provide together (default 100000)')
    .option('--max-provisions <n>', 'Endpoints the server holds for its sessions in total (default 1000000)')
    .option('--dns-max-connections <n>', 'Open TCP connections to the DNS port allowed in total (default 1000)')
    .option('--dns-max-connections-per-source <n>', 'Open TCP connections to the DNS port allowed from one address (default 100)')
    .option('--dns-cache-entries <n>', 'Encoded DNS replies kept for reuse (default 50000; about three a name)')
    .option('--hello-timeout <duration>', 'Time a new connection has to say hello (default 10s)')
    .option('--line-timeout <duration>', 'Time a line may take to arrive once begun (default 10s)')
    .option('--insecure', 'Listen beyond loopback without tokens, letting anyone who reaches disco provide any name (warned every minute)')
    .option('--etcd <url,...>', 'Keep the registry in etcd, shared with every disco server given it (see docs/ha.md)')
    .option('--etcd-ca <file>', "CA of etcd's https:// members (PEM)")
    .option('--etcd-cert <file>', "Client certificate for etcd's --client-cert-auth (PEM)")
    .option('--etcd-key <file>', 'Key of --etcd-cert (PEM)')
    .option('--etcd-user <name>', "etcd user, when etcd's auth is on")
    .option('--etcd-password-file <file>', 'File holding the password of --etcd-user')
    .action(async (flags: DiscoFlags & { config?: string }) => {
      const settings = discoConfig(flags, flags.config ? { path: flags.config, config: readConfig(flags.config) } : undefined);
      const logger = consola.withTag('disco');
      const stopped = untilSignal(); // Before the first output, as in `scs provide`.
      const running = await runDisco(settings, { logger, announce: true, version: scsVersion() });
      const signal = await stopped;
      logger.info(`${signal}: telling clients and shutting down`);
      await running.close();
    });
}

function readConfig(file: string): DiscoConfig {
  try {
    return loadYamlFile(file, DiscoConfigSchema);
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}
