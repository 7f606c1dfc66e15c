// disco's etcd client on a three-member cluster: when the member it uses goes silent (SIGSTOP, as
// across a cut link), its lease renewals still land within a short lease's TTL, its watch moves to a
// member that answers, and once its own member (the first URL) answers again, the calls and the watch
// go back to it. Found by the soak: servers that had moved to a member in the other data center
// stayed there, and a cut between the data centers then cost their clients' sessions.

import { describe, expect, it } from 'vitest';
import { EtcdClient, type WatchEvent } from '../../src/server/etcd-client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

async function cluster(): Promise<EtcdCluster> {
  const started = await EtcdCluster.start(3);
  onCleanup(() => started.stop());
  return started;
}

function client(urls: string[]): EtcdClient {
  const made = new EtcdClient(urls);
  onCleanup(() => made.close());
  return made;
}

describe.skipIf(!ETCD)(`etcd's client${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, { timeout: 60_000 }, () => {
  it('keeps a 2-second lease alive while the member it used is silent', async () => {
    const etcd = await cluster();
    const disco = client(etcd.urls);
    const lease = await disco.grant(2);
    etcd.pause(0);
    onCleanup(() => etcd.resume(0));
    const renewals: boolean[] = [];
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      renewals.push(await disco.keepAlive(lease));
      await sleep(500);
    }
    expect(renewals.every(Boolean)).toBe(true);
    // Asked of the members that answer, the lease is still there.
    expect(await client([etcd.urls[1]!, etcd.urls[2]!]).keepAlive(lease)).toBe(true);
  });

  it('moves its watch off a silent member, and goes back to its own member, watch and all, once it answers', async () => {
    const etcd = await cluster();
    const disco = client(etcd.urls);
    const writer = client([etcd.urls[1]!, etcd.urls[2]!]);
    const seen: string[] = [];
    /** Each event once: a put retried by the writer is a second event, at its own revision. */
    const revisions: number[] = [];
    let revision = (await disco.range('/scs/')).revision;
    const follow = (events: WatchEvent[]) => {
      for (const event of events) {
        seen.push(event.kv.key);
        revisions.push(event.kv.modRevision);
        revision = Math.max(revision, event.kv.modRevision);
      }
    };
    // Watches again from where it was each time the watch ends, as disco's registry does.
    let stopped = false;
    onCleanup(() => {
      stopped = true;
      watching.cancel();
    });
    let watching = disco.watch('/scs/', revision + 1, follow);
    void (async () => {
      while (!stopped) {
        await watching.ended;
        if (!stopped) watching = disco.watch('/scs/', revision + 1, follow);
      }
    })();
    const lease = await writer.grant(30);
    await writer.put('/scs/one', 'x', lease);
    await eventually(() => seen.includes('/scs/one'), 5000, 'the watch to see the first put');

    etcd.pause(0);
    await writer.put('/scs/two', 'x', lease);
    await eventually(() => seen.includes('/scs/two'), 15_000, 'the watch, moved to another member, to see the put made meanwhile');
    await disco.range('/scs/');
    expect(disco.member).not.toBe(etcd.urls[0]);
    expect(disco.watchingOn).not.toContain(etcd.urls[0]);

    etcd.resume(0);
    await eventually(() => disco.member === etcd.urls[0], 10_000, 'the client to go back to its own member');
    await eventually(() => disco.watchingOn.join() === etcd.urls[0], 5000, 'the watch to go back with it');
    await writer.put('/scs/three', 'x', lease);
    await eventually(() => seen.includes('/scs/three'), 5000, 'the third put');
    await eventuallyAsync(async () => (await disco.range('/scs/')).kvs.length === 3, 5000, 'reads at home');
    expect([...new Set(seen)]).toEqual(['/scs/one', '/scs/two', '/scs/three']);
    expect(new Set(revisions).size).toBe(revisions.length);
  });
});
