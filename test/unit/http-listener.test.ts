// The HTTP listener (src/http/) on a real socket: its route table, who may see what with tokens,
// and the bounds it keeps against what comes from outside.

import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener, type HttpListenerOptions } from '../../src/http/listener.ts';
import { RouteTable, textReply } from '../../src/http/routes.ts';
import { EVERY_NAME, Scope, TokenTable } from '../../src/server/scopes.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

const OBSERVER = 'observer-token-0123456789';
const WRITER = 'writer-token-0123456789ab';
const tokens = new TokenTable([
  { token: OBSERVER, provide: [], require: [], observe: ['*.*.*.*'] },
  { token: WRITER, provide: ['*.*.*.*'], require: ['*.*.*.*'], observe: ['*.web.shop.prod'] },
]);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function routes(): RouteTable {
  return new RouteTable()
    .add('/health', { access: 'open', reply: () => textReply(200, 'ok') })
    .add('/ready', { access: 'known', reply: () => textReply(200, 'ready') })
    .add('/metrics', { access: (scope) => scope.mayObserve(EVERY_NAME), reply: () => textReply(200, 'scs_up 1') });
}

async function listening(table: RouteTable, options: Partial<HttpListenerOptions> = {}): Promise<{ listener: HttpListener; url: string }> {
  const listener = new HttpListener(table, { host: '127.0.0.1', port: 0, logger: quietLogger, ...options });
  const { port } = await listener.listen();
  cleanups.push(() => listener.close());
  return { listener, url: `http://127.0.0.1:${port}` };
}

const get = (url: string, token?: string) => fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

const GAVE_UP = 'the server kept the connection open';

/** Sends raw bytes, and gives what comes back until the server closes (or GAVE_UP once `ms` pass). */
function raw(port: number, text: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
    socket.write(text);
    setTimeout(() => {
      received = GAVE_UP;
      socket.destroy();
    }, ms).unref();
  });
}

describe('RouteTable', () => {
  it('finds a route by its exact path, whatever the query, and nothing else', () => {
    const table = routes();
    expect(table.find('/metrics')).toBeDefined();
    expect(table.find('/metrics?name[]=x')).toBe(table.find('/metrics'));
    expect(table.find('/metrics/')).toBeUndefined();
    expect(table.find('/../metrics')).toBeUndefined();
    expect(table.find('/')).toBeUndefined();
    expect(table.paths).toEqual(['/health', '/ready', '/metrics']);
  });

  it('refuses a path taken twice, one without its slash, and a route with neither or both of reply and stream', () => {
    const reply = () => textReply(200, 'ok');
    expect(() => routes().add('/health', { access: 'open', reply })).toThrow('the route /health is already taken');
    expect(() => new RouteTable().add('health', { access: 'open', reply })).toThrow('starts with "/"');
    expect(() => new RouteTable().add('/x', { access: 'open' })).toThrow('exactly one of reply and stream');
    expect(() => new RouteTable().add('/x', { access: 'open', reply, stream: () => {} })).toThrow('exactly one of reply and stream');
  });
});

describe('HttpListener', () => {
  it('serves GET and HEAD on its routes, 404 elsewhere, 405 for other methods', async () => {
    const { url } = await listening(routes());
    const health = await get(`${url}/health`);
    expect([health.status, await health.text(), health.headers.get('cache-control')]).toEqual([200, 'ok\n', 'no-store']);
    const head = await fetch(`${url}/health`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '3', '']);
    expect((await get(`${url}/nothing`)).status).toBe(404);
    const post = await fetch(`${url}/health`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('without tokens, lets anyone see every route', async () => {
    const { url } = await listening(routes());
    for (const path of ['/health', '/ready', '/metrics']) expect((await get(`${url}${path}`)).status).toBe(200);
  });

  it('with tokens: /health is open, /ready takes any known token, /metrics one that may observe every name', async () => {
    const { url } = await listening(routes(), { tokens: { table: tokens } });
    expect((await get(`${url}/health`)).status).toBe(200);

    const none = await get(`${url}/metrics`);
    expect([none.status, none.headers.get('www-authenticate'), await none.text()]).toEqual([
      401,
      'Bearer',
      'this server needs a token: send "Authorization: Bearer <token>"\n',
    ]);
    const wrong = await get(`${url}/metrics`, 'wrong-token-0123456789abc');
    expect([wrong.status, await wrong.text()]).toEqual([401, 'the token is not one this server knows\n']);
    const malformed = await fetch(`${url}/metrics`, { headers: { authorization: OBSERVER } });
    expect(malformed.status).toBe(401);
    // The writer may observe only *.web.shop.prod: not every name.
    const narrow = await get(`${url}/metrics`, WRITER);
    expect([narrow.status, await narrow.text()]).toEqual([403, "the token's scope does not grant this (it needs observe)\n"]);
    expect((await get(`${url}/metrics`, OBSERVER)).status).toBe(200);

    expect((await get(`${url}/ready`)).status).toBe(401);
    expect((await get(`${url}/ready`, 'wrong-token-0123456789abc')).status).toBe(401);
    expect((await get(`${url}/ready`, WRITER)).status).toBe(200);
  });

  it('lets a request without a token see what the anonymous scope grants, when there is one', async () => {
    const anonymous = new Scope([], ['*.*.*.*'], []);
    const { url } = await listening(routes(), { tokens: { table: tokens, anonymous } });
    expect((await get(`${url}/ready`)).status).toBe(200);
    expect((await get(`${url}/metrics`)).status).toBe(403);
  });

  it('refuses headers over the bound, and a request with a body', async () => {
    const { listener, url } = await listening(routes(), { maxHeaderBytes: 1024 });
    const big = await fetch(`${url}/health`, { headers: { 'x-padding': 'x'.repeat(2048) } });
    expect(big.status).toBe(431);
    const port = listener.address().port;
    const withBody = await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello');
    expect(withBody).toMatch(/^HTTP\/1\.1 413 /);
    expect(withBody).toMatch(/requests here carry no body/);
    const chunked = await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('refuses connections past the total and past the bound for one source, and takes more once they close', async () => {
    const { listener } = await listening(routes(), { maxConnections: 3, maxConnectionsPerSource: 2 });
    const port = listener.address().port;
    const held: Socket[] = [];
    const hold = (host: string) =>
      new Promise<void>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1', localAddress: host }, () => resolve());
        held.push(socket);
      });
    cleanups.push(() => {
      for (const socket of held) socket.destroy();
    });
    await hold('127.0.0.1');
    await hold('127.0.0.1');
    await eventually(() => listener.connectionCount === 2, 2000, 'two connections');
    // A third from the same source is one too many for it...
    expect(await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 503 [\s\S]*too many connections/);
    // ...but another source may: until the total is reached.
    await hold('127.0.0.2');
    await eventually(() => listener.connectionCount === 3, 2000, 'three connections');
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' });
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', () => {});
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    held.shift()!.destroy();
    await eventually(() => listener.connectionCount === 2, 2000, 'a connection to close');
    expect(await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('cuts off a connection that sends no headers in time', async () => {
    const { listener } = await listening(routes(), { headersTimeoutMs: 300 });
    // The headers never end: the server cuts the connection (Node says 408 as it does), not the test's own 5 s.
    const received = await raw(listener.address().port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 5000);
    expect(received).not.toBe(GAVE_UP);
    expect(received === '' || /^HTTP\/1\.1 408 /.test(received)).toBe(true);
  });

  it('cuts off a reader that does not take a reply, and one that falls behind a stream, rather than buffer for it', async () => {
    let wrote = 0;
    let refusedAt: number | undefined;
    const table = routes()
      .add('/big', {
        access: 'open',
        reply: () => ({ status: 200, type: 'application/octet-stream', body: Buffer.alloc(32 * 1024 * 1024) }),
      })
      .add('/stream', {
        access: 'open',
        stream: (_request, response, write) => {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          const chunk = `data: ${'x'.repeat(16 * 1024)}\n\n`;
          const more = () => {
            for (let i = 0; i < 64; i++) {
              if (!write(chunk)) {
                refusedAt = wrote;
                return;
              }
              wrote += chunk.length;
            }
            if (wrote < 256 * 1024 * 1024) setImmediate(more);
          };
          more();
        },
      });
    const { listener } = await listening(table, { sendTimeoutMs: 300, maxBufferedBytes: 256 * 1024 });
    const port = listener.address().port;
    const stalled = (path: string) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        socket.pause();
      });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
    };
    stalled('/big');
    await eventually(() => listener.connectionCount === 1, 2000, 'the reader of /big to connect');
    await eventually(() => listener.connectionCount === 0, 5000, 'the reader of /big to be cut off');
    stalled('/stream');
    await eventually(() => refusedAt !== undefined, 5000, 'the stream to refuse a write');
    // Cut once the kernel's buffers and 256 KiB of its own were full: far short of what it would have sent.
    expect(refusedAt!).toBeLessThan(64 * 1024 * 1024);
    await eventually(() => listener.connectionCount === 0, 5000, 'the stream reader to be cut off');
  });

  it('answers 500, not a crash, when a route fails', async () => {
    const table = new RouteTable().add('/broken', {
      access: 'open',
      reply: () => {
        throw new Error('bug');
      },
    });
    const { url } = await listening(table);
    expect((await get(`${url}/broken`)).status).toBe(500);
  });
});
