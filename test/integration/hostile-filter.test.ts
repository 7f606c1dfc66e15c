// Issue 26 §1, through real sockets: a hostile attribute filter once froze the whole server
// (protocol, heartbeats, DNS). Here it is answered, and a well-formed client is served meanwhile.

import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { WirePeer } from '../helpers/wire.ts';

let server: DiscoServer | undefined;
const peers: WirePeer[] = [];

async function session(port: number): Promise<WirePeer> {
  const peer = await WirePeer.session(port);
  peers.push(peer);
  return peer;
}

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server?.close();
  server = undefined;
});

describe('a hostile attribute filter (§1)', () => {
  it('answers *a × 10 *b against 240 × a, and serves a well-formed client meanwhile', async () => {
    server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
    const port = server.address().port;
    const [provider, hostile, wellFormed] = [await session(port), await session(port), await session(port)];
    const long = 'a'.repeat(240);
    const provided = await provider.request({
      op: 'provide',
      id: 1,
      name: 'db.data.shop',
      host: '10.0.0.1',
      port: 5432,
      attrs: { az: long },
    });
    expect(provided).toMatchObject({ ok: true });

    hostile.send({ op: 'require', id: 2, name: 'db.data.shop', attrs: { az: `${'*a'.repeat(10)}*b` } });
    wellFormed.send({ op: 'require', id: 3, name: 'db.data.shop', attrs: { az: '*a' } });
    expect(await hostile.reply(2)).toMatchObject({ ok: true, endpoints: [] });
    expect(await wellFormed.reply(3)).toMatchObject({ ok: true, endpoints: [{ host: '10.0.0.1', attrs: { az: long } }] });

    // A glob that does match a long value is found too, and the session still answers pings.
    const matching = await hostile.request({ op: 'require', id: 4, name: 'db.data.shop', attrs: { az: `${'*a'.repeat(10)}*` } });
    expect(matching).toMatchObject({ ok: true, endpoints: [{ host: '10.0.0.1' }] });
    hostile.send({ op: 'ping' });
    await hostile.next((message) => message.op === 'pong');
  });
});
