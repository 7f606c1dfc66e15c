// `scs up`: its flags, read into the options of src/agent/up.ts, which does the rest.

import type { CAC } from 'cac';
import { up } from '../src/agent/up.ts';
import { parseDuration } from '../src/duration.ts';
import { flag, type GlobalFlags, untilSignal, withDiscoAccess } from './common.ts';
import { type StackFlags, withStackFile } from './stack.ts';

interface UpFlags extends GlobalFlags, StackFlags {
  detach?: boolean;
  /** `--no-wait`: false (with -d, return once the agent has started). */
  wait?: boolean;
  dryRun?: boolean;
  waitTimeout?: string;
  debounce?: string;
  hold?: string;
  advertise?: string;
  /** `--no-logs`: false. */
  logs?: boolean;
  /** `--no-log-prefix`: false. */
  logPrefix?: boolean;
  /** Internal: this process is the background agent of `scs up -d`. */
  agent?: boolean;
}

export function registerUp(cli: CAC): void {
  withDiscoAccess(
    withStackFile(cli.command('up [...services]', 'Build, start and connect the services of a stack; against a running agent, converge')),
  )
    .option(
      '-d, --detach',
      'Leave the stack running under a background agent; returns once every service is up (healthy if it has a check)',
    )
    .option('--wait', 'Same as -d: wait for the services to be up and healthy (implies -d)')
    .option('--no-wait', 'With -d: return once the agent has started, without waiting for the services (implies -d)')
    .option('--dry-run', 'Print the plan: what up would do to each service, and why; do nothing')
    .option('--wait-timeout <duration>', 'How long to wait for a requirement or a healthy container', { default: '60s' })
    .option('--debounce <duration>', 'Quiet time that folds a burst of endpoint changes into one live update', { default: '200ms' })
    .option('--hold <duration>', 'How long an empty set of endpoints is held back, for a provider that comes straight back', {
      default: '1s',
    })
    .option(
      '--advertise <host>',
      "Address provided for published ports (default: this host's address on the route to a remote disco, else the Docker bridge gateway)",
    )
    .option('--no-logs', 'In the foreground, do not print what the containers print')
    .option('--no-log-prefix', 'Print container output without the "service | " prefix')
    .option('--agent', 'internal: run as the background agent of up -d')
    .action(async (services: string[], flags: UpFlags) => {
      const duration = (name: string, text: unknown) => flag(name, () => parseDuration(String(text)));
      await up({
        stack: flags,
        services,
        dryRun: flags.dryRun === true,
        // cac gives --wait the default true of --no-wait, so whether it was typed is read from the line itself.
        detach: flags.detach === true || flags.wait === false || cli.rawArgs.includes('--wait'),
        wait: flags.wait !== false,
        background: flags.agent === true,
        waitTimeoutMs: duration('wait-timeout', flags.waitTimeout),
        debounceMs: duration('debounce', flags.debounce),
        holdMs: duration('hold', flags.hold),
        ...optional('disco', flags.disco ?? process.env.SCS_DISCO),
        ...optional('advertise', flags.advertise),
        access: {
          ...optional('tlsCa', flags.tlsCa),
          ...optional('tlsCert', flags.tlsCert),
          ...optional('tlsKey', flags.tlsKey),
          ...optional('tokenFile', flags.tokenFile),
        },
        logs: flags.logs !== false,
        logPrefix: flags.logPrefix !== false,
        untilStopped: untilSignal,
      });
    });
}

/** `{ name: value }`, or nothing when the flag was not given. */
function optional<K extends string>(name: K, value: string | undefined): { [key in K]?: string } {
  return value === undefined ? {} : ({ [name]: String(value) } as { [key in K]: string });
}
