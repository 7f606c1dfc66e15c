// `scs agent`, the agent as a process of its own in the foreground, as a supervisor runs it: one
// per project and stack (a second is refused in one sentence), a killed one's leftovers never block
// its successor, SIGTERM hands the stack over (exit 0, its containers left running for the next agent),
// and `scs up -d` starts exactly it.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processIdentity } from '../../src/agent/process-identity.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { agentFolder, agentState } from '../helpers/agent-state.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(`scs agent${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'daemon.yaml')];
  const labels = { [LABEL.stack]: 'hello', [LABEL.environment]: 'daemon' };

  beforeAll(async () => {
    await run(join(root, 'scripts/base-image'));
    dir = mkdtempSync(join(tmpdir(), 'scs-daemon-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(join(dir, 'daemon.yaml'), 'environment: daemon\n');
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    await scs(['down', ...files()]).exited;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  /** `scs agent` started, and waited for until its state says the stack is up. */
  async function startAgent(): Promise<Running> {
    const agent = scs(['agent', ...files()], {}, dir);
    onCleanup(() => agent.child.kill('SIGKILL'));
    await eventually(
      () => agentState('hello')?.pid === agent.child.pid && agentState('hello')?.phase === 'running',
      60_000,
      `scs agent to bring hello up:\n${agent.stderr}`,
    );
    return agent;
  }

  it('runs the stack in the foreground, refuses a second agent of it in one sentence, and hands it over on SIGTERM, exiting 0', async () => {
    const agent = await startAgent();
    expect(await engine.list(labels)).toHaveLength(2);

    const second = scs(['agent', ...files()], {}, dir);
    expect(await second.exited).toBe(1);
    expect(second.stderr.trim()).toMatch(
      new RegExp(`the agent of hello \\(project [a-z0-9-]+\\) is already running \\(pid ${agent.child.pid}\\); scs down stops it`),
    );
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(agentState('hello')?.pid).toBe(agent.child.pid);

    const running = (await engine.list(labels)).map((c) => c.id).sort();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    // Left for the next agent to take over; scs down, finding no agent, removes them.
    expect((await engine.list(labels)).map((c) => c.id).sort()).toEqual(running);
    const down = scs(['down', ...files()], {}, dir);
    expect(await down.exited, down.stderr).toBe(0);
    expect(await engine.list(labels)).toEqual([]);
  }, 120_000);

  it('starts after a killed agent, whose socket, pid file and state are left behind', async () => {
    const killed = await startAgent();
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(readFileSync(join(agentFolder('hello'), 'agent.pid'), 'utf8')).toContain(`"pid":${killed.child.pid}`);

    const successor = await startAgent();
    expect(agentState('hello')?.pid).toBe(successor.child.pid);
    successor.child.kill('SIGTERM');
    expect(await successor.exited).toBe(0);
  }, 120_000);

  it('scs up in the foreground: SIGTERM hands the stack over, Ctrl-C (SIGINT) stops it, as Compose does', async () => {
    /** `scs up` in the foreground, waited for until its state says the stack is up. */
    const foreground = async () => {
      const up = scs(['up', '--no-logs', ...files()], {}, dir);
      onCleanup(() => up.child.kill('SIGKILL'));
      await eventually(
        () => agentState('hello')?.pid === up.child.pid && agentState('hello')?.phase === 'running',
        60_000,
        `scs up to bring hello up:\n${up.stderr}`,
      );
      return up;
    };
    const first = await foreground();
    const running = (await engine.list(labels)).map((c) => c.id).sort();
    expect(running).toHaveLength(2);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect((await engine.list(labels)).map((c) => c.id).sort()).toEqual(running);

    // The next takes the same containers over; Ctrl-C then stops and removes them.
    const second = await foreground();
    expect((await engine.list(labels)).map((c) => c.id).sort()).toEqual(running);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(await engine.list(labels)).toEqual([]);
  }, 180_000);

  it('exits non-zero with one sentence on a fatal error', async () => {
    const noDocker = scs(['agent', ...files()], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, dir);
    expect(await noDocker.exited).toBe(1);
    expect(noDocker.stderr.trim().split('\n')).toHaveLength(1);
    expect(noDocker.stderr).toContain('cannot reach the Docker Engine');
  }, 60_000);

  it('is what scs up -d starts', async () => {
    const up = scs(['up', '-d', ...files()], {}, dir);
    expect(await up.exited, up.stderr).toBe(0);
    const { pid } = agentState('hello')!;
    const commandLine = processIdentity(pid)!.commandLine;
    expect(commandLine.slice(2, 3)).toEqual(['agent']);
    const down = scs(['down', ...files()], {}, dir);
    expect(await down.exited, down.stderr).toBe(0);
  }, 120_000);
});
