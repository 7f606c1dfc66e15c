// Foreground `scs up` shows what the containers print, prefixed by service, and keeps following a
// service through a restart by Docker and a replacement by a new container. On the real daemon.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogStream } from '../../src/agent/log-stream.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TEST_LABEL = { 'scs.test': `log-stream-${process.pid}` };

describe.skipIf(dockerProblem !== undefined)(
  `container output on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    const created: string[] = [];
    let dir: string | undefined;
    const files = () => ['-f', join(dir!, 'scs-stack.yaml'), '-f', join(dir!, 'test.yaml')];

    const printer = async (name: string, script: string, service = 'printer') => {
      const container = await engine.docker.createContainer({
        name,
        Image: 'scs-base:busybox',
        Cmd: ['sh', '-c', script],
        Labels: { ...TEST_LABEL, [LABEL.service]: service },
        HostConfig: { Init: true, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 } },
      });
      created.push(container.id);
      return container;
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scs-logs-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'test.yaml'), `environment: logs${process.pid}\n`);
    });

    afterAll(async () => {
      for (const id of created) await engine.remove(id);
      if (!dir) return;
      await scs(['down', '--volumes', ...files()]).exited;
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('follows each run of a container, and the container that replaces it', async () => {
      // Running before the stream starts: its past is not replayed, what it prints from now on is shown.
      const veteran = await printer(
        `scs-log-stream-v-${process.pid}`,
        'echo from-the-past; while true; do echo tick; sleep 0.2; done',
        'veteran',
      );
      await veteran.start();
      await eventuallyAsync(async () => (await engine.tail(veteran.id, 50)).includes('from-the-past'), 15_000, 'the veteran to print');
      await sleep(50); // past the veteran's first line on the clock

      const lines: string[] = [];
      const stream = new LogStream(engine, TEST_LABEL, { prefix: true, services: ['printer', 'db'], write: (line) => lines.push(line) });
      await stream.start();
      try {
        await eventually(() => lines.includes('veteran | tick'), 15_000, 'the veteran’s new output');
        expect(lines.some((line) => line.includes('from-the-past'))).toBe(false);
        await engine.remove(veteran.id);

        const first = await printer(
          `scs-log-stream-a-${process.pid}`,
          'echo "run at $(cat /proc/uptime)"; echo "to stderr" >&2; exec sleep 3600',
        );
        await first.start();
        await eventually(() => lines.includes('printer | to stderr'), 15_000, 'the first run');
        expect(lines.filter((line) => line.startsWith('printer | run at '))).toHaveLength(1);

        // Docker restarts it (a crash, not a manual stop): the new run is followed, the old not repeated.
        await engine.exec(first.id, ['kill', '1'], {});
        await eventually(() => lines.filter((line) => line.startsWith('printer | run at ')).length === 2, 20_000, 'the second run');

        // A new container for the same service: followed too.
        await engine.remove(first.id);
        const second = await printer(`scs-log-stream-b-${process.pid}`, 'echo replacement here; exec sleep 3600');
        await second.start();
        await eventually(() => lines.includes('printer | replacement here'), 15_000, 'the replacement');
        expect(lines.filter((line) => line.startsWith('printer | run at '))).toHaveLength(2);
      } finally {
        stream.stop();
      }
    }, 90_000);

    const foreground = async (extra: string[], until: (up: Running) => boolean) => {
      const up = scs(['up', ...extra, ...files()]);
      try {
        await eventually(() => until(up) || up.child.exitCode !== null, 90_000, 'the stack to come up');
      } finally {
        up.child.kill('SIGINT');
        await up.exited;
      }
      return up;
    };

    it('scs up in the foreground prefixes each line by its service; --no-log-prefix and --no-logs', async () => {
      const prefixed = await foreground([], (up) => /^client +\| client started, upstream: \S+:\d+$/m.test(up.stdout));
      expect(prefixed.stdout).toMatch(/^client +\| client started, upstream: \S+:\d+$/m);
      expect(prefixed.stdout).toMatch(/^client +\| \d\d:\d\d:\d\d hello from scs/m);

      const plain = await foreground(['--no-log-prefix'], (up) => /^client started, upstream: /m.test(up.stdout));
      expect(plain.stdout).toMatch(/^client started, upstream: \S+:\d+$/m);
      expect(plain.stdout).not.toMatch(/^client +\|/m);

      const quiet = await foreground(['--no-logs'], (up) => /hello is up/.test(up.stdout + up.stderr));
      expect(quiet.stdout + quiet.stderr).toMatch(/hello is up/);
      expect(quiet.stdout).not.toMatch(/client started/);
    }, 300_000);
  },
);
