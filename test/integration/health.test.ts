// The stack file's health checks on the Docker Engine: an http check (busybox httpd serving a file the
// test deletes), a tcp check (its listener killed inside the container) and an exec check (a file
// it tests for), each run by the agent. disco's watchers see each instance dropped when its check
// fails and provided again when it passes; `scs ps` says why.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoClient, type Watch } from '../../src/client/client.ts';
import { LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const STACK = 'healthcheck';

// busybox httpd in the background (no -f), so its listener can go while the container runs on.
const IMAGE = [
  'from: scs-base:busybox',
  'build:',
  '  - run: mkdir -p /www && echo ok > /www/healthz',
  'provides:',
  '  http: { port: 8080 }',
  'command: "httpd -p 8080 -h /www && touch /tmp/ok && exec sleep 3600"',
  '',
].join('\n');

const STACK_FILE = [
  `name: ${STACK}`,
  'environment: test',
  'services:',
  '  web:',
  '    image: ./img',
  '    health: { http: /healthz, interval: 300ms, timeout: 1s, retries: 2 }',
  '  port:',
  '    image: ./img',
  '    health: { tcp: http, interval: 300ms, timeout: 1s, retries: 2 }',
  '  worker:',
  '    image: ./img',
  // Compose's form: the exec check.
  '    healthcheck: { test: [CMD, test, -f, /tmp/ok], interval: 300ms, timeout: 2s, retries: 2 }',
  '',
].join('\n');

describe.skipIf(dockerProblem !== undefined)(
  `health checks on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string | undefined;
    let server: DiscoServer | undefined;
    let watcher: DiscoClient | undefined;
    const disco = () => ['--disco', `127.0.0.1:${server!.address().port}`];
    const files = () => ['-f', join(dir!, 'scs-stack.yaml'), '--project-name', 'hctest', ...disco()];

    beforeAll(async () => {
      await run(join(root, 'scripts/base-image'));
      dir = mkdtempSync(join(tmpdir(), 'scs-health-'));
      mkdirSync(join(dir, 'img'));
      writeFileSync(join(dir, 'img/scs.yaml'), IMAGE);
      writeFileSync(join(dir, 'scs-stack.yaml'), STACK_FILE);
      // An external disco, which `scs status` and `scs events` ask too.
      server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 3000 });
    }, 120_000);

    afterAll(async () => {
      await watcher?.close();
      if (dir && server) await scs(['down', ...files()]).exited;
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('drops an instance whose check fails and provides it again once it passes, for http, tcp and exec', async () => {
      const up = scs(['up', '-d', ...files()]);
      expect(await up.exited, up.stderr).toBe(0);
      watcher = await DiscoClient.connect({ host: '127.0.0.1', port: server!.address().port, logger: quietLogger });
      const container = async (service: string) =>
        (await engine.list({ [LABEL.stack]: STACK, [LABEL.environment]: 'test', [LABEL.service]: service }))[0]!.id;
      const ps = async (service: string) => {
        const listed = scs(['ps', '--json', ...files()]);
        expect(await listed.exited).toBe(0);
        return JSON.parse(listed.stdout).services.find((s: { service: string }) => s.service === service).state as string;
      };
      const sh = async (service: string, command: string) => engine.exec(await container(service), ['sh', '-c', command], {});

      const cases: Array<{ service: string; fail: string; heal: string; why: RegExp }> = [
        {
          service: 'web',
          fail: 'rm /www/healthz',
          heal: 'echo ok > /www/healthz',
          why: /^running \(unhealthy: \d+ failures: status 404\)$/,
        },
        {
          service: 'port',
          fail: 'kill $(pidof httpd)',
          heal: 'httpd -p 8080 -h /www',
          why: /^running \(unhealthy: \d+ failures: connect ECONNREFUSED\)$/,
        },
        { service: 'worker', fail: 'rm /tmp/ok', heal: 'touch /tmp/ok', why: /^running \(unhealthy: \d+ failures: exit 1\)$/ },
      ];
      for (const { service, fail, heal, why } of cases) {
        const name = `http.${service}.${STACK}.test`;
        const watch: Watch = await watcher.require({ name });
        expect(watch.endpoints, `${service} provided at first`).toHaveLength(1);
        expect(await ps(service)).toBe('running (healthy)');

        await sh(service, fail);
        await eventually(() => watch.endpoints.length === 0, 20_000, `${service} dropped`);
        expect(await ps(service)).toMatch(why);
        // `scs status` reads the agent's member record.
        const status = scs(['status', ...disco()]);
        expect(await status.exited, status.stderr).toBe(0);
        expect(status.stdout).toMatch(new RegExp(`${service}\\s+running \\(unhealthy\\)`));

        await sh(service, heal);
        await eventually(() => watch.endpoints.length === 1, 20_000, `${service} provided again`);
        await watch.close();
      }

      // `scs events`: each drop and provide the checks caused, with its reason.
      const events = scs(['events', '--since', '10m', '--until', '0s', '--json', ...disco(), `*.*.${STACK}.test`]);
      expect(await events.exited, events.stderr).toBe(0);
      const steps = events.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .filter((event) => event.kind === 'step' && event.reason.startsWith('check-'))
        .map((event) => `${event.name.split('.')[0]} ${event.reason} ${event.detail}`);
      expect(steps).toEqual([
        expect.stringMatching(/^web check-failed drop \(its health check fails \(\d+ failures: status 404\)\)$/),
        'web check-passed provide (its health check passes again)',
        expect.stringMatching(/^port check-failed drop \(its health check fails \(\d+ failures: connect ECONNREFUSED\)\)$/),
        'port check-passed provide (its health check passes again)',
        expect.stringMatching(/^worker check-failed drop \(its health check fails \(\d+ failures: exit 1\)\)$/),
        'worker check-passed provide (its health check passes again)',
      ]);
    }, 180_000);
  },
);
