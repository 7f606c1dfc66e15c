// A token with no provide rights says hello on a second disco server with another token's session id,
// both servers sharing etcd: does it get the session, drop the owner's provision, and kick the owner?

import { consola } from 'consola';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import { DiscoServer } from '../../src/server/server.ts';
import { EtcdCluster } from '../../test/helpers/etcd-cluster.ts';
import { WirePeer } from '../../test/helpers/wire.ts';
import type { Attack } from './attack.ts';

const OWNER = 'owner-token-0123456789';
const READER = 'reader-token-0123456789';

const attack: Attack = {
  name: 'etcd-session-takeover',
  replays: "a reader's token resumes a provider's session on another server sharing etcd, and unprovides",
  before: 'session taken over, its provision removed, its owner kicked',
  target: 'a session of its own; the provision and the owner untouched',
  async run() {
    const etcd = await EtcdCluster.start(1);
    const logger = consola.create({ level: -999 });
    const tokens = [
      { token: OWNER, provide: ['*.web.hello.dev'], require: ['*.web.hello.dev'] },
      { token: READER, provide: [], require: ['*.web.hello.dev'] },
    ];
    const servers = [0, 1].map(
      () =>
        new DiscoServer({
          host: '127.0.0.1',
          port: 0,
          heartbeatInterval: 1000,
          heartbeatTimeout: 5000,
          grace: 5000,
          tokens,
          logger,
          backend: new EtcdBackend(new EtcdClient(etcd.urls), { prefix: '/scs/', ttlMs: 10_000, logger }),
        }),
    );
    const peers: WirePeer[] = [];
    try {
      for (const server of servers) await server.listen();
      const owner = await WirePeer.open(servers[0]!.address().port);
      peers.push(owner);
      const { session } = await owner.request({ op: 'hello', id: 1, version: 1, token: OWNER });
      const { provision } = await owner.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80 });
      const thief = await WirePeer.open(servers[1]!.address().port);
      peers.push(thief);
      const stolen = await thief.request({ op: 'hello', id: 1, version: 1, token: READER, session });
      const dropped = await thief.request({ op: 'unprovide', id: 2, provision });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const kicked = owner.closed || owner.messages.some((m) => m.ok === false);
      const taken = stolen.session === session;
      const removed = dropped.ok === true;
      const figure = `session ${taken ? 'taken over' : 'kept'}, provision ${removed ? 'removed' : 'kept'}, owner ${kicked ? 'kicked' : 'connected'}`;
      return { figure, met: !taken && !removed && !kicked };
    } finally {
      for (const peer of peers) peer.destroy();
      for (const server of servers) await server.close();
      etcd.stop();
    }
  },
};

export default attack;
