// An agent's plan steps in `scs events`: a real `scs up` of a one-service busybox stack against a
// real disco reports each step with its cause, and `scs down` reports its own before it says goodbye.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiscoServer } from '../../src/server/server.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem } from '../helpers/docker.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const SERVICE = 'tick.evtest.test';

describe.skipIf(dockerProblem !== undefined)(`an agent's steps in scs events${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string | undefined;
  let server: DiscoServer | undefined;
  const files = () => ['-f', join(dir!, 'scs-stack.yaml'), '--project-name', 'evtest', '--disco', `127.0.0.1:${server!.address().port}`];

  afterAll(async () => {
    if (dir && server) await scs(['down', ...files()], {}, dir).exited;
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('shows each step of scs up and scs down with its reason and the agent that ran it', async () => {
    server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 5000 });
    dir = mkdtempSync(join(tmpdir(), 'scs-events-agent-'));
    mkdirSync(join(dir, 'tick'));
    writeFileSync(join(dir, 'tick/scs.yaml'), 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: [sleep, "3600"]\n');
    writeFileSync(join(dir, 'scs-stack.yaml'), 'name: evtest\nenvironment: test\nservices:\n  tick:\n    image: ./tick\n');
    const up = scs(['up', '-d', ...files()], {}, dir);
    expect(await up.exited, up.stderr).toBe(0);

    const replay = async () => {
      const events = scs([
        'events',
        '--since',
        '10m',
        '--until',
        '0s',
        '--json',
        '--disco',
        `127.0.0.1:${server!.address().port}`,
        '*.*.evtest.test',
      ]);
      expect(await events.exited, events.stderr).toBe(0);
      return events.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    };
    const steps = (await replay()).filter((event) => event.kind === 'step');
    expect(steps.map((step) => [step.name, step.reason, step.detail, step.ok])).toEqual([
      [SERVICE, 'no-container', 'create (no container yet)', true],
      [SERVICE, 'no-container', 'start (no container yet)', true],
      [SERVICE, 'no-container', 'ready (its new container)', true],
      [SERVICE, 'no-container', 'provide (its new container)', true],
    ]);
    expect(steps[0].client).toMatch(/^scs up evtest/);

    const down = scs(['down', ...files()], {}, dir);
    expect(await down.exited, down.stderr).toBe(0);
    // The down waited for its agent, which told disco its last steps before its goodbye dropped the endpoint.
    const after = await eventuallyAsync(
      async () => {
        const all = await replay();
        return all.some((event) => event.kind === 'endpoint-dropped') ? all : undefined;
      },
      20_000,
      'the down to be seen',
    );
    const downSteps = after.filter((event) => event.kind === 'step' && event.reason === 'scs-down');
    expect(downSteps.map((step) => step.detail)).toEqual(['drop (scs down)', 'stop (scs down)', 'remove (scs down)']);
  }, 180_000);
  it("lets anyone on the host follow the events of a stack's own disco, as anyone may list it", async () => {
    const own = mkdtempSync(join(tmpdir(), 'scs-events-own-'));
    const ownFiles = ['-f', join(own, 'scs-stack.yaml'), '--project-name', 'evown'];
    try {
      mkdirSync(join(own, 'tick'));
      writeFileSync(join(own, 'tick/scs.yaml'), 'from: scs-base:busybox\ncommand: [sleep, "3600"]\n');
      writeFileSync(join(own, 'scs-stack.yaml'), 'name: evown\nenvironment: test\nservices:\n  tick:\n    image: ./tick\n');
      const up = scs(['up', '-d', ...ownFiles], {}, own);
      expect(await up.exited, up.stderr).toBe(0);
      const disco = agentState('evown', 'evown')!.disco;
      const events = scs(['events', '--since', '10m', '--until', '0s', '--json', '--disco', disco]);
      expect(await events.exited, events.stderr).toBe(0);
      const steps = events.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .filter((event) => event.kind === 'step');
      expect(steps.map((step) => step.detail)).toContain('start (no container yet)');
    } finally {
      await scs(['down', ...ownFiles], {}, own).exited;
      rmSync(own, { recursive: true, force: true });
    }
  }, 180_000);
});
