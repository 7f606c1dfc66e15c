import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SCS = fileURLToPath(new URL('../../bin/scs-dev.mjs', import.meta.url));

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** Starts `scs ARGS...` (in `cwd`, by default this process's) and collects its output. */
export function scs(args: string[], env: Record<string, string> = {}, cwd?: string): Running {
  return collect(spawn(process.execPath, [SCS, ...args], { env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) }));
}

/** A started process whose output is collected as it comes, and whose exit can be awaited. */
export function collect(child: ChildProcessWithoutNullStreams): Running {
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (running.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (running.stderr += text));
  return running;
}
