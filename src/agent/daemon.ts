// `scs agent`: the agent of one project's part of a stack as a process of its own, in the foreground,
// until SIGTERM or SIGINT: what a supervisor runs (scs-agent@.service), and what `scs up -d` starts
// in the background. Its fatal error is one sentence, and a non-zero exit (src/errors.ts EXIT).

import { consola } from 'consola';
import { type RunAgentOptions, runAgent } from './run-agent.ts';
import { makeSecrets } from './secrets.ts';
import { compileStack, project, type StackFlags } from './stack-files.ts';

export interface DaemonOptions
  extends Pick<
    RunAgentOptions,
    'services' | 'waitTimeoutMs' | 'debounceMs' | 'holdMs' | 'disco' | 'access' | 'advertise' | 'engine' | 'version' | 'place'
  > {
  readonly stack: StackFlags;
  /** Resolves when the agent is to stop (SIGTERM, SIGINT). */
  readonly untilStopped: () => Promise<unknown>;
}

/** Runs the agent until it is asked to stop; then it drains its services and closes everything. */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const compiled = compileStack(options.stack);
  // A supervisor's first start makes them, as `scs up` does.
  for (const file of makeSecrets(compiled)) consola.withTag('agent').info(`made the secret ${file} (random)`);
  const running = await runAgent({ ...options, compiled, project: project(options.stack), background: true });
  const signal = await running.stopRequested;
  consola.withTag('agent').info(`stopping${typeof signal === 'string' ? ` (${signal})` : ''}`);
  await running.stop();
}
