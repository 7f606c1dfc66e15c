// `scs agent`: the agent of one project's part of a stack as a process of its own, in the foreground:
// what a supervisor runs (scs-agent@.service), and what `scs up -d` starts in the background. SIGTERM
// or SIGINT hands the stack over to the agent after it (ending.ts); `scs down` drains it. Its fatal
// error is one sentence, and a non-zero exit (src/errors.ts EXIT).

import { consola } from 'consola';
import type { Ending } from './ending.ts';
import { type RunAgentOptions, runAgent } from './run-agent.ts';
import { makeSecrets } from './secrets.ts';
import { compileStack, project, type StackFlags } from './stack-files.ts';

export interface DaemonOptions
  extends Pick<
    RunAgentOptions,
    'services' | 'waitTimeoutMs' | 'debounceMs' | 'holdMs' | 'disco' | 'access' | 'advertise' | 'http' | 'engine' | 'version' | 'place'
  > {
  readonly stack: StackFlags;
  /** Resolves when the agent is to stop (SIGTERM, SIGINT). */
  readonly untilStopped: () => Promise<unknown>;
}

/** Runs the agent until it is asked to stop; then it hands over or drains, as asked, closes everything, and says which. */
export async function runDaemon(options: DaemonOptions): Promise<Ending> {
  const compiled = compileStack({ ...options.stack, named: options.services });
  // A supervisor's first start makes them, as `scs up` does.
  for (const file of makeSecrets(compiled)) consola.withTag('agent').info(`made the secret ${file} (random)`);
  const running = await runAgent({ ...options, compiled, project: project(options.stack), background: true });
  const ending = await running.stopRequested;
  const logger = consola.withTag('agent');
  logger.info(
    ending.drain ? `draining (${ending.why}), then stopping` : `stopping (${ending.why}); the containers are left to the next agent`,
  );
  await running.stop(ending);
  return ending;
}
