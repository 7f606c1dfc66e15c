// Disco servers on one etcd, for the tests of what disco keeps there (members, placements, instances
// records): a one-member etcd cluster, a disco server on it that records what it logs, and a wire
// session that pings as a client does, so that a slow etcd does not cut it. Each is stopped when its
// test ends.

import { expect } from 'vitest';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from './cleanup.ts';
import { startDisco } from './disco.ts';
import { EtcdCluster } from './etcd-cluster.ts';
import { recordingLogger } from './logging.ts';
import { WirePeer } from './wire.ts';

export const TIMERS = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 1500 };

export async function etcd(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(1);
  onCleanup(() => started.stop());
  return started;
}

/** A disco server on the etcd at `urls`, under the prefix /scs/. */
export async function sharedDisco(urls: string[]) {
  const log = recordingLogger();
  const backend = new EtcdBackend(new EtcdClient(urls), {
    prefix: '/scs/',
    ttlMs: TIMERS.heartbeatTimeout + TIMERS.grace,
    logger: log.logger,
  });
  const server = await startDisco({ ...TIMERS, backend, logger: log.logger });
  onCleanup(() => server.close());
  return { server, log };
}

/** A session that said hello (as `client`, when given) and pings. */
export async function pingingPeer(server: DiscoServer, client?: string): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  const timer = setInterval(() => opened.send({ op: 'ping' }), TIMERS.heartbeatInterval);
  onCleanup(() => clearInterval(timer));
  expect((await opened.request({ op: 'hello', id: 0, version: 1, ...(client ? { client } : {}) })).ok).toBe(true);
  return opened;
}
