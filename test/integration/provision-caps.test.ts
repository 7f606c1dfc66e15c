// The caps on provisions at the wire: per session, per token (across its sessions) and per server.
// A provide past one is refused with too_many_provisions and changes nothing; room comes back when
// an endpoint is unprovided or a session ends.

import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoServer, DiscoServerOptions } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { WirePeer } from '../helpers/wire.ts';

const TOKEN = 'provision-caps-token-0123456789';
let server: DiscoServer | undefined;
const peers: WirePeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server?.close();
  server = undefined;
});

async function start(options: Partial<DiscoServerOptions>): Promise<number> {
  server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, ...options });
  return server.address().port;
}

async function session(port: number, token?: string): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  expect(await peer.request({ op: 'hello', id: 0, version: 1, ...(token ? { token } : {}) })).toMatchObject({ ok: true });
  return peer;
}

let nextId = 1;
function provide(peer: WirePeer, host: string) {
  return peer.request({ op: 'provide', id: nextId++, name: 'mysql.db.blog.prod', host, port: 3306 });
}

const refused = (message: string) => ({ ok: false, error: { code: 'too_many_provisions', message } });

describe('caps on provisions', () => {
  it('refuses a session its provide past 3, takes one again once it unprovides, and lets another session provide', async () => {
    const port = await start({ maxProvisionsPerSession: 3 });
    const peer = await session(port);
    const ids: string[] = [];
    for (const host of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) ids.push((await provide(peer, host)).provision as string);
    expect(await provide(peer, '10.0.0.4')).toMatchObject(refused('this session holds its maximum of 3 provisions; unprovide some first'));
    expect(server!.registry.list()).toHaveLength(3);
    expect(await peer.request({ op: 'unprovide', id: nextId++, provision: ids[0] })).toMatchObject({ ok: true });
    expect(await provide(peer, '10.0.0.4')).toMatchObject({ ok: true });
    expect(await provide(await session(port), '10.0.0.5')).toMatchObject({ ok: true });
  });

  it('refuses the sessions of one token past 4 together, and takes more once one of them ends', async () => {
    const port = await start({
      maxProvisionsPerSession: 3,
      maxProvisionsPerToken: 4,
      tokens: [{ token: TOKEN, provide: ['*.*.*.*'], require: [] }],
    });
    const first = await session(port, TOKEN);
    for (const host of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect(await provide(first, host)).toMatchObject({ ok: true });
    const second = await session(port, TOKEN);
    expect(await provide(second, '10.0.0.4')).toMatchObject({ ok: true });
    expect(await provide(second, '10.0.0.5')).toMatchObject(
      refused('the sessions of this token hold their maximum of 4 provisions; unprovide some first'),
    );
    expect(await first.request({ op: 'bye', id: nextId++ })).toMatchObject({ ok: true });
    expect(await provide(second, '10.0.0.5')).toMatchObject({ ok: true });
  });

  it('refuses any session past 5 on the server, and takes one again once a session ends', async () => {
    const port = await start({ maxProvisionsPerSession: 3, maxProvisions: 5 });
    const first = await session(port);
    for (const host of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect(await provide(first, host)).toMatchObject({ ok: true });
    const second = await session(port);
    for (const host of ['10.0.0.4', '10.0.0.5']) expect(await provide(second, host)).toMatchObject({ ok: true });
    expect(await provide(second, '10.0.0.6')).toMatchObject(refused('the server holds its maximum of 5 provisions; unprovide some first'));
    expect(await provide(await session(port), '10.0.0.6')).toMatchObject({ ok: false, error: { code: 'too_many_provisions' } });
    expect(server!.registry.list()).toHaveLength(5);
    expect(await first.request({ op: 'bye', id: nextId++ })).toMatchObject({ ok: true });
    expect(await provide(second, '10.0.0.6')).toMatchObject({ ok: true });
  });

  it('lets 10,000 provisions of one session in by default, and refuses the next', async () => {
    const port = await start({});
    const peer = await session(port);
    let batch = '';
    for (let i = 0; i < 10_000; i++) {
      batch += `${JSON.stringify({ op: 'provide', id: 100_000 + i, name: 'mysql.db.blog.prod', host: `10.${i >> 8}.${i & 255}.1`, port: 3306 })}\n`;
    }
    peer.send(batch);
    expect(await peer.reply(109_999, 30_000)).toMatchObject({ ok: true });
    expect(await provide(peer, '10.200.0.1')).toMatchObject({ ok: false, error: { code: 'too_many_provisions' } });
  });
});
