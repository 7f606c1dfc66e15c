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
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
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
    let dir: string;
    let watcher: DiscoClient | undefined;
    const files = () => ['-f', join(dir, 'scs-stack.yaml')];

    beforeAll(async () => {
      await run(join(root, 'scripts/base-image'));
      dir = mkdtempSync(join(tmpdir(), 'scs-health-'));
      mkdirSync(join(dir, 'img'));
      writeFileSync(join(dir, 'img/scs.yaml'), IMAGE);
      writeFileSync(join(dir, 'scs-stack.yaml'), STACK_FILE);
    }, 120_000);

    afterAll(async () => {
      await watcher?.close();
      if (!dir) return;
      await scs(['down', ...files()]).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('drops an instance whose check fails and provides it again once it passes, for http, tcp and exec', async () => {
      const up = scs(['up', '-d', ...files()]);
      expect(await up.exited, up.stderr).toBe(0);
      const state = agentState(STACK)!;
      const [host, port] = state.disco.split(':');
      watcher = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger });
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

        await sh(service, heal);
        await eventually(() => watch.endpoints.length === 1, 20_000, `${service} provided again`);
        await watch.close();
      }
    }, 180_000);
  },
);
