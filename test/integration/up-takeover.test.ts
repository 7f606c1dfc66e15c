// `scs up --dry-run`, and an agent taking over the containers of one that was killed, on the real
// Docker Engine: what is current is kept, what changed is replaced, and dependents follow.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/agent/state.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(
  `scs up takes over what it finds${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'takeover.yaml')];
    const labels = { [LABEL.stack]: 'hello', [LABEL.environment]: 'takeover' };
    const container = async (name: string) => (await engine.list({ ...labels, [LABEL.service]: name }))[0];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scs-takeover-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'takeover.yaml'), 'environment: takeover\n');
    });

    afterAll(async () => {
      if (!dir) return;
      await scs(['down', '--volumes', ...files()]).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('prints the plan, then keeps what is current and replaces only what changed', async () => {
      const fresh = scs(['up', '--dry-run', ...files()]);
      expect(await fresh.exited, fresh.stderr).toBe(0);
      expect(fresh.stdout).toContain(
        'web: create (no container yet)\nweb: start (no container yet)\nweb: ready (its new container)\nweb: provide (its new container)',
      );
      // Its named volume is made first, as Compose's plan shows "Volume ... Created".
      expect(fresh.stdout).toContain('client: provision volume state (no container yet)\nclient: create (no container yet)');
      expect(await container('web')).toBeUndefined(); // A dry run does nothing.

      const up = scs(['up', '-d', '--debounce', '100ms', ...files()]);
      expect(await up.exited, up.stderr).toBe(0);
      const agent = agentState('hello')!.pid;
      process.kill(agent, 'SIGKILL'); // Its containers stay, as after a crash.
      await eventually(() => !isAlive(agent), 5000, 'the agent to die');
      const web = (await container('web'))!;
      const client = (await container('client'))!;

      // A greeting of this run's own: its image cannot have been built before.
      const greeting = `hello again ${process.pid}-${Date.now()}`;
      writeFileSync(join(dir, 'greeting.yaml'), `services:\n  web:\n    config:\n      GREETING: ${greeting}\n`);
      const changed = [...files(), '-f', join(dir, 'greeting.yaml')];
      const dry = scs(['up', '--dry-run', ...changed]);
      expect(await dry.exited, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/^web: build scs\/hello-web:[0-9a-f]{16} \(not built yet\)$/m);
      expect(dry.stdout).toContain('web: stop (replace: its configuration changed)');
      expect(dry.stdout).toContain('client: ready (running, and up to date)\n');
      expect(dry.stdout).not.toContain('client: create');

      const again = scs(['up', '-d', '--debounce', '100ms', ...changed]);
      expect(await again.exited, again.stderr).toBe(0);
      const newWeb = (await container('web'))!;
      expect(newWeb.id).not.toBe(web.id);
      expect((await container('client'))!.id).toBe(client.id);
      // The kept client follows web to its new address, by live update.
      const state = agentState('hello')!;
      const address = state.services.find((s) => s.service === 'web')!.provides[0]!.address;
      await eventuallyAsync(
        async () => (await engine.exec(client.id, ['cat', '/state/upstream'], {})).output.trim() === address,
        15_000,
        `the client to follow web to ${address}`,
      );
      await eventuallyAsync(
        async () => (await engine.exec(client.id, ['cat', '/state/last'], {})).output.includes(greeting),
        15_000,
        'the client to fetch the new page',
      );
    }, 180_000);
  },
);
