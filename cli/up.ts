// `scs up`: its flags, read into the options of src/agent/up.ts, which does the rest.

import type { CAC } from 'cac';
import { up } from '../src/agent/up.ts';
import { type AgentFlags, agentOptions, withAgentOptions } from './agent-options.ts';
import { EXIT, untilSignal, withDiscoAccess } from './common.ts';
import { withStackFile } from './stack.ts';

interface UpFlags extends AgentFlags {
  detach?: boolean;
  /** `--no-wait`: false (with -d, return once the agent has started). */
  wait?: boolean;
  dryRun?: boolean;
  /** `--no-logs`: false. */
  logs?: boolean;
  /** `--no-log-prefix`: false. */
  logPrefix?: boolean;
}

export function registerUp(cli: CAC): void {
  withAgentOptions(
    withDiscoAccess(
      withStackFile(cli.command('up [...services]', 'Build, start and connect the services of a stack; against a running agent, converge')),
    )
      .option(
        '-d, --detach',
        'Leave the stack running under a background agent (scs agent); returns once every service is up (healthy if it has a check)',
      )
      .option('--wait', 'Same as -d: wait for the services to be up and healthy (implies -d)')
      .option('--no-wait', 'With -d: return once the agent has started, without waiting for the services (implies -d)')
      .option('--dry-run', 'Print the plan: what up would do to each service, and why; do nothing'),
  )
    .option('--no-logs', 'In the foreground, do not print what the containers print')
    .option('--no-log-prefix', 'Print container output without the "service | " prefix')
    .action(async (services: string[], flags: UpFlags) => {
      await up({
        stack: flags,
        services,
        dryRun: flags.dryRun === true,
        // cac gives --wait the default true of --no-wait, so whether it was typed is read from the line itself.
        detach: flags.detach === true || flags.wait === false || cli.rawArgs.includes('--wait'),
        wait: flags.wait !== false,
        ...agentOptions(flags),
        logs: flags.logs !== false,
        logPrefix: flags.logPrefix !== false,
        untilStopped: untilSignal,
      });
      // A foreground agent that handed over leaves at once: a step under way is not finished, the agent after it plans afresh.
      process.exit(EXIT.ok);
    });
}
