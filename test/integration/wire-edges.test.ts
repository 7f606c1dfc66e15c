// Issue 26, the wire's low points through a real socket: a session's request before hello hears
// no_session however malformed it is, and bytes that are not UTF-8 or a lone surrogate escape are
// refused at the edge with one clear error, never stored as U+FFFD.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { WirePeer } from '../helpers/wire.ts';

let server: DiscoServer;
let port: number;
const peers: WirePeer[] = [];

async function open(): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  return peer;
}

beforeEach(async () => {
  server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000 });
  port = server.address().port;
});

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server.close();
});

describe('before hello', () => {
  it('answers a malformed session request with no_session, not its validation error', async () => {
    const peer = await open();
    expect(await peer.request({ op: 'provide', id: 1, name: 'not a name', host: '1.2.3', port: 0 })).toMatchObject({
      re: 1,
      ok: false,
      error: { code: 'no_session', message: 'send "hello" before "provide"' },
    });
    expect(await peer.request({ op: 'require', id: 2, name: 5, colour: 'red' })).toMatchObject({ error: { code: 'no_session' } });
    // A malformed hello is still told what is wrong with it.
    expect(await peer.request({ op: 'hello', id: 3, version: 'one' })).toMatchObject({
      error: { code: 'bad_request', message: 'version: expected a protocol version (a whole number)' },
    });
  });
});

describe('text that is not UTF-8, or not characters', () => {
  it('refuses a line of invalid UTF-8 with parse_error, and serves the next line', async () => {
    const peer = await open();
    await peer.request({ op: 'hello', id: 0, version: 1 });
    peer.socket.write(
      Buffer.concat([
        Buffer.from('{"op":"provide","id":1,"name":"db.data.shop","host":"10.0.0.1","port":1,"attrs":{"az":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}\n'),
      ]),
    );
    expect(await peer.reply(null)).toMatchObject({ ok: false, error: { code: 'parse_error', message: 'line is not valid UTF-8' } });
    expect(await peer.request({ op: 'list', id: 2 })).toMatchObject({ ok: true, endpoints: [] });
  });

  it('refuses a lone surrogate escape, so nothing is stored that would be served as U+FFFD', async () => {
    const peer = await open();
    await peer.request({ op: 'hello', id: 0, version: 1 });
    peer.send('{"op":"provide","id":1,"name":"db.data.shop","host":"10.0.0.1","port":1,"attrs":{"az":"\\ud800"}}\n');
    expect(await peer.reply(null)).toMatchObject({ ok: false, error: { code: 'parse_error' } });
    peer.send('{"op":"provide","id":2,"name":"db.data.shop","host":"10.0.0.1","port":1,"attrs":{"az":"\\ud83d\\ude00"}}\n');
    expect(await peer.reply(2)).toMatchObject({ ok: true });
    expect(await peer.request({ op: 'list', id: 3 })).toMatchObject({ endpoints: [{ attrs: { az: '😀' } }] });
  });

  it('refuses hosts that only look like IPv4 addresses', async () => {
    const peer = await open();
    await peer.request({ op: 'hello', id: 0, version: 1 });
    for (const [id, host] of ['1.2.3', '10.0.0.01'].entries()) {
      expect(await peer.request({ op: 'provide', id, name: 'db.data.shop', host, port: 1 })).toMatchObject({
        error: { code: 'bad_request' },
      });
    }
    expect(server.registry.size).toBe(0);
  });
});
