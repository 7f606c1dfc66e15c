// The flags `scs exec` and `scs run` share with `docker exec` and `docker run`, read at the edge. Pure.

import * as v from 'valibot';
import { UsageError } from '../errors.ts';

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

/** `--instance N`: a whole number from 1; 1 when not given. */
export function parseInstance(value: unknown): number {
  if (value === undefined) return 1;
  const instance = Number(value);
  if (!Number.isSafeInteger(instance) || instance < 1)
    throw new UsageError(`--instance: expected a whole number from 1, not "${String(value)}"`);
  return instance;
}

/** The command after SERVICE: what cac read as arguments, and what came after `--` (cli/arguments.ts puts it there). */
export function commandOf(words: readonly unknown[] | undefined, afterDashes: readonly unknown[] | undefined): string[] {
  return [...(words ?? []), ...(afterDashes ?? [])].map(String);
}
