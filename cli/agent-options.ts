// The agent's own options, shared by `scs up` (which may start one) and `scs agent` (which is one):
// their flags, and the options of src/ they are read into.

import type { Command } from 'cac';
import type { RunAgentOptions } from '../src/agent/run-agent.ts';
import { parseDuration } from '../src/duration.ts';
import { flag, type GlobalFlags } from './common.ts';
import type { StackFlags } from './stack.ts';
import { scsVersion } from './version.ts';

export interface AgentFlags extends GlobalFlags, StackFlags {
  waitTimeout?: string;
  debounce?: string;
  hold?: string;
  advertise?: string;
}

export function withAgentOptions(command: Command): Command {
  return command
    .option('--wait-timeout <duration>', 'How long to wait for a requirement or a healthy container', { default: '60s' })
    .option('--debounce <duration>', 'Quiet time that folds a burst of endpoint changes into one live update', { default: '200ms' })
    .option('--hold <duration>', 'How long an empty set of endpoints is held back, for a provider that comes straight back', {
      default: '1s',
    })
    .option(
      '--advertise <host>',
      "Address provided for published ports (default: this host's address on the route to a remote disco, else the Docker bridge gateway)",
    );
}

export type AgentOptions = Pick<RunAgentOptions, 'waitTimeoutMs' | 'debounceMs' | 'holdMs' | 'disco' | 'advertise' | 'access' | 'version'>;

export function agentOptions(flags: AgentFlags): AgentOptions {
  const duration = (name: string, text: unknown) => flag(name, () => parseDuration(String(text)));
  return {
    waitTimeoutMs: duration('wait-timeout', flags.waitTimeout),
    debounceMs: duration('debounce', flags.debounce),
    holdMs: duration('hold', flags.hold),
    version: scsVersion(),
    ...optional('disco', flags.disco ?? process.env.SCS_DISCO),
    ...optional('advertise', flags.advertise),
    access: {
      ...optional('tlsCa', flags.tlsCa),
      ...optional('tlsCert', flags.tlsCert),
      ...optional('tlsKey', flags.tlsKey),
      ...optional('tokenFile', flags.tokenFile),
    },
  };
}

/** `{ name: value }`, or nothing when the flag was not given. */
function optional<K extends string>(name: K, value: string | undefined): { [key in K]?: string } {
  return value === undefined ? {} : ({ [name]: String(value) } as { [key in K]: string });
}
