// A service's `health:` or Compose `healthcheck:` → the CompiledHealth the agent runs: durations in
// milliseconds, the command as arguments, and the endpoint an http or tcp check asks named and
// checked against what the service provides.

import { parseDuration } from '../duration.ts';
import type { CompiledHealth, CompiledProvide, HealthProbe } from './compiled.ts';
import type { ComposeHealthcheck, Health } from './health-schema.ts';

/** Until its first success a new instance is checked this often (at most every interval): it is provided as soon as it answers. */
export const DEFAULT_START_INTERVAL_MS = 250;

type Fail = (path: Array<string | number>, message: string) => never;

const shell = (command: string) => ['/bin/sh', '-c', command];

export function compileHealth(
  declared: { health?: Health | undefined; healthcheck?: ComposeHealthcheck | undefined },
  provides: readonly CompiledProvide[],
  imageTest: string[] | undefined,
  fail: Fail,
): CompiledHealth | undefined {
  const { health, healthcheck } = declared;
  if (health && healthcheck) fail(['healthcheck'], 'give either "health" or Compose\'s "healthcheck", not both');
  if (health) {
    const probe: HealthProbe =
      'http' in health
        ? { kind: 'http', path: health.http, endpoint: checkedEndpoint(health.port, provides, ['health', 'port'], fail) }
        : 'tcp' in health
          ? { kind: 'tcp', endpoint: checkedEndpoint(health.tcp, provides, ['health', 'tcp'], fail) }
          : { kind: 'exec', command: typeof health.exec === 'string' ? shell(health.exec) : health.exec };
    const flap = { changes: health.flap.changes, withinMs: parseDuration(health.flap.within), holdMs: parseDuration(health.flap.hold) };
    return timed(probe, health, flap);
  }
  if (healthcheck) {
    const probe = composeProbe(healthcheck, imageTest, fail);
    return timed(probe, healthcheck, { changes: 3, withinMs: 60_000, holdMs: 30_000 });
  }
  return undefined;
}

function timed(
  probe: HealthProbe,
  timing: { interval: string; timeout: string; retries: number; start_period: string; start_interval?: string | undefined },
  flap: CompiledHealth['flap'],
): CompiledHealth {
  const intervalMs = parseDuration(timing.interval);
  return {
    probe,
    intervalMs,
    timeoutMs: parseDuration(timing.timeout),
    retries: timing.retries,
    startPeriodMs: parseDuration(timing.start_period),
    startIntervalMs: Math.min(
      intervalMs,
      timing.start_interval === undefined ? DEFAULT_START_INTERVAL_MS : parseDuration(timing.start_interval),
    ),
    flap,
  };
}

/** Compose's `test` as arguments; `["NONE"]` or `disable: true` turn every check off, the image's too. */
function composeProbe(healthcheck: ComposeHealthcheck, imageTest: string[] | undefined, fail: Fail): HealthProbe {
  const { test, disable } = healthcheck;
  if (disable) return { kind: 'none' };
  if (test === undefined) {
    // As Compose: the timing given, with the image's own test.
    if (!imageTest) fail(['healthcheck', 'test'], 'the image has no healthcheck of its own: give a test, e.g. ["CMD", "pg_isready"]');
    return { kind: 'exec', command: imageTest };
  }
  if (typeof test === 'string') return { kind: 'exec', command: shell(test) };
  const [form, ...rest] = test;
  if (form === 'NONE') return { kind: 'none' };
  if (form === 'CMD' && rest.length > 0) return { kind: 'exec', command: rest };
  if (form === 'CMD-SHELL' && rest.length === 1) return { kind: 'exec', command: shell(rest[0]!) };
  return fail(
    ['healthcheck', 'test'],
    'expected ["CMD", "program", "arg"...], ["CMD-SHELL", "shell command"], ["NONE"] or a string for the shell',
  );
}

/** The provided endpoint a check asks: the one named, or the service's only tcp one. */
function checkedEndpoint(named: string | undefined, provides: readonly CompiledProvide[], path: string[], fail: Fail): string {
  const tcp = provides.filter((provide) => provide.protocol === 'tcp').map((provide) => provide.endpoint);
  if (named !== undefined) {
    if (!tcp.includes(named))
      fail(path, `the service provides no tcp endpoint "${named}" to check (it provides: ${tcp.join(', ') || 'none over tcp'})`);
    return named;
  }
  if (tcp.length === 1) return tcp[0]!;
  return fail(
    path,
    tcp.length === 0
      ? 'the service provides no tcp endpoint for an http check: use exec'
      : `the service provides ${tcp.join(', ')}: say which to check, e.g. port: ${tcp[0]}`,
  );
}
