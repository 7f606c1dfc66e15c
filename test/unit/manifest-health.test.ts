// A service's health check in the stack file: scs's `health:` (http, tcp, exec) and Compose's
// `healthcheck:`, compiled to what the agent runs, with one sentence for each mistake.

import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../src/agent/spec.ts';
import { compileAt, project } from '../helpers/project.ts';

const IMAGE =
  'from: scs-base:busybox\ncommand: [httpd, -f]\nprovides: { http: { port: 80 }, admin: { port: 81 }, dns: { port: 53, protocol: udp } }\n';
const ONE =
  'from: scs-base:busybox\ncommand: [httpd, -f]\nprovides: { http: { port: 80 } }\nhealthcheck: { test: [wget, -q, localhost] }\n';
const IDENTITY = { stack: 'shop', environment: 'default', project: 'host-1', host: 'host-1' };

function compiled(health: string, image = ONE) {
  const dir = project({ 'scs-stack.yaml': `name: shop\nservices:\n  web:\n    image: ./img\n${health}`, 'img/scs.yaml': image });
  return compileAt(dir).services[0]!;
}

describe('health in the stack file', () => {
  it.each([
    [
      '    health: { http: /healthz, interval: 2s, timeout: 1s, retries: 5, start_period: 10s }\n',
      {
        probe: { kind: 'http', path: '/healthz', endpoint: 'http' },
        intervalMs: 2000,
        timeoutMs: 1000,
        retries: 5,
        startPeriodMs: 10_000,
        startIntervalMs: 250,
        flap: { changes: 3, withinMs: 60_000, holdMs: 30_000 },
      },
    ],
    ['    health: { tcp: http, interval: 100ms }\n', { probe: { kind: 'tcp', endpoint: 'http' }, intervalMs: 100, startIntervalMs: 100 }],
    [
      '    health: { exec: [mysqladmin, ping] }\n',
      { probe: { kind: 'exec', command: ['mysqladmin', 'ping'] }, intervalMs: 2000, timeoutMs: 2000, retries: 3 },
    ],
    ['    health: { exec: "test -f /ok" }\n', { probe: { kind: 'exec', command: ['/bin/sh', '-c', 'test -f /ok'] } }],
    ['    health: { http: /, flap: { changes: 5, within: 2m, hold: 10s } }\n', { flap: { changes: 5, withinMs: 120_000, holdMs: 10_000 } }],
    // Compose's keys, with Compose's defaults.
    [
      '    healthcheck: { test: [CMD, pg_isready, -q], start_period: 5s }\n',
      { probe: { kind: 'exec', command: ['pg_isready', '-q'] }, intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 5000 },
    ],
    [
      '    healthcheck: { test: [CMD-SHELL, "curl -f localhost || exit 1"] }\n',
      { probe: { kind: 'exec', command: ['/bin/sh', '-c', 'curl -f localhost || exit 1'] } },
    ],
    ['    healthcheck: { test: "curl -f localhost" }\n', { probe: { kind: 'exec', command: ['/bin/sh', '-c', 'curl -f localhost'] } }],
    ['    healthcheck: { test: [NONE] }\n', { probe: { kind: 'none' } }],
    ['    healthcheck: { disable: true }\n', { probe: { kind: 'none' } }],
    // No test: the image's own, with the timing given.
    ['    healthcheck: { interval: 5s }\n', { probe: { kind: 'exec', command: ['wget', '-q', 'localhost'] }, intervalMs: 5000 }],
  ])('%s', (text, expected) => {
    expect(compiled(text).health).toMatchObject(expected);
  });

  it('is absent when the stack file declares none: the image healthcheck is Docker’s', () => {
    expect(compiled('').health).toBeUndefined();
  });

  it.each([
    [
      '    health: { http: /, port: dns }\n',
      /health\.port: the service provides no tcp endpoint "dns" to check \(it provides: http, admin\)/,
    ],
    ['    health: { http: / }\n', /health\.port: the service provides http, admin: say which to check, e\.g\. port: http/],
    ['    health: { tcp: nope }\n', /health\.tcp: the service provides no tcp endpoint "nope"/],
    ['    health: { http: healthz }\n', /health\.http: expected a path like "\/healthz"/],
    ['    health: { http: /, exec: [true] }\n', /expected a health check like/],
    [
      '    health: { exec: ["true"] }\n    healthcheck: { test: [CMD, "true"] }\n',
      /web\.healthcheck: give either "health" or Compose's "healthcheck", not both/,
    ],
    ['    healthcheck: { test: [CMD] }\n', /healthcheck\.test: expected \["CMD", "program", "arg"\.\.\.\]/],
    ['    healthcheck: { test: [RUN, x] }\n', /healthcheck\.test: expected/],
  ])('refuses %s', (text, message) => {
    expect(() => compiled(text, IMAGE)).toThrow(message);
  });

  it('needs a test of its own in the Compose form when the image has none', () => {
    expect(() => compiled('    healthcheck: { interval: 5s }\n', IMAGE)).toThrow(/the image has no healthcheck of its own: give a test/);
  });

  it('is no part of the container: changing it never replaces the container', () => {
    const spec = (health: string) => containerSpec(compiled(health), IDENTITY, new Map());
    expect(spec('    health: { http: /a, interval: 1s }\n')).toEqual(spec('    health: { tcp: http, interval: 9s }\n'));
    expect(spec('    health: { http: /a }\n')).toEqual(spec(''));
  });
});
