import type { CAC } from 'cac';
import { consola } from 'consola';
import { parseHostPort } from '../src/address.ts';
import { parseDuration } from '../src/duration.ts';
import { DiscoServer, defaultServerOptions } from '../src/server/server.ts';
import { flag, untilSignal, UserError } from './common.ts';

export function registerDisco(cli: CAC): void {
  cli
    .command('disco', 'Run a discovery server')
    .option('--listen <host:port>', 'TCP address for the disco protocol', { default: '127.0.0.1:9640' })
    .option('--heartbeat-interval <duration>', 'Heartbeat interval', { default: '5s' })
    .option('--heartbeat-timeout <duration>', 'Silence after which a peer is dead', { default: '15s' })
    .option('--grace <duration>', 'How long a lost session waits to be resumed', { default: '10s' })
    .action(async (flags: Record<string, unknown>) => {
      const listen = flag('listen', () => parseHostPort(String(flags.listen), { anyPort: true }));
      const heartbeatInterval = flag('heartbeat-interval', () => parseDuration(String(flags.heartbeatInterval)));
      const heartbeatTimeout = flag('heartbeat-timeout', () => parseDuration(String(flags.heartbeatTimeout)));
      const grace = flag('grace', () => parseDuration(String(flags.grace)));
      if (heartbeatTimeout <= heartbeatInterval) {
        throw new UserError('--heartbeat-timeout must be longer than --heartbeat-interval');
      }
      const logger = consola.withTag('disco');
      const server = new DiscoServer({
        ...defaultServerOptions,
        host: listen.host,
        port: listen.port,
        heartbeatInterval,
        heartbeatTimeout,
        grace,
        logger,
      });
      try {
        await server.listen();
      } catch (error) {
        throw new UserError(`cannot listen on ${String(flags.listen)}: ${(error as Error).message}`);
      }
      const { address, port } = server.address();
      logger.info(`listening on tcp ${address}:${port}`);
      const signal = await untilSignal();
      logger.info(`${signal}: telling clients and shutting down`);
      await server.close();
    });
}
