// Instances records on a real disco (memory), over real TCP: `scale` and `drain` (all or none, who and
// when), read with `instances`, watched (`instances-changed` pushes), refused by the token's scope, one
// clear error for bad input; then the client's functions, a watch surviving a cut connection included.

import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { drain, readInstances, scale, watchInstances } from '../../src/client/instances.ts';
import type { Instances } from '../../src/protocol/instances.ts';
import type { DiscoServer, DiscoServerOptions } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { eventually } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

async function disco(options: Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 30_000, grace: 30_000, ...options });
  onCleanup(() => server.close());
  return server;
}

async function peer(server: DiscoServer, hello: { token?: string; client?: string } = {}): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  expect((await opened.request({ op: 'hello', id: 0, version: 1, ...hello })).ok).toBe(true);
  return opened;
}

const shown = (records: readonly Instances[]) =>
  records.map(
    (r) =>
      `${r.service}#${r.revision} x${r.replicas?.count ?? '-'} ${r.drained.map((d) => `${d.host ?? '*'}/${d.instance ?? '*'}`).join(',')}`,
  );

describe('instances records', () => {
  it('are scaled and drained all at once, stamped with who, read back by pattern, and watched after the reply', async () => {
    const server = await disco();
    const operator = await peer(server, { client: 'scs scale' });
    const observer = await peer(server);
    const watching = await observer.request({ op: 'instances', id: 1, name: '*.web.*.*', watch: true });
    expect(watching).toMatchObject({ ok: true, records: [], watch: expect.any(String) });
    const scaled = await operator.request({
      op: 'scale',
      id: 1,
      services: [
        { service: 'web.blog.prod', count: 3 },
        { service: 'db.blog.prod', count: 1, cause: 'files', files: 1 },
      ],
    });
    expect(scaled.records).toMatchObject([
      { service: 'web.blog.prod', replicas: { count: 3, cause: 'scale' }, drained: [], by: 'scs scale', revision: 1 },
      { service: 'db.blog.prod', replicas: { count: 1, cause: 'files', files: 1 }, revision: 1 },
    ]);
    const push = await observer.next((m) => m.op === 'instances-changed', 3000);
    expect(push).toEqual({ op: 'instances-changed', watch: watching.watch, records: [scaled.records[0]] });
    // A service it may not change in the batch: nothing changes.
    const bad = await operator.request({
      op: 'drain',
      id: 2,
      drains: [
        { service: 'web.blog.prod', drained: true },
        { service: 'web.blog.prod', host: 'Not A Host', drained: true },
      ],
    });
    expect(bad.error).toEqual({
      code: 'bad_request',
      message: 'drains.1.host: expected a host name like "h1" (letters, digits and inner hyphens, at most 63)',
    });
    const twice = await operator.request({ op: 'scale', id: 3, services: [{ service: 'web.blog.prod', count: 101 }] });
    expect(twice.error.message).toBe('services.0.count: expected a number of instances from 0 to 100');
    expect(shown((await observer.request({ op: 'instances', id: 2 })).records)).toEqual(['db.blog.prod#1 x1 ', 'web.blog.prod#1 x3 ']);
  });

  it('are changed only where the token may place, and read where it may observe', async () => {
    const server = await disco({
      tokens: [
        { token: 'operator-token-0123', provide: [], require: [], place: ['*.*.blog.prod'] },
        { token: 'observer-token-0123', provide: [], require: [], observe: ['*.*.*.prod'] },
      ],
    });
    const operator = await peer(server, { token: 'operator-token-0123' });
    expect((await operator.request({ op: 'drain', id: 1, drains: [{ service: 'web.blog.prod', drained: true }] })).ok).toBe(true);
    expect((await operator.request({ op: 'scale', id: 2, services: [{ service: 'web.shop.prod', count: 2 }] })).error).toEqual({
      code: 'forbidden',
      message: "this session's token may not place *.web.shop.prod (it may place *.*.blog.prod)",
    });
    expect((await operator.request({ op: 'instances', id: 3 })).error.code).toBe('forbidden');
    const observer = await peer(server, { token: 'observer-token-0123' });
    expect((await observer.request({ op: 'instances', id: 1, name: '*.*.blog.prod' })).records).toHaveLength(1);
    expect((await observer.request({ op: 'drain', id: 2, drains: [{ service: 'web.blog.prod', drained: false }] })).error.code).toBe(
      'forbidden',
    );
  });
});

describe('the instances client functions', () => {
  async function client(port: number, name = 'scs-test'): Promise<DiscoClient> {
    const connected = await DiscoClient.connect({ host: '127.0.0.1', port, name, logger: quietLogger });
    onCleanup(() => connected.close());
    return connected;
  }

  it('scale, drain, read, and watch: the whole list first, on each push, and again after a reconnect', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 400 });
    const proxy = await CuttableProxy.start(server.address().port);
    onCleanup(() => proxy.close());
    const operator = await client(server.address().port, 'operator');
    await scale(operator, [{ service: 'db.blog.prod', count: 2, cause: 'scale' }]);
    const watcher = await client(proxy.port);
    const told: Instances[][] = [];
    const watch = await watchInstances(watcher, '*.*.blog.prod', (records) => told.push(records));
    onCleanup(() => watch.close());
    expect(told.map(shown)).toEqual([['db.blog.prod#1 x2 ']]);

    await drain(operator, [
      { service: 'web.blog.prod', host: 'h1', drained: true },
      { service: 'web.shop.prod', drained: true },
    ]);
    await eventually(() => told.length === 2, 3000, 'the push');
    expect(shown(watch.current())).toEqual(['db.blog.prod#1 x2 ', 'web.blog.prod#1 x- h1/*']);

    proxy.cut();
    await eventually(() => server.instances.watchCount === 0, 3000, 'the old watch to go');
    await drain(operator, [{ service: 'web.blog.prod', drained: false }]);
    await eventually(() => told.at(-1)?.[1]?.drained.length === 0, 5000, 'the list read again');
    expect(server.instances.watchCount).toBe(1);
    expect(shown(await readInstances(operator, '*.web.*.*'))).toEqual(['web.blog.prod#2 x- ', 'web.shop.prod#1 x- */*']);
  });
});
