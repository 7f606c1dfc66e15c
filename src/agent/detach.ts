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
import { ensurePrivateFolder } from './private-folder.ts';
import { agentFolder, compileStack, filesToLoad, project, type StackFlags, selectServices } from './stack-files.ts';
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
    ...options.agentFlags,
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'], cwd: process.cwd(), env: process.env });
  const pid = child.pid!;
  try {
    selectServices(compileStack(stack), [...services]);
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
  const told = await new Promise<unknown>((resolve) => {
    child.once('message', resolve);
    child.once('exit', () => resolve(undefined));
    child.once('disconnect', () => resolve(undefined));
  });
  child.unref();
  child.channel?.unref();
  const failure = v.safeParse(FailureSchema, told);
  if (failure.success) throw new UserError(`${failure.output.failed}; see ${join(dir, 'agent.log')}`, failure.output.exitCode);
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
    if (!isAlive(pid)) throw new UserError(`the agent exited before the stack was up; see ${join(dir, 'agent.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
