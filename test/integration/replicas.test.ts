// Replicas on the Docker Engine: the hello stack's web as two instances, each its own container and
// endpoint; one instance's process killed inside is dropped at Docker's `die` while the other
// serves, then provided again once Docker restarts it; a change rolls one instance at a time; and
// scaling down retires the second instance. test/unit/agent/replicas.test.ts has the rules in detail.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENDPOINT = 'http.web.hello.replicas';

describe.skipIf(dockerProblem !== undefined)(`replicas on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  const files = (...more: string[]) => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'replicas.yaml'), ...more];
  const run = async (...args: string[]) => {
    const command = scs(args);
    expect(await command.exited, `scs ${args.join(' ')}\n${command.stderr}`).toBe(0);
    return command;
  };
  const webs = async () =>
    (await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'replicas', [LABEL.service]: 'web' })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-replicas-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(join(dir, 'replicas.yaml'), 'environment: replicas\nservices:\n  web:\n    replicas: 2\n    restart: always\n');
  });

  afterAll(async () => {
    if (!dir) return;
    await scs(['down', '--volumes', ...files()]).exited;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs two instances, drops one that dies while the other serves, and provides it again once Docker restarts it', async () => {
    await run('up', '-d', '--debounce', '100ms', ...files());
    const [first, second] = await webs();
    expect([first?.name, second?.name]).toEqual(['scs-hello-replicas-web', 'scs-hello-replicas-web-2']);
    expect(first!.labels[LABEL.instance]).toBeUndefined();
    expect(second!.labels[LABEL.instance]).toBe('2');

    const state = agentState('hello')!;
    const [host, port] = state.disco.split(':');
    const watcher = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger });
    try {
      const counts: number[] = [];
      const watch = await watcher.require({ name: ENDPOINT }, () => counts.push(watch.endpoints.length));
      expect(watch.endpoints).toHaveLength(2);
      const address = (id: string) => state.services.find((s) => s.container === id)!.provides[0]!.address;
      const secondAddress = address(second!.id);

      // `ps` shows both instances, each with its own container and endpoint.
      const ps = JSON.parse((await run('ps', '--json', ...files())).stdout);
      expect(
        ps.services.map((s: { service: string; instance?: number; container: string }) => [s.service, s.instance, s.container]),
      ).toEqual([
        ['web', undefined, 'scs-hello-replicas-web'],
        ['web', 2, 'scs-hello-replicas-web-2'],
        ['client', undefined, 'scs-hello-replicas-client'],
      ]);

      // The second instance's process dies inside: dropped at Docker's die, the first one still provided.
      await engine.exec(second!.id, ['kill', '1'], {}).catch(() => undefined);
      await eventually(() => counts.includes(1), 20_000, "the dying instance's endpoint to be dropped");
      expect(watch.endpoints.map((e) => `${e.host}:${e.port}`)).not.toContain(secondAddress);
      expect(Math.min(...counts)).toBe(1);
      // Docker restarts it (restart: always), and the agent provides it again.
      await eventually(() => watch.endpoints.length === 2, 30_000, 'the restarted instance to be provided again');

      // A change rolls: the first instance is replaced and serving before the second is touched.
      counts.length = 0;
      writeFileSync(join(dir, 'greeting.yaml'), 'services:\n  web:\n    env: { MODE: rolled }\n');
      await run('up', ...files('-f', join(dir, 'greeting.yaml')));
      const rolled = await webs();
      expect(rolled.map((c) => c.name)).toEqual(['scs-hello-replicas-web', 'scs-hello-replicas-web-2']);
      expect(rolled.map((c) => c.id)).not.toContain(first!.id);
      expect(rolled.map((c) => c.id)).not.toContain(second!.id);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);

      // Scaling to one retires the second instance, dropped first.
      writeFileSync(join(dir, 'one.yaml'), 'services:\n  web:\n    replicas: 1\n');
      await run('up', ...files('-f', join(dir, 'greeting.yaml'), '-f', join(dir, 'one.yaml')));
      expect((await webs()).map((c) => c.name)).toEqual(['scs-hello-replicas-web']);
      await eventuallyAsync(async () => watch.endpoints.length === 1, 10_000, 'one endpoint left');
    } finally {
      await watcher.close();
    }
  }, 180_000);
});
