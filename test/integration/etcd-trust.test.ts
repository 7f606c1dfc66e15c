// What disco takes from etcd, and from a hello on etcd, is held to the wire's rules (issue 26):
// a key anyone wrote to etcd reaches neither a subscriber nor DNS unless a client could have sent it,
// a bad key costs one warning and nothing else, and a session moves only with the token that opened it.

import { describe, expect, it } from 'vitest';
import { EtcdBackend } from '../../src/server/etcd-backend.ts';
import { EtcdClient } from '../../src/server/etcd-client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { type Message, WirePeer } from '../helpers/wire.ts';

const timers = { heartbeatInterval: 200, heartbeatTimeout: 1000, grace: 2000 };
const OWNER_TOKEN = 'owner-token-0123456789';
const READER_TOKEN = 'reader-token-0123456789';
const tokens = [
  { token: OWNER_TOKEN, provide: ['*.web.hello.dev'], require: ['*.web.hello.dev'] },
  // May provide nothing: it could never have made the owner's provision, nor may it take it.
  { token: READER_TOKEN, provide: [], require: ['*.web.hello.dev'] },
];

async function etcd(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(1);
  onCleanup(() => started.stop());
  return started;
}

async function sharedDisco(urls: string[], withTokens = false) {
  const log = recordingLogger();
  const backend = new EtcdBackend(new EtcdClient(urls), {
    prefix: '/scs/',
    ttlMs: timers.heartbeatTimeout + timers.grace,
    logger: log.logger,
  });
  const server = await startDisco({ ...timers, backend, logger: log.logger, ...(withTokens ? { tokens } : {}) });
  onCleanup(() => server.close());
  return { server, log };
}

async function peer(server: DiscoServer): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  const timer = setInterval(() => opened.send({ op: 'ping' }), timers.heartbeatInterval);
  onCleanup(() => clearInterval(timer));
  return opened;
}

/** Every host and port a subscriber was told of, in `changed` and `resync` pushes and the require's reply. */
function told(messages: Message[]): string[] {
  const endpoints = messages.flatMap((m) => [...(m.endpoints ?? []), ...(m.add ?? [])]) as Array<{ host: string; port: number }>;
  return endpoints.map((e) => `${e.host}:${e.port}`);
}

describe.skipIf(!ETCD)(
  `disco trusts nothing from etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`,
  { timeout: 30_000 },
  () => {
    it('skips each key a client could not have written, with one warning, and serves the rest to subscribers and DNS', async () => {
      const { urls } = await etcd();
      const { server, log } = await sharedDisco(urls);
      const dns = await startDns(server.registry);
      onCleanup(() => dns.server.close());
      const subscriber = await peer(server);
      await subscriber.request({ op: 'hello', id: 1, version: 1 });
      const required = await subscriber.request({ op: 'require', id: 2, name: '*.web.hello.dev' });
      expect(required.ok).toBe(true);
      const provider = await peer(server);
      await provider.request({ op: 'hello', id: 1, version: 1 });
      await provider.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80 });

      const writer = new EtcdClient(urls);
      const lease = await writer.grant(30);
      const value = (fields: Record<string, unknown>) =>
        JSON.stringify({ session: 'intruder', host: '10.0.0.9', port: 81, protocol: 'tcp', attrs: {}, ...fields });
      const bad: Array<[string, string, string]> = [
        ['/scs/p/quote.web.hello.dev/x1', value({ host: '10.0.0.9"\nSCS_EVIL=1' }), lease],
        ['/scs/p/zero.web.hello.dev/x2', value({ port: 0 }), lease],
        ['/scs/p/bad name!.web.hello.dev/x3', value({}), lease],
        ['/scs/p/unleased.web.hello.dev/x4', value({}), '0'],
        ['/scs/p/proto.web.hello.dev/x5', value({ attrs: JSON.parse('{"__proto__": {"polluted": "yes"}}') }), lease],
        ['/scs/p/nested.web.hello.dev/a/b', value({}), lease],
        ['/scs/s/forged', JSON.stringify({ lease: '0', server: 'x' }), lease],
      ];
      for (const [key, text, under] of bad) await writer.put(key, text, under);
      await writer.put('/scs/p/late.web.hello.dev/x9', value({ host: '10.0.0.2', port: 82 }), lease);

      await eventually(() => server.registry.lookup('late.web.hello.dev').length === 1, 5000, 'the good key after the bad ones');
      // A key that names the id another key holds is skipped, and its delete takes nothing with it.
      const taken = '/scs/p/other.web.hello.dev/x9';
      await writer.put(taken, value({ host: '10.0.0.3', port: 83 }), lease);
      await eventually(
        () => log.lines('warn').some((line) => line.startsWith(`etcd: skipping ${JSON.stringify(taken)}:`)),
        5000,
        'the taken id',
      );
      await writer.delete(taken);
      await sleep(300);
      expect(server.registry.lookup('late.web.hello.dev')).toHaveLength(1);
      expect(
        server.registry
          .list()
          .map((p) => `${p.name} ${p.address.host}:${p.address.port}`)
          .sort(),
      ).toEqual(['http.web.hello.dev 10.0.0.1:80', 'late.web.hello.dev 10.0.0.2:82']);
      const warnings = log.lines('warn');
      for (const [key] of bad) expect(warnings.filter((line) => line.startsWith(`etcd: skipping ${JSON.stringify(key)}:`))).toHaveLength(1);
      expect(warnings).toHaveLength(bad.length + 1);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      await eventually(() => told(subscriber.messages).includes('10.0.0.2:82'), 3000, 'the subscriber to hear of the good key');
      expect(told(subscriber.messages).filter((hostPort) => !['10.0.0.1:80', '10.0.0.2:82'].includes(hostPort))).toEqual([]);
      // The zone answers on: the bad keys took nothing down with them.
      const srv = await dig(dns.port, '_late._tcp.web.hello.dev.disco', 'SRV');
      expect(srv.status).toBe('NOERROR');
      expect(srv.answer.join('\n')).toContain(' 82 ');
      expect((await dig(dns.port, '_quote._tcp.web.hello.dev.disco', 'SRV')).status).toBe('NXDOMAIN');

      // A server that starts on the same keys reads them whole: the same keys are skipped, once each.
      const second = await sharedDisco(urls);
      await eventually(() => second.server.registry.lookup('late.web.hello.dev').length === 1, 5000, 'the second server to read etcd');
      expect(second.log.lines('warn')).toHaveLength(bad.length); // The taken id's key is gone.
    });

    it('lets only the token that opened a session resume it on another server, nor drop its provisions, nor kick its owner', async () => {
      const { urls } = await etcd();
      const a = await sharedDisco(urls, true);
      const b = await sharedDisco(urls, true);
      const owner = await peer(a.server);
      const { session } = await owner.request({ op: 'hello', id: 1, version: 1, token: OWNER_TOKEN });
      const { provision } = await owner.request({ op: 'provide', id: 2, name: 'http.web.hello.dev', host: '10.0.0.1', port: 80 });
      expect(provision).toBeDefined();
      await eventually(() => b.server.registry.lookup('http.web.hello.dev').length === 1, 5000, 'B to mirror the provision');

      for (const server of [b.server, a.server]) {
        const thief = await peer(server);
        const stolen = await thief.request({ op: 'hello', id: 1, version: 1, token: READER_TOKEN, session });
        expect(stolen).toMatchObject({ ok: true, resumed: false });
        expect(stolen.session).not.toBe(session);
        const dropped = await thief.request({ op: 'unprovide', id: 2, provision });
        expect(dropped).toMatchObject({ ok: false, error: { code: 'not_found' } });
      }
      // Long enough for A to hear from etcd of a session taken on B, were it taken.
      await sleep(500);
      expect(owner.messages.filter((m) => m.ok === false)).toEqual([]);
      expect(owner.closed).toBe(false);
      for (const server of [a.server, b.server]) expect(server.registry.lookup('http.web.hello.dev').map((p) => p.id)).toEqual([provision]);

      // Its own token still moves it.
      owner.destroy();
      const back = await peer(b.server);
      expect(await back.request({ op: 'hello', id: 1, version: 1, token: OWNER_TOKEN, session })).toMatchObject({ ok: true, session });
      expect(await back.request({ op: 'unprovide', id: 2, provision })).toMatchObject({ ok: true });
    });
  },
);
