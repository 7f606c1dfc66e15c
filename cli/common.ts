// What every command shares: flag validation at the edge, the disco address, and how to stop.

import { consola } from 'consola';
import * as v from 'valibot';
import { formatHostPort, type HostPort, parseHostPort } from '../src/address.ts';
import { DiscoClient } from '../src/client/client.ts';
import { AttributesSchema, describeIssues } from '../src/protocol/fields.ts';

export const DEFAULT_DISCO = '127.0.0.1:9640';

/** An error whose message is for the user as it stands: one sentence, no stack. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export interface GlobalFlags {
  disco?: string;
  debug?: boolean;
}

/** Wraps a parse so that its failure reads `--flag: what was wrong`. */
export function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UserError(`--${name}: ${(error as Error).message}`);
  }
}

/** `HOST:PORT[,HOST:PORT...]`: disco servers sharing one registry, tried in order (docs/ha.md). */
export function parseDiscoList(text: string): HostPort[] {
  return flag('disco', () =>
    String(text)
      .split(',')
      .map((one) => parseHostPort(one)),
  );
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
    if (at <= 0) throw new UserError(`--${name}: "${text}" is not key=value`);
    attributes[text.slice(0, at)] = text.slice(at + 1);
  }
  const parsed = v.safeParse(AttributesSchema, attributes);
  if (!parsed.success) throw new UserError(`--${name}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export function parseWith<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new UserError(`${what}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export async function connectDisco(flags: GlobalFlags, name: string): Promise<DiscoClient> {
  const addresses = discoAddresses(flags);
  try {
    return await DiscoClient.connect({ ...addresses[0]!, addresses, name, logger: consola.withTag('disco') });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

/** For commands that run until stopped: a disco that is not up yet is waited for, said once. */
export async function connectDiscoWaiting(flags: GlobalFlags, name: string): Promise<DiscoClient> {
  const addresses = discoAddresses(flags);
  const options = { ...addresses[0]!, addresses, name, logger: consola.withTag('disco') };
  try {
    return await DiscoClient.connect(options);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'unreachable') throw new UserError((error as Error).message);
  }
  consola.info(`disco at ${addresses.map((a) => formatHostPort(a.host, a.port)).join(', ')} is not up yet; waiting for it`);
  return await DiscoClient.connect({ ...options, waitForServer: true });
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
