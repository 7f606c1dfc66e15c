// src/docker/dockerode.ts: dockerode loads without gRPC (its BuildKit session) and ssh2 (docker-modem's
// SSH transport), which scs never calls; a Docker host over ssh:// still loads and uses ssh2 when it is
// first asked. Each case runs in a Node of its own, where nothing has loaded dockerode before.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dockerode = fileURLToPath(new URL('../../src/docker/dockerode.ts', import.meta.url));

/** Runs `body` (an ES module's text, with `DockerClient` and `loaded(pattern)` in scope) under tsx; what it prints. */
async function probe(body: string): Promise<string> {
  const script = [
    `import { createRequire } from 'node:module';`,
    `import { createServer } from 'node:net';`,
    `const { DockerClient } = await import(${JSON.stringify(dockerode)});`,
    `const cache = createRequire(import.meta.url).cache;`,
    `const loaded = (pattern) => Object.keys(cache).filter((file) => pattern.test(file)).length;`,
    body,
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
  return stdout.trim();
}

describe('dockerode as scs loads it', () => {
  it('loads without gRPC, protobuf or ssh2, and with docker-modem', async () => {
    const out = await probe(
      `console.log(JSON.stringify({ grpc: loaded(/node_modules\\/(@grpc|protobufjs)\\//), ssh2: loaded(/node_modules\\/ssh2\\//), modem: loaded(/node_modules\\/docker-modem\\//), client: typeof DockerClient }));`,
    );
    expect(JSON.parse(out)).toEqual({ grpc: 0, ssh2: 0, modem: expect.any(Number), client: 'function' });
    expect(JSON.parse(out).modem).toBeGreaterThan(0);
  });

  it('loads ssh2 and speaks SSH once a Docker host over ssh:// is asked', async () => {
    // A server that hangs up at once: ssh2's own error says it tried the handshake.
    const out = await probe(
      [
        `const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');`,
        `await new Promise((resolve) => server.once('listening', resolve));`,
        `const docker = new DockerClient({ protocol: 'ssh', host: '127.0.0.1', port: server.address().port, username: 'nobody' });`,
        `const error = await docker.ping().then(() => undefined, (e) => e.message);`,
        `server.close();`,
        `console.log(JSON.stringify({ error, ssh2: loaded(/node_modules\\/ssh2\\//) > 0 }));`,
      ].join('\n'),
    );
    expect(JSON.parse(out.split('\n').pop()!)).toEqual({ error: 'Connection lost before handshake', ssh2: true });
  });
});
