// What every command shares: flag validation at the edge, the disco address, and how to stop.

import type { Command } from 'cac';
import { consola } from 'consola';
import * as v from 'valibot';
import { formatHostPort, type HostPort } from '../src/address.ts';
import { type AccessFiles, discoAccess, parseDiscoList } from '../src/client/access.ts';
import type { DiscoClient } from '../src/client/client.ts';
import { restated, UsageError } from '../src/errors.ts';
import { AttributesSchema, describeIssues } from '../src/protocol/fields.ts';

export const DEFAULT_DISCO = '127.0.0.1:9640';

export { discoAccess, parseDiscoList } from '../src/client/access.ts';
export { EXIT, type ExitCode, exitCodeOf, flag, restated, UsageError, UserError } from '../src/errors.ts';

export interface GlobalFlags extends AccessFiles {
  disco?: string;
  debug?: boolean;
}

/** The flags of every command that talks to disco: how to reach a disco that has TLS or tokens. */
export function withDiscoAccess(command: Command): Command {
  return command
    .option('--tls-ca <file>', 'Connect to disco with TLS, trusting this CA (env SCS_TLS_CA)')
    .option('--tls-cert <file>', 'Client certificate, for a disco that asks for one (env SCS_TLS_CERT)')
    .option('--tls-key <file>', 'Key of the client certificate (env SCS_TLS_KEY)')
    .option('--token-file <file>', "File holding this client's disco token (env SCS_TOKEN_FILE, or the token itself in SCS_TOKEN)");
}

export function discoAddresses(flags: GlobalFlags): HostPort[] {
  return parseDiscoList(flags.disco ?? process.env.SCS_DISCO ?? DEFAULT_DISCO);
}

/** A flag given any number of times: cac gives nothing for none, a string for one, an array for several. */
export function repeated(value: unknown): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

/** `--attr k=v` given any number of times. */
export function parseAttributes(value: unknown, name = 'attr'): Record<string, string> {
  // No prototype, so that `--attr __proto__=x` is kept as a key (and refused by the schema), not swallowed.
  const attributes: Record<string, string> = Object.create(null);
  for (const item of repeated(value)) {
    const text = String(item);
    const at = text.indexOf('=');
    if (at <= 0) throw new UsageError(`--${name}: "${text}" is not key=value`);
    attributes[text.slice(0, at)] = text.slice(at + 1);
  }
  const parsed = v.safeParse(AttributesSchema, attributes);
  if (!parsed.success) throw new UsageError(`--${name}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export function parseWith<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new UsageError(`${what}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export async function connectDisco(flags: GlobalFlags, name: string): Promise<DiscoClient> {
  const addresses = discoAddresses(flags);
  const access = discoAccess(flags);
  // Loaded here: the commands that never talk to disco (ps, logs) do not load the client.
  const { DiscoClient } = await import('../src/client/client.ts');
  try {
    return await DiscoClient.connect({ ...addresses[0]!, addresses, name, ...access, logger: consola.withTag('disco') });
  } catch (error) {
    throw restated((error as Error).message, error);
  }
}

/** For commands that run until stopped: a disco that is not up yet is waited for, said once. */
export async function connectDiscoWaiting(flags: GlobalFlags, name: string): Promise<DiscoClient> {
  const addresses = discoAddresses(flags);
  const access = discoAccess(flags);
  const options = { ...addresses[0]!, addresses, name, ...access, logger: consola.withTag('disco') };
  const { DiscoClient } = await import('../src/client/client.ts');
  try {
    return await DiscoClient.connect(options);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'unreachable') throw restated((error as Error).message, error);
  }
  consola.info(`disco at ${addresses.map((a) => formatHostPort(a.host, a.port)).join(', ')} is not up yet; waiting for it`);
  try {
    return await DiscoClient.connect({ ...options, waitForServer: true });
  } catch (error) {
    throw restated((error as Error).message, error);
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
