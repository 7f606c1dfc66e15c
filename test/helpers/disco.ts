import { DiscoServer, type DiscoServerOptions } from '../../src/server/server.ts';
import { quietLogger } from './logging.ts';

/** A disco server on an ephemeral loopback port, with short timers unless told otherwise. */
export async function startDisco(options: Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const server = new DiscoServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatInterval: 100,
    heartbeatTimeout: 400,
    grace: 300,
    logger: quietLogger,
    ...options,
  });
  await server.listen();
  return server;
}
