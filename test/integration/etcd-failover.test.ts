// Three `scs disco --etcd` processes on one real etcd cluster; one is killed (SIGKILL) under 100
// providers and 100 subscribers. Its clients resume their sessions on the others within the grace:
// no subscriber hears a drop, every endpoint is served again, and DNS on the others answers for all.

import { describe, expect, it } from 'vitest';
import { DiscoClient, type Watch } from '../../src/client/client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dig } from '../helpers/dns.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

const PROVIDERS = 100;
const SUBSCRIBERS = 100;
const TIMERS = ['--heartbeat-interval', '500ms', '--heartbeat-timeout', '2s', '--grace', '3s'];
const TTL_MS = 5000;

interface Disco {
  readonly process: Running;
  readonly port: number;
  readonly dnsPort: number;
}

async function disco(urls: string[], timers = TIMERS): Promise<Disco> {
  const running = scs(['disco', '--etcd', urls.join(','), '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0', ...timers]);
  onCleanup(() => running.child.kill('SIGKILL'));
  const output = () => running.stdout + running.stderr;
  const port = Number(await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 20_000, 'disco to listen'));
  const dnsPort = Number(await eventually(() => /dns on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 5000, 'its DNS'));
  return { process: running, port, dnsPort };
}

async function client(servers: Disco[], name: string): Promise<DiscoClient> {
  const addresses = servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  const connected = await DiscoClient.connect({ ...addresses[0]!, addresses, name, logger: quietLogger, backoffMaxMs: 200 });
  onCleanup(() => connected.close());
  return connected;
}

describe.skipIf(!ETCD)(`disco servers on etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 120_000 }, () => {
  it('lose nothing when one is killed under 100 providers and 100 subscribers', async () => {
    const etcd = await EtcdCluster.start();
    onCleanup(() => etcd.stop());
    const [a, b, c] = await Promise.all([disco(etcd.urls), disco(etcd.urls), disco(etcd.urls)]);
    const orders = [
      [a!, b!, c!],
      [b!, c!, a!],
      [c!, a!, b!],
    ];
    const drops: string[] = [];
    const watches: Watch[] = [];
    const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => client(orders[i % 3]!, `sub${i}`)));
    for (const subscriber of subscribers) {
      watches.push(await subscriber.require({ name: '*.web.ha.test' }, (event) => drops.push(...event.drop.map((e) => e.name))));
    }
    // Every provider starts on a, the server about to die.
    const providers = await Promise.all(Array.from({ length: PROVIDERS }, (_, i) => client(orders[0]!, `prov${i}`)));
    await Promise.all(providers.map((provider, i) => provider.provide({ name: `p${i}.web.ha.test`, host: '10.0.2.1', port: 1000 + i })));
    await eventually(() => watches.every((watch) => watch.endpoints.length === PROVIDERS), 20_000, 'every subscriber to see all');

    const cut = [...providers, ...subscribers.filter((_, i) => i % 3 === 0)];
    const back = new Set<DiscoClient>();
    for (const one of cut) one.once('connected', () => back.add(one));
    const killedAt = performance.now();
    a!.process.child.kill('SIGKILL');
    await eventually(() => back.size === cut.length, 20_000, 'every client of the killed server to be back');
    const servedAfter = performance.now() - killedAt;
    const listed = await eventuallyAsync(
      async () => {
        const endpoints = await subscribers[1]!.list('*.web.ha.test');
        return endpoints.length === PROVIDERS ? endpoints : undefined;
      },
      20_000,
      'every endpoint listed again',
    );
    expect(listed).toHaveLength(PROVIDERS);
    console.info(`every client of the killed server was back on another ${Math.round(servedAfter)} ms after the kill`);

    // Past a whole lease TTL after the kill: the leases the dead server held were taken over, not lost.
    await sleep(TTL_MS + 1000);
    expect(drops).toEqual([]);
    expect(watches.map((watch) => watch.endpoints.length)).toEqual(Array(SUBSCRIBERS).fill(PROVIDERS));
    for (const server of [b!, c!]) {
      const answer = await dig(server.dnsPort, '_p7._tcp.web.ha.test.disco.', 'SRV');
      expect(answer.status).toBe('NOERROR');
      expect(answer.answer.join('\n')).toContain(' 1007 ');
    }
    // And they still do: a provision made after the failover is seen by everyone.
    await providers[0]!.provide({ name: 'late.web.ha.test', host: '10.0.2.2', port: 2000 });
    await eventually(() => watches.every((watch) => watch.endpoints.length === PROVIDERS + 1), 10_000, 'the late provision');
    expect(drops).toEqual([]);
  });

  it('keep the sessions of a stopped server (SIGSTOP past the heartbeat timeout, as the soak does): no drop, ever', async () => {
    // The soak's timings: heartbeat 1 s, timeout 3 s, grace 2 s, so a lease lives 5 s from its last renewal.
    const timers = ['--heartbeat-interval', '1s', '--heartbeat-timeout', '3s', '--grace', '2s'];
    const etcd = await EtcdCluster.start();
    onCleanup(() => etcd.stop());
    const [a, b] = await Promise.all([disco(etcd.urls, timers), disco(etcd.urls, timers)]);
    const drops: string[] = [];
    const subscriber = await client([b!, a!], 'subscriber');
    const watch = await subscriber.require({ name: '*.web.ha.test' }, (event) =>
      drops.push(...event.drop.map((e) => `${Date.now()} ${e.name}`)),
    );
    const providers = await Promise.all(Array.from({ length: 10 }, (_, i) => client([a!, b!], `prov${i}`)));
    await Promise.all(providers.map((provider, i) => provider.provide({ name: `p${i}.web.ha.test`, host: '10.0.2.1', port: 1000 + i })));
    await eventually(() => watch.endpoints.length === 10, 20_000, 'the subscriber to see every provider');
    // The server holding the providers' sessions, a, is stopped three times, each time at another moment
    // of the lease's renewal cycle (every third of its 5 s). Each time they move to b, and go back
    // home to a once it answers again.
    for (const offset of [0, 600, 1200]) {
      await sleep(offset);
      const connects = new Map<DiscoClient, number>();
      const counters = providers.map((provider) => {
        const count = () => connects.set(provider, (connects.get(provider) ?? 0) + 1);
        provider.on('connected', count);
        return () => provider.off('connected', count);
      });
      a!.process.child.kill('SIGSTOP');
      await sleep(4000);
      a!.process.child.kill('SIGCONT');
      await eventually(() => providers.every((p) => (connects.get(p) ?? 0) >= 2), 20_000, 'every provider on b, then back on a');
      for (const stop of counters) stop();
      // Past a lease's TTL, nothing dropped.
      await sleep(6000);
      expect(drops).toEqual([]);
      expect(watch.endpoints).toHaveLength(10);
    }
  });
});
