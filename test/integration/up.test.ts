import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoClient, type WatchEvent } from '../../src/client/client.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(`scs up on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'test.yaml')];

  beforeAll(async () => {
    await run(join(root, 'scripts/base-image'));
    dir = mkdtempSync(join(tmpdir(), 'scs-hello-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    // An overlay: the same stack, in its own environment, so its containers and volumes are its own.
    writeFileSync(join(dir, 'test.yaml'), 'environment: test\n');
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    const down = scs(['down', '--volumes', ...files()]);
    await down.exited;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs the hello stack connected, follows the provider as it dies and comes back, and comes down cleanly', async () => {
    const up = scs(['up', '-d', '--debounce', '100ms', ...files()]);
    expect(await up.exited, up.stderr).toBe(0);
    const state = agentState('hello')!;
    expect(state.phase).toBe('running');

    const [web] = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'test', [LABEL.service]: 'web' });
    const [client] = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'test', [LABEL.service]: 'client' });
    const published = async () => (await engine.inspect(web!.id))!.ports['8080/tcp']!;
    const advertise = state.services.find((s) => s.service === 'web')!.provides[0]!.address.split(':')[0]!;
    const webAddress = `${advertise}:${await published()}`;

    // The client container's environment carries the provider's address.
    const env = (await engine.docker.getContainer(client!.id).inspect()).Config.Env;
    expect(env).toContain(`SCS_REQUIRE_HTTP=${webAddress}`);
    expect(env).toContain(`SCS_REQUIRE_HTTP_PORT=${webAddress.split(':')[1]}`);
    expect(env).toContain('SCS_SERVICE=client');
    // And it really talks to it, through the published port.
    await eventuallyAsync(
      async () => (await engine.exec(client!.id, ['cat', '/state/last'], {})).output.includes('hello from scs'),
      15_000,
      'the client to fetch the page',
    );

    // Watch the provision from outside, through the stack's disco.
    const [host, port] = state.disco.split(':');
    const watcher = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger });
    const events: WatchEvent[] = [];
    const watch = await watcher.require({ name: 'http.web.hello.test' }, (event) => events.push(event));
    expect(watch.endpoints.map((e) => `${e.host}:${e.port}`)).toEqual([webAddress]);
    const upstream = async () => (await engine.exec(client!.id, ['cat', '/state/upstream'], {})).output.trim();

    // Killing the provider drops it, and the client's live update runs with nothing.
    await engine.docker.getContainer(web!.id).kill();
    await eventually(() => events.some((e) => e.drop.length === 1), 10_000, 'the drop');
    await eventuallyAsync(async () => (await upstream()) === '', 10_000, 'the live update to nothing');

    // Restarting it adds it again, at its new published port, and the client follows.
    await engine.start(web!.id);
    await eventually(() => events.some((e) => e.add.length === 1), 20_000, 'the add');
    const movedTo = `${advertise}:${await published()}`;
    await eventuallyAsync(async () => (await upstream()) === movedTo, 10_000, `the live update to ${movedTo}`);
    const updates = (await engine.exec(client!.id, ['cat', '/state/updates'], {})).output;
    expect(updates).toMatch(/ nothing\n/);
    expect(updates).toContain(movedTo);
    await watcher.close();

    // ps says which endpoints the client is on, and how it got there.
    const ps = scs(['ps', '--json', ...files()]);
    expect(await ps.exited).toBe(0);
    const clientRow = JSON.parse(ps.stdout).services.find((s: { service: string }) => s.service === 'client');
    expect(clientRow.requires[0]).toMatchObject({
      endpoint: 'http',
      current: [movedTo],
      applied: [movedTo],
      lastUpdate: { action: 'liveupdate', ok: true },
    });

    // Down: nothing left running, and the named volume kept.
    const down = scs(['down', ...files()]);
    expect(await down.exited, down.stderr).toBe(0);
    expect(await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'test' })).toEqual([]);
    expect(await engine.volumeExists('hello-test-client-state')).toBe(true);
  }, 180_000);

  it('recreates a container with the new environment when its image declares no live update', async () => {
    mkdirSync(join(dir, 'plain'));
    writeFileSync(join(dir, 'plain/scs.yaml'), 'from: scs-base:busybox\nrequires:\n  http: {}\ncommand: [sleep, "3600"]\n');
    writeFileSync(join(dir, 'plain.yaml'), 'services:\n  plain:\n    image: ./plain\n    requires:\n      http: { service: web }\n');
    const plainFiles = [...files(), '-f', join(dir, 'plain.yaml')];
    const up = scs(['up', '-d', '--debounce', '100ms', ...plainFiles]);
    expect(await up.exited, up.stderr).toBe(0);
    try {
      const labels = { [LABEL.stack]: 'hello', [LABEL.environment]: 'test' };
      const container = async (name: string) => (await engine.list({ ...labels, [LABEL.service]: name }))[0]!;
      const envOf = async (id: string) => (await engine.docker.getContainer(id).inspect()).Config.Env;
      const first = await container('plain');
      const web = await container('web');
      expect((await envOf(first.id)).some((line) => /^SCS_REQUIRE_HTTP=\S+:\d+$/.test(line))).toBe(true);

      await engine.docker.getContainer(web.id).kill();
      // A new container, with the requirement now empty.
      const second = await eventuallyAsync(
        async () => {
          const current = await container('plain');
          return current && current.id !== first.id && current.state === 'running' ? current : undefined;
        },
        20_000,
        'plain to be recreated',
      );
      expect(await envOf(second.id)).toContain('SCS_REQUIRE_HTTP=');
      const ps = scs(['ps', '--json', ...plainFiles]);
      expect(await ps.exited).toBe(0);
      const row = JSON.parse(ps.stdout).services.find((s: { service: string }) => s.service === 'plain');
      expect(row.requires[0]).toMatchObject({ current: [], applied: [], lastUpdate: { action: 'restart', ok: true } });
    } finally {
      const down = scs(['down', ...plainFiles]);
      expect(await down.exited, down.stderr).toBe(0);
    }
  }, 120_000);
});
