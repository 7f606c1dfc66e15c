import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { recordingLogger } from '../helpers/logging.ts';
import { sleep } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

let server: DiscoServer;
let port: number;
const peers: WirePeer[] = [];

async function session(): Promise<WirePeer> {
  const peer = await WirePeer.session(port);
  peers.push(peer);
  return peer;
}

async function raw(): Promise<WirePeer> {
  const peer = await WirePeer.open(port);
  peers.push(peer);
  return peer;
}

/** What the server logged in this test, debug included. */
let log = recordingLogger();

beforeEach(async () => {
  log = recordingLogger();
  server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, logger: log.logger });
  port = server.address().port;
});

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server.close();
});

describe('session', () => {
  it('welcomes with a session id, the heartbeat and the grace', async () => {
    const peer = await raw();
    const welcome = await peer.request({ op: 'hello', id: 7, version: 1, client: 'test' });
    expect(welcome).toMatchObject({
      re: 7,
      ok: true,
      resumed: false,
      version: 1,
      heartbeat: { interval: 1000, timeout: 5000 },
      grace: 300,
    });
    expect(welcome.session).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses other protocol versions and requests before hello', async () => {
    const peer = await raw();
    expect(await peer.request({ op: 'provide', id: 1, name: 'a.b.c', host: 'h', port: 1 })).toMatchObject({
      ok: false,
      error: { code: 'no_session' },
    });
    expect(await peer.request({ op: 'hello', id: 2, version: 99 })).toMatchObject({
      ok: false,
      error: { code: 'unsupported_version', message: 'protocol version 99 is not supported; this server speaks 1' },
    });
  });

  it('answers pings, even before hello, and takes a pong without a word', async () => {
    const peer = await raw();
    peer.send({ op: 'pong' });
    peer.send({ op: 'ping' });
    await peer.next((m) => m.op === 'pong');
    expect(peer.messages).toEqual([]);
  });

  it('tells every client it is shutting down, and why, before it closes', async () => {
    const [first, second] = [await session(), await raw()];
    await server.close();
    for (const peer of [first, second]) {
      expect(await peer.next((m) => m.op === 'shutdown')).toEqual({ op: 'shutdown', reason: 'server shutting down' });
      await peer.waitClosed();
    }
  });

  it('fails to listen on a port that is taken, and says so', async () => {
    await expect(startDisco({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('answers hello and bye once each: they reply themselves', async () => {
    const peer = await raw();
    expect(await peer.request({ op: 'hello', id: 3, version: 1 })).toMatchObject({ re: 3, ok: true, resumed: false });
    expect(await peer.request({ op: 'list', id: 4 })).toMatchObject({ re: 4, ok: true });
    expect(await peer.request({ op: 'bye', id: 5 })).toEqual({ re: 5, ok: true });
    await peer.waitClosed();
    expect(peer.messages).toEqual([]);
  });

  it('says which request came before hello', async () => {
    const peer = await raw();
    expect(await peer.request({ op: 'require', id: 1, name: 'a.b.c' })).toEqual({
      re: 1,
      ok: false,
      error: { code: 'no_session', message: 'send "hello" before "require"' },
    });
  });
});

describe('provide and require', () => {
  it('answers a require at once, then pushes adds and drops with sequence numbers', async () => {
    const provider = await session();
    const subscriber = await session();
    await provider.request({ op: 'provide', id: 1, name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306, attrs: { az: 'us-east-1a' } });
    const required = await subscriber.request({ op: 'require', id: 1, name: 'MySQL.db.blog.prod' });
    expect(required).toMatchObject({
      ok: true,
      seq: 0,
      endpoints: [{ name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306, protocol: 'tcp', attrs: { az: 'us-east-1a' } }],
    });

    const second = await provider.request({
      op: 'provide',
      id: 2,
      name: 'mysql.db.blog.prod',
      host: '10.0.0.6',
      port: 3306,
      protocol: 'tcp',
    });
    const added = await subscriber.next((m) => m.op === 'changed');
    expect(added).toMatchObject({ sub: required.sub, seq: 1, add: [{ id: second.provision, host: '10.0.0.6' }], drop: [] });
    subscriber.send({ op: 'ack', sub: required.sub, seq: 1 });

    await provider.request({ op: 'unprovide', id: 3, provision: second.provision });
    expect(await subscriber.next((m) => m.op === 'changed')).toMatchObject({ seq: 2, add: [], drop: [{ id: second.provision }] });
  });

  it('filters by attributes, with globs', async () => {
    const provider = await session();
    const subscriber = await session();
    const required = await subscriber.request({ op: 'require', id: 1, name: 'mysql.db.blog', attrs: { az: 'us-east-*' } });
    await provider.request({ op: 'provide', id: 1, name: 'mysql.db.blog', host: '10.0.0.1', port: 1, attrs: { az: 'eu-west-1a' } });
    await provider.request({ op: 'provide', id: 2, name: 'mysql.db.blog', host: '10.0.0.2', port: 1, attrs: { az: 'us-east-1b' } });
    const push = await subscriber.next((m) => m.op === 'changed');
    expect(push).toMatchObject({ sub: required.sub, seq: 1, add: [{ host: '10.0.0.2' }] });
    expect(subscriber.messages.filter((m) => m.op === 'changed')).toEqual([]);
  });

  it('drops every provision of a session at once on goodbye', async () => {
    const provider = await session();
    const subscriber = await session();
    await subscriber.request({ op: 'require', id: 1, name: 'web.front.shop' });
    await provider.request({ op: 'provide', id: 1, name: 'web.front.shop', host: '10.0.0.1', port: 80 });
    await provider.request({ op: 'provide', id: 2, name: 'web.front.shop', host: '10.0.0.2', port: 80 });
    await subscriber.next((m) => m.op === 'changed');
    await subscriber.next((m) => m.op === 'changed');
    expect(await provider.request({ op: 'bye', id: 3 })).toMatchObject({ ok: true });
    const drop = await subscriber.next((m) => m.op === 'changed', 200); // well inside the 300 ms grace
    expect(drop.drop.map((e: { host: string }) => e.host).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('forgets what a session required once it says goodbye, and ends it once, grace or not', async () => {
    const subscriber = await session();
    await subscriber.request({ op: 'require', id: 1, name: 'web.front.shop' });
    await subscriber.request({ op: 'require', id: 2, name: 'db.front.shop' });
    expect(server.registry.requirementCount).toBe(2);
    const provider = await session();
    expect(await provider.request({ op: 'bye', id: 1 })).toMatchObject({ ok: true });
    expect(await subscriber.request({ op: 'bye', id: 3 })).toMatchObject({ ok: true });
    expect(server.registry.requirementCount).toBe(0);
    expect(server.sessionCount).toBe(0);
    // Its connection closes after the goodbye: no grace starts for a session that has ended.
    await sleep(600);
    expect(server.sessionCount).toBe(0);
    expect(log.lines().filter((line) => / ended: /.test(line))).toHaveLength(2);
  });

  it('makes provide and require idempotent by key', async () => {
    const peer = await session();
    const a = await peer.request({ op: 'provide', id: 1, key: 'k1', name: 'x.y.z', host: 'h', port: 1 });
    const b = await peer.request({ op: 'provide', id: 2, key: 'k1', name: 'x.y.z', host: 'h', port: 1 });
    expect(b.provision).toBe(a.provision);
    expect(server.registry.size).toBe(1);
    await peer.request({ op: 'unprovide', id: 3, key: 'k1' });
    expect(server.registry.size).toBe(0);
    // The key went with its provision: used again, it names a new one.
    const again = await peer.request({ op: 'provide', id: 8, key: 'k1', name: 'x.y.z', host: 'h', port: 1 });
    expect(again.provision).not.toBe(a.provision);
    expect(server.registry.size).toBe(1);
    const r1 = await peer.request({ op: 'require', id: 4, key: 'w1', name: 'x.y.z' });
    const r2 = await peer.request({ op: 'require', id: 5, key: 'w1', name: 'x.y.z' });
    expect(r2.sub).toBe(r1.sub);
    expect(await peer.request({ op: 'unrequire', id: 6, key: 'w1' })).toMatchObject({ ok: true });
    expect(await peer.request({ op: 'unrequire', id: 7, sub: r1.sub })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('lists what is registered', async () => {
    const peer = await session();
    await peer.request({ op: 'provide', id: 1, name: 'b.x.y', host: 'h', port: 2 });
    await peer.request({ op: 'provide', id: 2, name: 'a.x.y', host: 'h', port: 1 });
    const all = await peer.request({ op: 'list', id: 3 });
    expect(all.endpoints.map((e: { name: string }) => e.name)).toEqual(['a.x.y.default', 'b.x.y.default']);
    const one = await peer.request({ op: 'list', id: 4, name: 'b.x.y' });
    expect(one.endpoints).toHaveLength(1);
  });
});

describe('what a session does not have', () => {
  it('names the provision or key it cannot find, and the subscription or key', async () => {
    const peer = await session();
    const notFound = (message: string) => ({ ok: false, error: { code: 'not_found', message } });
    expect(await peer.request({ op: 'unprovide', id: 1, provision: 'p99' })).toMatchObject(notFound('no provision "p99" in this session'));
    expect(await peer.request({ op: 'unprovide', id: 2, key: 'web' })).toMatchObject(notFound('no provision "web" in this session'));
    expect(await peer.request({ op: 'unrequire', id: 3, sub: 'r99' })).toMatchObject(notFound('no subscription "r99" in this session'));
    expect(await peer.request({ op: 'unrequire', id: 4, key: 'db' })).toMatchObject(notFound('no subscription "db" in this session'));
  });

  it('refuses a second hello on one connection, and says so', async () => {
    const peer = await session();
    expect(await peer.request({ op: 'hello', id: 5, version: 1 })).toMatchObject({
      re: 5,
      ok: false,
      error: { code: 'bad_request', message: 'this connection already said hello' },
    });
  });
});

describe('bad input', () => {
  it('takes empty and blank lines without a word, as a person at nc types them', async () => {
    const peer = await session();
    peer.send('\n  \n\t\r\n');
    expect(await peer.request({ op: 'list', id: 99 })).toMatchObject({ re: 99, ok: true });
    expect(peer.messages).toEqual([]);
  });

  it.each([
    ['not json', 'parse_error', /not valid JSON/],
    ['[1,2]', 'bad_request', /^expected a JSON object$/],
    ['5', 'bad_request', /^expected a JSON object$/],
    ['null', 'bad_request', /^expected a JSON object$/],
    ['"op"', 'bad_request', /^expected a JSON object$/],
    ['{"id":1}', 'unknown_op', /missing "op"/],
    ['{"op":"frob","id":1}', 'unknown_op', /unknown op "frob"/],
    [`{"op":"${'x'.repeat(200)}","id":1}`, 'unknown_op', /^unknown op "x{79}$/],
    ['{"op":"provide","id":1,"name":5,"host":"h","port":1}', 'bad_request', /^name: /],
    ['{"op":"provide","id":1,"name":"a.b.c","host":"h","port":1,"colour":"red"}', 'bad_request', /^colour: unknown field$/],
    ['{"op":"provide","id":1,"name":"a.b.c","host":"h"}', 'bad_request', /^port: missing field$/],
    ['{"op":"provide","id":1,"name":"a.b.c","host":"h","port":70000}', 'bad_request', /port: expected a port from 1 to 65535/],
    ['{"op":"provide","id":1,"name":"a.b.c","host":"h h","port":1}', 'bad_request', /host/],
    ['{"op":"provide","id":1,"name":"my_sql.b.c","host":"h","port":1}', 'invalid_name', /name: endpoint "my_sql"/],
    ['{"op":"provide","id":1,"name":"a.b.c","host":"h","port":1,"attrs":{"az":1}}', 'bad_request', /attrs.az: expected a string/],
    ['{"op":"unprovide","id":1}', 'bad_request', /exactly one of "provision" and "key"/],
  ])('answers %s with %s', async (line, code, message) => {
    const peer = await session();
    peer.send(`${line}\n`);
    const reply = await peer.next((m) => m.ok === false);
    expect(reply.error.code).toBe(code);
    expect(reply.error.message).toMatch(message);
    expect(await peer.request({ op: 'list', id: 99 })).toMatchObject({ ok: true });
  });

  it('closes a connection that sends a line over 64 KiB, and only that one', async () => {
    const bystander = await session();
    const peer = await session();
    peer.send('x'.repeat(70 * 1024));
    const reply = await peer.next((m) => m.ok === false);
    expect(reply.error.code).toBe('line_too_long');
    await peer.waitClosed();
    expect(await bystander.request({ op: 'list', id: 1 })).toMatchObject({ ok: true });
  });

  it('survives 10,000 random and malformed lines and still serves a well-formed client', async () => {
    const subscriber = await session();
    const sub = await subscriber.request({ op: 'require', id: 1, name: 'web.front.shop' });
    const samples = [
      () =>
        randomBytes(1 + Math.floor(Math.random() * 200))
          .toString('latin1')
          .replaceAll('\n', ' '),
      () => `{"op":"provide","id":1,"name":${JSON.stringify(randomBytes(8).toString('hex'))}}`,
      () => JSON.stringify({ op: 'require', id: -1, name: 42 }),
      () => '{"op":"hello","id":1,"version":1,'.repeat(3),
      () => JSON.stringify({ op: 'ack', sub: 'r1', seq: 'x' }),
      () => '{"__proto__":{"op":"bye"},"id":1}',
      () => JSON.stringify({ op: 'provide', id: 2 ** 60, name: 'a.b.c', host: '1.2.3.4', port: 1 }),
      () => '\u0000\u0001\u0002',
    ];
    let sent = 0;
    while (sent < 10_000) {
      const peer = await raw();
      if (Math.random() < 0.5) peer.send({ op: 'hello', id: 0, version: 1 });
      let batch = '';
      for (let i = 0; i < 500 && sent < 10_000; i++, sent++) batch += `${samples[i % samples.length]!()}\n`;
      peer.send(batch);
    }
    const provider = await session();
    await provider.request({ op: 'provide', id: 1, name: 'web.front.shop', host: '10.9.9.9', port: 80 });
    expect(await subscriber.next((m) => m.op === 'changed')).toMatchObject({ sub: sub.sub, add: [{ host: '10.9.9.9' }] });
    expect(await provider.request({ op: 'list', id: 2 })).toMatchObject({ ok: true, endpoints: [{ host: '10.9.9.9' }] });
  });

  it('cuts a connection that floods bad lines', async () => {
    const peer = await session();
    peer.send('nonsense\n'.repeat(500));
    const cut = await peer.next((m) => m.ok === false && m.error.code === 'too_many_errors');
    expect(cut.error.message).toMatch(/too many bad lines/);
    await peer.waitClosed();
  });
});
