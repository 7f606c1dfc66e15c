// One health check against real listeners on 127.0.0.1 (http, tcp) and the in-memory engine (exec):
// what passes, and the short reason of what fails.

import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/agent/health-check.ts';
import { FakeEngine } from '../../helpers/fake-engine.ts';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listening(server: Server | ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

const at = (port: number | undefined) => ({
  engine: new FakeEngine(),
  id: 'c1',
  address: () => (port === undefined ? undefined : { host: '127.0.0.1', port }),
});

describe('one health check', () => {
  it('passes an http answer from 200 to 399, and says the status of any other', async () => {
    let status = 200;
    const hung: ServerResponse[] = [];
    const port = await listening(
      createServer((req, res) => {
        if (req.url === '/hang') hung.push(res);
        else res.writeHead(status).end('a body that is not read');
      }),
    );
    closers.push(() => {
      for (const res of hung) res.destroy();
    });
    const http = (path = '/healthz', timeoutMs = 1000) => runCheck({ kind: 'http', path, endpoint: 'http' }, at(port), timeoutMs);
    const outcomes: unknown[] = [];
    for (status of [200, 204, 301, 399, 400, 404, 500, 503]) outcomes.push(await http());
    expect(outcomes).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: false, error: 'status 400' },
      { ok: false, error: 'status 404' },
      { ok: false, error: 'status 500' },
      { ok: false, error: 'status 503' },
    ]);
    // No answer within the timeout fails, at the timeout.
    expect(await http('/hang', 200)).toEqual({ ok: false, error: 'no answer within 200 ms' });
  });

  it('connects for a tcp check, and says why it could not', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listening(server);
    expect(await runCheck({ kind: 'tcp', endpoint: 'db' }, at(port), 1000)).toEqual({ ok: true });
    server.close();
    expect(await runCheck({ kind: 'tcp', endpoint: 'db' }, at(port), 1000)).toEqual({ ok: false, error: 'connect ECONNREFUSED' });
    expect(await runCheck({ kind: 'tcp', endpoint: 'db' }, at(undefined), 1000)).toEqual({ ok: false, error: 'db is not published' });
  });

  it('runs a command in the container: exit 0 passes, else its status and the end of what it said', async () => {
    const target = at(undefined);
    await target.engine.create({
      name: 'web',
      image: 'x',
      env: {},
      labels: {},
      publish: {},
      network: 'bridge',
      restart: 'no',
      mounts: [],
    });
    await target.engine.start('c1');
    const exec = () => runCheck({ kind: 'exec', command: ['mysqladmin', 'ping'] }, target, 1000);
    expect(await exec()).toEqual({ ok: true });
    target.engine.onExec = () => ({ exitCode: 1, output: `${'x'.repeat(500)}\nmysqld is\n  not answering\n` });
    expect(await exec()).toEqual({ ok: false, error: `exit 1: ${'x'.repeat(96)} mysqld is not answering` });
    target.engine.onExec = () => Promise.reject(new Error('container c1 is not running'));
    expect(await exec()).toEqual({ ok: false, error: 'container c1 is not running' });
  });
});
