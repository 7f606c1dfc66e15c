// The light Docker reader of `scs ps` and `scs logs` (src/docker/reader.ts), against an HTTP server
// on a Unix socket that answers as the Engine API does: the paths and queries it asks, what it makes
// of the answers, and Docker's multiplexed output split back into its streams.

import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerReader, frames } from '../../src/docker/reader.ts';

function framed(stream: 1 | 2, bytes: Buffer): Buffer {
  const header = Buffer.from([stream, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function fakeDocker(answer: (req: IncomingMessage) => { status: number; type?: string; body: string | Buffer }) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(decodeURIComponent(req.url!));
    const { status, type = 'application/json', body } = answer(req);
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  servers.push(server);
  const socket = join(mkdtempSync(join(tmpdir(), 'scs-reader-')), 'docker.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { reader: new DockerReader(socket), asked };
}

describe('DockerReader', () => {
  it('lists by label and inspects, as Engine says them; a container that is gone is undefined', async () => {
    const { reader, asked } = await fakeDocker((req) => {
      if (req.url!.startsWith('/containers/json'))
        return { status: 200, body: JSON.stringify([{ Id: 'c1', Names: ['/scs-shop-test-web'], State: 'running', Labels: { a: 'b' } }]) };
      if (req.url === '/containers/gone/json') return { status: 404, body: '{"message":"No such container: gone"}' };
      return {
        status: 200,
        body: JSON.stringify({
          Id: 'c1',
          Name: '/scs-shop-test-web',
          State: {
            Running: true,
            Restarting: false,
            StartedAt: 't',
            Status: 'running',
            ExitCode: 0,
            Pid: 42,
            Health: { Status: 'healthy' },
          },
          Config: { Labels: { a: 'b' }, Env: ['A=1=2', 'B'] },
          NetworkSettings: { Ports: { '8080/tcp': [{ HostPort: '32768' }] }, Networks: { bridge: { IPAddress: '172.17.0.2' } } },
        }),
      };
    });
    expect(await reader.list({ a: 'b' })).toEqual([{ id: 'c1', name: 'scs-shop-test-web', state: 'running', labels: { a: 'b' } }]);
    expect(asked[0]).toBe('/containers/json?all=1&filters={"label":["a=b"]}');
    expect(await reader.inspect('c1')).toEqual({
      id: 'c1',
      name: 'scs-shop-test-web',
      running: true,
      startedAt: 't',
      status: 'running',
      health: 'healthy',
      labels: { a: 'b' },
      env: { A: '1=2', B: '' },
      ip: '172.17.0.2',
      ports: { '8080/tcp': 32768 },
      exitCode: 0,
      pid: 42,
    });
    expect(await reader.inspect('gone')).toBeUndefined();
  });

  it("says a volume exists by its options, and a Docker error in one sentence with Docker's message", async () => {
    const { reader } = await fakeDocker((req) =>
      req.url === '/volumes/there'
        ? { status: 200, body: '{"Name":"there","Options":null}' }
        : req.url === '/volumes/missing'
          ? { status: 404, body: '{"message":"no such volume"}' }
          : { status: 500, body: '{"message":"the daemon is unwell"}' },
    );
    expect(await reader.volumeExists('there')).toBe(true);
    expect(await reader.volumeOptions('there')).toEqual({});
    expect(await reader.volumeExists('missing')).toBe(false);
    await expect(reader.list({})).rejects.toThrow(/^Docker answered 500 to \/containers\/json: the daemon is unwell$/);
  });

  it('reads logs with the tail and since asked for, split into stdout and stderr', async () => {
    const body = Buffer.concat([
      framed(1, Buffer.from('2026-01-02T00:00:00Z out\n')),
      framed(2, Buffer.from('2026-01-02T00:00:01Z err\n')),
    ]);
    const { reader, asked } = await fakeDocker(() => ({ status: 200, type: 'application/vnd.docker.multiplexed-stream', body }));
    const got: string[] = [];
    await reader.logs('c1', { follow: false, tail: 1, sinceNs: 1_500_000_000n }, (text, stream) => void got.push(`${stream}: ${text}`));
    expect(got).toEqual(['stdout: 2026-01-02T00:00:00Z out\n', 'stderr: 2026-01-02T00:00:01Z err\n']);
    expect(asked[0]).toBe('/containers/c1/logs?stdout=1&stderr=1&timestamps=1&tail=1&since=1.500000000');
  });

  it('fails ping in one sentence when nothing listens on the socket', async () => {
    const reader = new DockerReader(join(mkdtempSync(join(tmpdir(), 'scs-reader-')), 'none.sock'));
    await expect(reader.ping()).rejects.toThrow(/^cannot reach the Docker Engine \(.*ENOENT.*\); is dockerd running\?/);
  });
});

describe('frames', () => {
  it('joins a character cut between two frames of one stream', () => {
    const text = Buffer.from('héllo\n');
    const out = [...frames(Buffer.concat([framed(1, text.subarray(0, 2)), framed(2, Buffer.from('x')), framed(1, text.subarray(2))]))];
    expect(out).toEqual([
      { stream: 'stdout', text: 'h' },
      { stream: 'stderr', text: 'x' },
      { stream: 'stdout', text: 'éllo\n' },
    ]);
  });
});
