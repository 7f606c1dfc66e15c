// disco's etcd client on its own: against a real one-member etcd for what etcd does (leases, puts
// in transactions, watches of puts and deletes, refusals), and against a scripted HTTP server for
// what etcd does only when it is in trouble (no leader, errors on the watch stream, a dead member).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { EtcdClient, EtcdRefusal, type WatchEvent } from '../../src/server/etcd-client.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';
import { eventually } from '../helpers/wait.ts';

async function etcd(): Promise<EtcdClient> {
  const cluster = await EtcdCluster.start(1);
  onCleanup(() => cluster.stop());
  return new EtcdClient(cluster.urls);
}

/** An HTTP server on loopback that answers as `answer` says, and counts what it is asked. */
async function scripted(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? '');
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** Says "no leader" (etcd's code 14, with HTTP `status`) `elections` times, then answers a write at `revision`. */
const afterElections = (elections: number, status: number, revision: string) => (_request: IncomingMessage, response: ServerResponse) =>
  elections-- > 0 ? json(response, status, { code: 14, message: 'etcdserver: no leader' }) : json(response, 200, { header: { revision } });

/** A watch stream that sends `lines` and then stays open, or ends if told to. */
const watchStream =
  (lines: string[], end = false) =>
  (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    for (const line of lines) response.write(`${line}\n`);
    if (end) response.end();
  };

it('needs at least one URL', () => {
  expect(() => new EtcdClient([])).toThrow('expected at least one etcd URL');
});

describe.skipIf(!ETCD)(`against etcd${ETCD ? '' : ' (skipped: /usr/bin/etcd is not installed)'}`, () => {
  it('keeps a lease alive until it is revoked, and revokes one already gone without a word', async () => {
    const client = await etcd();
    const lease = await client.grant(30);
    expect(await client.keepAlive(lease)).toBe(true);
    await client.revoke(lease);
    expect(await client.keepAlive(lease)).toBe(false);
    await expect(client.revoke(lease)).resolves.toBeUndefined();
  });

  it('refuses at once, in etcd’s words, a put under a lease etcd does not have', async () => {
    const client = await etcd();
    await expect(client.put('/t/k', 'v', '12345')).rejects.toThrow(new EtcdRefusal('etcd: etcdserver: requested lease not found'));
  });

  it('writes the puts of one turn in transactions of at most 128, and each lands', async () => {
    const client = await etcd();
    const lease = await client.grant(30);
    const revisions = await Promise.all(Array.from({ length: 200 }, (_, i) => client.put(`/t/k${i}`, `v${i}`, lease)));
    // Two transactions: 128 puts at one revision, then 72 at the next.
    expect(new Set(revisions).size).toBe(2);
    expect(revisions.filter((revision) => revision === revisions[0])).toHaveLength(128);
    const { kvs } = await client.range('/t/');
    expect(kvs).toHaveLength(200);
    expect(kvs.find((kv) => kv.key === '/t/k199')).toMatchObject({ value: 'v199', lease });
  });

  it('writes a lone put on its own, and one that etcd refuses fails alone in a transaction', async () => {
    const client = await etcd();
    const lease = await client.grant(30);
    const first = await client.put('/t/alone', 'v', lease);
    const [good, bad] = await Promise.allSettled([client.put('/t/good', 'v', lease), client.put('/t/bad', 'v', '999')]);
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(bad).toMatchObject({ status: 'rejected', reason: expect.any(EtcdRefusal) });
    expect((good as PromiseFulfilledResult<number>).value).toBeGreaterThan(first);
    expect((await client.range('/t/')).kvs.map((kv) => kv.key)).toEqual(['/t/alone', '/t/good']);
  });

  it('watches puts and deletes from a revision on, and ends the watch when cancelled', async () => {
    const client = await etcd();
    const lease = await client.grant(30);
    const before = await client.put('/w/a', '1', lease);
    const events: WatchEvent[] = [];
    const watching = client.watch('/w/', before + 1, (batch) => events.push(...batch));
    await client.put('/w/b', '2', lease);
    const deletedAt = await client.delete('/w/a');
    await eventually(() => events.length === 2, 5000, 'the put and the delete');
    expect(events).toEqual([
      // A key's version: 1 for its first write (a delete's is 0, which etcd leaves out).
      { type: 'put', kv: { key: '/w/b', value: '2', modRevision: before + 1, lease, version: 1 } },
      { type: 'delete', kv: { key: '/w/a', value: '', modRevision: deletedAt, lease: '0' } },
    ]);
    watching.cancel();
    expect(await watching.ended).toBe('canceled');
  });

  it('says a watch is compacted when etcd no longer has the revision it starts from', async () => {
    const client = await etcd();
    const lease = await client.grant(30);
    await client.put('/w/a', '1', lease);
    const head = await client.put('/w/a', '2', lease);
    const [url] = client.urls;
    expect((await fetch(`${url}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: head }) })).ok).toBe(true);
    expect(await client.watch('/w/', 1, () => {}).ended).toBe('compacted');
  });
});

describe('against a member in trouble', () => {
  it('tries the next member when one cannot be reached, and stays with the one that answered', async () => {
    const live = await scripted((_request, response) => json(response, 200, { ID: '7', TTL: '30' }));
    const client = new EtcdClient([`http://127.0.0.1:${portOutsideEphemeral()}`, live.url]);
    expect(await client.grant(30)).toBe('7');
    expect(await client.grant(30)).toBe('7');
    expect(live.asked).toEqual(['/v3/lease/grant', '/v3/lease/grant']);
  });

  it('waits out an election, asking again, and takes the answer once there is a leader', async () => {
    const member = await scripted(afterElections(2, 503, '9'));
    expect(await new EtcdClient([member.url]).delete('/k')).toBe(9);
    expect(member.asked).toHaveLength(3);
  });

  it('asks members in trouble again only after a pause, and gives up after its retry time, in one sentence', async () => {
    const troubled = () => scripted((_request, response) => json(response, 503, { code: 4, error: 'context deadline exceeded' }));
    const members = [await troubled(), await troubled()];
    const started = Date.now();
    await expect(
      new EtcdClient(
        members.map((member) => member.url),
        1000,
      ).delete('/k'),
    ).rejects.toThrow(`etcd at ${members[0]!.url}, ${members[1]!.url} did not answer: context deadline exceeded`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // One round over the members per 100 ms pause, not as many as the loop could send.
    expect(members[0]!.asked.length + members[1]!.asked.length).toBeLessThanOrEqual(30);
  });

  it('names the HTTP status when a member answers with neither message nor error', async () => {
    const member = await scripted((_request, response) => json(response, 502, { code: 14 }));
    await expect(new EtcdClient([member.url], 300).delete('/k')).rejects.toThrow(`etcd at ${member.url} did not answer: HTTP 502`);
  });

  it('refuses at once what a member refuses for any reason but an election', async () => {
    const member = await scripted((_request, response) => json(response, 400, { code: 3, message: 'etcdserver: key is not provided' }));
    await expect(new EtcdClient([member.url]).delete('')).rejects.toThrow(new EtcdRefusal('etcd: etcdserver: key is not provided'));
    expect(member.asked).toHaveLength(1);
  });

  it('ends a watch, saying why, when the member refuses it, fails it, cancels it, ends it or is lost', async () => {
    const cases: Array<[string, Parameters<typeof scripted>[0]]> = [
      ['watch refused: HTTP 404', (_request, response) => json(response, 404, {})],
      ['watch failed: {"error":{"grpc_code":14,"message":"no leader"}}', watchStream(['{"error":{"grpc_code":14,"message":"no leader"}}'])],
      ['watch canceled', watchStream(['', '  ', '{}', '{"result":{"created":true}}', '{"result":{"canceled":true}}'])],
      ['watch stream ended', watchStream(['{"result":{"created":true}}'], true)],
      ['watch lost: ', (_request, response) => void response.socket?.destroy()],
    ];
    for (const [why, answer] of cases) {
      const member = await scripted(answer);
      const ended = await new EtcdClient([member.url]).watch('/w/', 1, () => {}).ended;
      expect(ended.startsWith(why), `"${ended}" for "${why}"`).toBe(true);
    }
  });

  it('quotes at most 200 characters of a watch line that reports an error', async () => {
    const line = JSON.stringify({ error: { grpc_code: 14, message: 'x'.repeat(300) } });
    const member = await scripted(watchStream([line]));
    expect(await new EtcdClient([member.url]).watch('/w/', 1, () => {}).ended).toBe(`watch failed: ${line.slice(0, 200)}`);
  });

  it('hands over the events of a result whose compact revision is 0, and ends only past a compaction', async () => {
    const kv = { key: b64('/w/a'), value: b64('1'), mod_revision: '5', lease: '0' };
    const member = await scripted(watchStream([JSON.stringify({ result: { compact_revision: '0', events: [{ kv }] } })], true));
    const seen: WatchEvent[] = [];
    expect(await new EtcdClient([member.url]).watch('/w/', 1, (events) => seen.push(...events)).ended).toBe('watch stream ended');
    expect(seen).toEqual([{ type: 'put', kv: { key: '/w/a', value: '1', modRevision: 5, lease: '0' } }]);
  });

  it('writes 128 puts of one turn in a single transaction', async () => {
    const bodies: string[] = [];
    const member = await scripted((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        bodies.push(body);
        json(response, 200, { header: { revision: '9' } });
      });
    });
    const client = new EtcdClient([member.url]);
    const revisions = await Promise.all(Array.from({ length: 128 }, (_, i) => client.put(`/k/${i}`, 'v', '0')));
    expect(new Set(revisions)).toEqual(new Set([9]));
    // A lone put after them: a request the client sent before it reaches the member first.
    await client.put('/k/last', 'v', '0');
    expect(member.asked).toEqual(['/v3/kv/txn', '/v3/kv/put']);
    expect(JSON.parse(bodies[0]!).success).toHaveLength(128);
  });

  it('retries a reply that carries an error code even with HTTP 200, and refuses an HTTP error without one', async () => {
    const electing = await scripted(afterElections(1, 200, '4'));
    expect(await new EtcdClient([electing.url]).delete('/k')).toBe(4);
    expect(electing.asked).toHaveLength(2);
    const missing = await scripted((_request, response) => json(response, 404, {}));
    await expect(new EtcdClient([missing.url]).delete('/k')).rejects.toThrow(new EtcdRefusal('etcd: HTTP 404'));
    expect(missing.asked).toHaveLength(1);
  });

  it('asks every member once before it pauses, then pauses once per round', async () => {
    // Only the pause is faked: the test holds it, and counts what is asked before and after.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    onCleanup(() => vi.useRealTimers());
    const troubled = () => scripted((_request, response) => json(response, 503, { code: 14, message: 'etcdserver: no leader' }));
    const members = [await troubled(), await troubled()];
    const asked = () => members[0]!.asked.length + members[1]!.asked.length;
    new EtcdClient(
      members.map((member) => member.url),
      60_000,
    )
      .delete('/k')
      .catch(() => {});
    await realtime(3000, () => asked() === 2, 'one question to each member');
    await realtime(200);
    expect(asked()).toBe(2);
    vi.advanceTimersByTime(100);
    await realtime(3000, () => asked() === 4, 'a second round');
    await realtime(200);
    expect(asked()).toBe(4);
  });

  it('stays with the member it moved to when the watch on the member it left ends', async () => {
    let endWatch = () => {};
    const left = await scripted((request, response) => {
      if (request.url !== '/v3/watch') return json(response, 503, { code: 14, message: 'etcdserver: no leader' });
      response.writeHead(200, { 'content-type': 'application/json' });
      endWatch = () => response.end();
    });
    const good = await scripted((_request, response) => json(response, 200, { header: { revision: '3' } }));
    const client = new EtcdClient([left.url, good.url]);
    const watching = client.watch('/w/', 1, () => {});
    await eventually(() => left.asked.length === 1, 3000, 'the watch');
    expect(await client.delete('/k')).toBe(3);
    // The call that failed there took the watch off it too: it ends, and does not move the calls again.
    endWatch();
    expect(await watching.ended).toBe(`etcd member ${left.url} stopped answering`);
    expect(await client.delete('/k')).toBe(3);
    expect(left.asked).toEqual(['/v3/watch', '/v3/kv/deleterange']);
    expect(good.asked).toEqual(['/v3/kv/deleterange', '/v3/kv/deleterange']);
  });

  it('moves on to the next member once a watch ends', async () => {
    const first = await scripted(watchStream([], true));
    const second = await scripted((_request, response) => json(response, 200, { header: { revision: '3' } }));
    const client = new EtcdClient([first.url, second.url]);
    expect(await client.watch('/w/', 1, () => {}).ended).toBe('watch stream ended');
    expect(await client.delete('/k')).toBe(3);
    expect(first.asked).toEqual(['/v3/watch']);
  });
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Waits on the real clock, for tests that fake setTimeout: `ms`, or until `done`, which must come within `ms`. */
async function realtime(ms: number, done?: () => boolean, what?: string): Promise<void> {
  const until = Date.now() + ms;
  while (!done?.()) {
    if (Date.now() > until) {
      if (done) throw new Error(`timed out waiting for ${what}`);
      return;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
