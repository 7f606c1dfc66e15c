// `scs down` and the PID in the agent's state: it signals that PID only while it is still the agent
// that wrote it (same start time, same command line). A real `sleep` stands in for an unrelated
// process that now holds the PID, and the real CLI runs down against the real Docker Engine.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processIdentity } from '../../src/agent/process-identity.ts';
import { type AgentState, writeState } from '../../src/agent/state.ts';
import { legacyStateFolder } from '../../src/agent/state-folder.ts';
import { agentFolder } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem } from '../helpers/docker.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NETWORK = 'scs-hello-dev-downpid';

describe.skipIf(dockerProblem !== undefined)(`scs down and the agent's PID${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  let sleep: ChildProcess;
  let exited: Promise<NodeJS.Signals | null>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-down-pid-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    sleep = spawn('sleep', ['300'], { stdio: 'ignore' });
    exited = new Promise((resolve) => sleep.on('exit', (_code, signal) => resolve(signal)));
  });
  afterEach(() => {
    sleep.kill('SIGKILL');
    execFileSync('docker', ['network', 'rm', '-f', NETWORK], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (extra: Partial<AgentState>): AgentState => ({
    pid: sleep.pid!,
    project: 'downpid',
    host: 'h',
    files: [join(dir, 'scs-stack.yaml')],
    only: [],
    phase: 'running',
    stack: 'hello',
    environment: 'test',
    disco: '127.0.0.1:1',
    services: [],
    ...extra,
  });
  const down = async () => {
    const command = scs(['down', '--project-name', 'downpid'], {}, dir);
    expect(await command.exited, command.stderr).toBe(0);
    return command;
  };

  it('does not signal an unrelated process the state names, says so in one sentence, and still cleans up', async () => {
    // The agent that wrote it was another process: its recorded start time is not the sleep's.
    writeState(
      agentFolder('hello', 'downpid'),
      state({ agentProcess: { startTime: '1', commandLine: [process.execPath, 'scs', 'up', '--agent'] } }),
    );
    // What is left of the stack: its network, which down removes all the same.
    execFileSync('docker', ['network', 'create', NETWORK], { stdio: 'ignore' });
    const command = await down();
    expect(`${command.stdout}${command.stderr}`).toContain(`removed network ${NETWORK}`);
    expect(() => execFileSync('docker', ['network', 'inspect', NETWORK], { stdio: 'ignore' })).toThrow();
    expect(command.stderr).toContain(
      `pid ${sleep.pid}, named by the agent's state, is another process now (not the agent that wrote it), so it is not signalled`,
    );
    expect(processIdentity(sleep.pid!)).toBeDefined();
    expect(sleep.exitCode).toBeNull();
    expect(sleep.signalCode).toBeNull();
  }, 60_000);

  it('does not signal the PID of a state that does not say which process it was', async () => {
    writeState(agentFolder('hello', 'downpid'), state({}));
    const command = await down();
    expect(command.stderr).toContain(`pid ${sleep.pid}, named by the agent's state, is another process now`);
    expect(sleep.signalCode).toBeNull();
    expect(processIdentity(sleep.pid!)).toBeDefined();
  }, 60_000);

  it('signals the PID while it is still the process recorded', async () => {
    writeState(agentFolder('hello', 'downpid'), state({ agentProcess: processIdentity(sleep.pid!)! }));
    await down();
    expect(await exited).toBe('SIGTERM');
  }, 60_000);

  it('stops an agent an older scs started from this folder, its state in .scs/ beside the stack file, and says what to do with it', async () => {
    writeState(legacyStateFolder(dir, 'downpid'), state({ agentProcess: processIdentity(sleep.pid!)! }));
    const command = await down();
    expect(await exited).toBe('SIGTERM');
    expect(command.stderr).toContain(`${join(dir, '.scs', 'downpid')} was left by an older scs`);
  }, 60_000);

  it('leaves alone the agent a copied .scs/ names, which ran from another folder', async () => {
    const elsewhere = join(tmpdir(), 'the-original-folder');
    writeState(legacyStateFolder(dir, 'downpid'), {
      ...state({ agentProcess: processIdentity(sleep.pid!)! }),
      files: [join(elsewhere, 'scs-stack.yaml')],
    });
    await down();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sleep.signalCode).toBeNull();
  }, 60_000);
});
