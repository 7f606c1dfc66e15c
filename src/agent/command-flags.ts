// The flags `scs exec` and `scs run` share with `docker exec` and `docker run`, read at the edge. Pure.

import * as v from 'valibot';
import { flag, UsageError } from '../errors.ts';
import { INSTANCES_LIMITS } from '../protocol/instances.ts';

/** An environment variable's name as a shell takes it. */
const EnvNameSchema = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/), v.maxLength(256));

/**
 * `-e K=V` given any number of times; `-e K` alone passes this process's K on, as Docker does (and
 * leaves it out when it is not set here). Later ones win.
 */
export function parseEnvFlags(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const value of values) {
    const at = value.indexOf('=');
    const name = at < 0 ? value : value.slice(0, at);
    if (!v.is(EnvNameSchema, name)) throw new UsageError(`-e: "${value}" is not NAME=value (a name of letters, digits and _)`);
    const given = at < 0 ? env[name] : value.slice(at + 1);
    if (given !== undefined) out[name] = given;
  }
  return out;
}

/** An instance number as a flag gives it (`--instance 2`): a whole number from 1 to the most instances a service may have. */
export function instanceNumber(value: unknown): number {
  const text = String(value);
  const most = INSTANCES_LIMITS.replicas;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > most)
    throw new UsageError(`expected an instance number from 1 to ${most}, not "${text}"`);
  return Number(text);
}

/** `--instance N` of `scs exec`; 1 when not given. */
export function parseInstance(value: unknown): number {
  return value === undefined ? 1 : flag('instance', () => instanceNumber(value));
}

/** The command after SERVICE: what cac read as arguments, and what came after `--` (cli/arguments.ts puts it there). */
export function commandOf(words: readonly unknown[] | undefined, afterDashes: readonly unknown[] | undefined): string[] {
  return [...(words ?? []), ...(afterDashes ?? [])].map(String);
}
