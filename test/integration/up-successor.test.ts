// A dead agent's socket or pid never blocks its successor: right after a SIGKILL, the state file still
// names the agent, its process may linger a moment, and its control socket file is left behind,
// refusing. `scs up -d` then starts a new agent, instead of failing on "connect ECONNREFUSED".

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processIdentity } from '../../src/agent/process-identity.ts';
import { isAlive, writeState } from '../../src/agent/state.ts';
import { helloStack } from '../helpers/agent-restart.ts';
import { agentFolder, agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem } from '../helpers/docker.ts';
import { eventually } from '../helpers/wait.ts';

/** A Unix socket file whose listener was killed: connecting to it is refused. */
async function refusingSocket(path: string): Promise<void> {
  const listener = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  await new Promise((resolve) => listener.once('exit', resolve));
  expect(existsSync(path)).toBe(true);
}

describe.skipIf(dockerProblem !== undefined)(
  `scs up after an agent was killed${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let stack: ReturnType<typeof helloStack> | undefined;
    let lingering: ChildProcess | undefined;

    afterAll(async () => {
      lingering?.kill('SIGKILL');
      if (!stack) return;
      await scs(['down', '--volumes', ...stack.files]).exited;
      rmSync(stack.dir, { recursive: true, force: true });
    }, 120_000);

    it('starts a new agent while the killed one lingers a moment and its socket refuses', async () => {
      stack = helloStack('successor');
      const { files } = stack;
      const up = scs(['up', '-d', ...files]);
      expect(await up.exited, up.stderr).toBe(0);
      const before = agentState('hello')!;
      process.kill(before.pid, 'SIGKILL');
      await eventually(() => !isAlive(before.pid), 5000, 'the agent to die');
      // What the CLI finds in the moment after the kill: the state names a process that is still there
      // (standing in: a process that exits 3 s later, after the CLI has started, and well within its wait) and a socket nobody listens on.
      lingering = spawn('sleep', ['3'], { stdio: 'ignore' });
      writeState(agentFolder('hello'), { ...before, pid: lingering.pid!, agentProcess: processIdentity(lingering.pid!)! });
      const control = join(agentFolder('hello', before.project), 'agent.sock');
      expect(before.control).toBe(control);
      rmSync(control, { force: true });
      await refusingSocket(control);

      const again = scs(['up', '-d', ...files]);
      expect(await again.exited, again.stdout + again.stderr).toBe(0);
      expect(again.stderr).not.toContain('cannot reach the agent');
      const after = agentState('hello')!;
      expect(after.pid).not.toBe(before.pid);
      expect(after.pid).not.toBe(lingering.pid);
      expect(after.phase).toBe('running');
      expect(isAlive(after.pid)).toBe(true);
    }, 180_000);
  },
);
