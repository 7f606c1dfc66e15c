// The agent's own options, shared by `scs up` (which may start one) and `scs agent` (which is one):
// their flags, and the options of src/ they are read into.

import type { Command } from 'cac';
import * as v from 'valibot';
import type { RunAgentOptions } from '../src/agent/run-agent.ts';
import { parseDuration } from '../src/duration.ts';
import { httpAddress } from '../src/http/settings.ts';
import { AttributesSchema, describeIssues } from '../src/protocol/fields.ts';
import { flag, type GlobalFlags, UsageError } from './common.ts';
import type { StackFlags } from './stack.ts';
import { scsVersion } from './version.ts';

export interface AgentFlags extends GlobalFlags, StackFlags {
  waitTimeout?: string;
  debounce?: string;
  hold?: string;
  advertise?: string;
  dc?: string;
  zone?: string;
  http?: string;
  httpInsecure?: boolean;
}

export function withAgentOptions(command: Command): Command {
  return command
    .option('--wait-timeout <duration>', 'How long to wait for a requirement or a healthy container', { default: '60s' })
    .option('--debounce <duration>', 'Quiet time that folds a burst of endpoint changes into one live update', { default: '200ms' })
    .option('--hold <duration>', 'How long an empty set of endpoints is held back, for a provider that comes straight back', {
      default: '1s',
    })
    .option('--http <host:port>', "Serve the agent's /health, /ready and /metrics over HTTP here (off by default; see docs/observe.md)")
    .option('--http-insecure', 'Let --http listen beyond loopback: the agent has no tokens, so anyone who reaches it may read it')
    .option(
      '--advertise <host>',
      "Address provided for published ports (default: this host's address on the route to a remote disco, else the Docker bridge gateway)",
    )
    .option(
      '--dc <name>',
      "This host's data center: on what it provides, for nearest first and `scs status` (env SCS_DC; default: the endpoints' common dc attribute)",
    )
    .option(
      '--zone <name>',
      "This host's zone in its data center: on what it provides, for nearest first (env SCS_ZONE; default: the endpoints' common zone or az)",
    );
}

export type AgentOptions = Pick<
  RunAgentOptions,
  'waitTimeoutMs' | 'debounceMs' | 'holdMs' | 'disco' | 'advertise' | 'access' | 'version' | 'place' | 'http'
>;

export function agentOptions(flags: AgentFlags): AgentOptions {
  const duration = (name: string, text: unknown) => flag(name, () => parseDuration(String(text)));
  const http = httpAddress(flags.http, undefined, {
    tokens: false,
    insecure: flags.httpInsecure === true,
    insecureFlag: '--http-insecure',
    tokensHint: 'the agent has no tokens of its own',
  });
  return {
    ...(http ? { http } : {}),
    waitTimeoutMs: duration('wait-timeout', flags.waitTimeout),
    debounceMs: duration('debounce', flags.debounce),
    holdMs: duration('hold', flags.hold),
    version: scsVersion(),
    ...optional('disco', flags.disco ?? process.env.SCS_DISCO),
    ...optional('advertise', flags.advertise),
    place: placeOf(flags),
    access: {
      ...optional('tlsCa', flags.tlsCa),
      ...optional('tlsCert', flags.tlsCert),
      ...optional('tlsKey', flags.tlsKey),
      ...optional('tokenFile', flags.tokenFile),
    },
  };
}

/** `--dc` and `--zone` (or SCS_DC and SCS_ZONE), as the member attributes `dc` and `az`, checked as any attribute. */
function placeOf(flags: AgentFlags): { dc?: string; az?: string } {
  const place: { dc?: string; az?: string } = {};
  for (const [name, key, value] of [
    ['dc', 'dc', flags.dc ?? process.env.SCS_DC],
    ['zone', 'az', flags.zone ?? process.env.SCS_ZONE],
  ] as const) {
    if (value === undefined) continue;
    const parsed = v.safeParse(AttributesSchema, { [key]: String(value) });
    if (!parsed.success) throw new UsageError(`--${name}: ${describeIssues(parsed.issues)}`);
    place[key] = String(value);
  }
  return place;
}

/** `{ name: value }`, or nothing when the flag was not given. */
function optional<K extends string>(name: K, value: string | undefined): { [key in K]?: string } {
  return value === undefined ? {} : ({ [name]: String(value) } as { [key in K]: string });
}
