// `scs up -d`: the agent started in the background (`scs agent`, as a supervisor would), and waited
// for until the stack is up, or until it says why not. The agent is started first and the stack
// checked here meanwhile: a mistake is still reported at once, and a good stack does not wait for
// two start-ups in a row.

import { spawn } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { consola } from 'consola';
import * as v from 'valibot';
import { EXIT, UserError } from '../errors.ts';
import { agentBudgetMs, STATE_SETTLE_MS, waitedFor } from './cli-wait.ts';
import { ensurePrivateFolder } from './private-folder.ts';
import { agentFolder, compileStack, filesToLoad, project, readStack, type StackFlags, selectServices } from './stack-files.ts';
import { isAlive, readState } from './state.ts';

/** What `scs agent` sends when it cannot bring the stack up (src/agent/daemon.ts). */
const FailureSchema = v.object({ failed: v.string(), exitCode: v.picklist(Object.values(EXIT)) });

export interface DetachOptions {
  readonly stack: StackFlags;
  readonly services: readonly string[];
  /** The options the agent is started with, as `scs agent` flags (`--debounce 200ms`, ...). */
  readonly agentFlags: readonly string[];
  /** False: return once the agent has started (`--no-wait`). */
  readonly wait: boolean;
  /** The `scs` entry to run: this one by default. */
  readonly entry?: string;
  /** The agent's --wait-timeout: the CLI's own wait on the agent is bounded by it (cli-wait.ts). */
  readonly waitTimeoutMs: number;
}

export async function detach(options: DetachOptions): Promise<void> {
  const { stack, services } = options;
  const projectName = project(stack);
  const dir = agentFolder(stack);
  ensurePrivateFolder(dir);
  const log = openSync(join(dir, 'agent.log'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const args = [
    options.entry ?? process.argv[1]!,
    'agent',
    ...services,
    '--project-name',
    projectName,
    ...filesToLoad(stack).flatMap((file) => ['-f', file]),
    // As they are here, whether given by --profile or by SCS_PROFILES.
    ...readStack(stack).profiles.flatMap((profile) => ['--profile', profile]),
    ...options.agentFlags,
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'], cwd: process.cwd(), env: process.env });
  const pid = child.pid!;
  let count: number;
  try {
    count = selectServices(compileStack(stack), [...services]).services.length;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (!options.wait) {
    child.disconnect();
    child.unref();
    consola.success(`agent of ${projectName} started (pid ${pid}); scs ps shows how far it is, ${join(dir, 'agent.log')} what it says`);
    return;
  }
  // The agent says over IPC when it is up, or why it cannot be; the state file tells the rest.
  const heard = new Promise<unknown>((resolve) => {
    child.once('message', resolve);
    child.once('exit', () => resolve(undefined));
    child.once('disconnect', () => resolve(undefined));
  });
  const logFile = join(dir, 'agent.log');
  let told: unknown;
  try {
    told = await waitedFor(
      heard,
      agentBudgetMs(options.waitTimeoutMs, count),
      `the agent (pid ${pid}) to bring the stack up; it is still at it (scs ps shows how far, ${logFile} what it says)`,
    );
  } finally {
    child.unref();
    if (child.connected) child.disconnect();
  }
  const failure = v.safeParse(FailureSchema, told);
  if (failure.success) throw new UserError(`${failure.output.failed}; see ${join(dir, 'agent.log')}`, failure.output.exitCode);
  const settled = Date.now() + STATE_SETTLE_MS;
  for (;;) {
    const state = readState(dir);
    if (state?.pid === pid && state.phase === 'running') {
      consola.success(
        `${state.stack} is up (agent pid ${pid}, disco ${state.disco}${state.dns ? `, DNS ${state.dns}` : ''}); scs ps, scs down`,
      );
      return;
    }
    if (state?.pid === pid && state.phase === 'failed') {
      throw new UserError(`scs up failed: ${state.error}; see ${join(dir, 'agent.log')}`, state.timedOut ? EXIT.timeout : EXIT.failure);
    }
    if (!isAlive(pid)) throw new UserError(`the agent exited before the stack was up; see ${logFile}`);
    if (Date.now() > settled)
      throw new UserError(
        `gave up after ${STATE_SETTLE_MS / 1000} s waiting for the agent's state in ${dir} to say the stack is up, which the agent (pid ${pid}) said it was`,
        EXIT.timeout,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
