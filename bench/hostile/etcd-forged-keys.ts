// Keys written straight into etcd, as anyone who can write there could: a host holding a quote and a
// newline, port 0, a name that is no name, a key without a lease, a prototype key. How many of them
// disco serves, and whether it goes on serving the good key written after them.

import { consola } from 'consola';
import { Registry } from '../../src/registry/registry.ts';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import { EtcdCluster } from '../../test/helpers/etcd-cluster.ts';
import type { Attack } from './attack.ts';

const attack: Attack = {
  name: 'etcd-forged-keys',
  replays: 'seven forged provision and session keys written into etcd, then a good one',
  before: '6 of 7 forged keys served (a quote and newline in a host reached clients)',
  target: '0 forged keys served, the good one served',
  async run() {
    const etcd = await EtcdCluster.start(1);
    const logger = consola.create({ level: -999 });
    const backend = new EtcdBackend(new EtcdClient(etcd.urls), { prefix: '/scs/', ttlMs: 10_000, logger });
    const registry = new Registry();
    try {
      await backend.start(registry, { changes() {}, sessionGone() {} });
      const writer = new EtcdClient(etcd.urls);
      const lease = await writer.grant(30);
      const value = (fields: Record<string, unknown>) =>
        JSON.stringify({ session: 'intruder', host: '10.0.0.9', port: 81, protocol: 'tcp', attrs: {}, ...fields });
      const forged: Array<[string, string, string]> = [
        ['/scs/p/quote.web.hello.dev/x1', value({ host: '10.0.0.9"\nSCS_EVIL=1' }), lease],
        ['/scs/p/zero.web.hello.dev/x2', value({ port: 0 }), lease],
        ['/scs/p/bad name!.web.hello.dev/x3', value({}), lease],
        ['/scs/p/unleased.web.hello.dev/x4', value({}), '0'],
        ['/scs/p/__proto__/x5', value({}), lease],
        ['/scs/p/nested.web.hello.dev/a/b', value({}), lease],
        ['/scs/s/forged', JSON.stringify({ lease: '0', server: 'x' }), lease],
      ];
      for (const [key, text, under] of forged) await writer.put(key, text, under);
      await writer.put('/scs/p/good.web.hello.dev/x9', value({ host: '10.0.0.2' }), lease);
      const deadline = Date.now() + 10_000;
      while (registry.lookup('good.web.hello.dev').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      writer.close();
      const served = registry.list().filter((p) => p.name !== 'good.web.hello.dev').length;
      const good = registry.lookup('good.web.hello.dev').length === 1;
      return {
        figure: `${served} of ${forged.length} forged keys served, the good one ${good ? 'served' : 'NOT served'}`,
        met: served === 0 && good,
      };
    } finally {
      backend.stop();
      etcd.stop();
    }
  },
};

export default attack;
