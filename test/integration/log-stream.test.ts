// Foreground `scs up` shows what the containers print, prefixed by service, and keeps following a
// service through a restart by Docker and a replacement by a new container. On the real daemon.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogStream } from '../../src/agent/log-stream.ts';
import { Engine, LABEL } from '../../src/docker/engine.ts';
import { scs, type Running } from '../helpers/cli.ts';
import { eventually } from '../helpers/disco.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const engine = new Engine();
const dockerProblem = await engine.ping().then(
  () => undefined,
  (error: Error) => error.message,
);
const TEST_LABEL = { 'scs.test': `log-stream-${process.pid}` };

describe.skipIf(dockerProblem !== undefined)(`container output on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  const created: string[] = [];
  let dir: string | undefined;
  const files = () => ['-f', join(dir!, 'scs-stack.yaml'), '-f', join(dir!, 'test.yaml')];

  const printer = async (name: string, script: string) => {
    const container = await engine.docker.createContainer({
      name,
      Image: 'scs-base:busybox',
      Cmd: ['sh', '-c', script],
      Labels: { ...TEST_LABEL, [LABEL.role]: 'printer' },
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
    const lines: string[] = [];
    const stream = new LogStream(engine, TEST_LABEL, { prefix: true, roles: ['printer', 'db'], write: (line) => lines.push(line) });
    await stream.start();
    try {
      const first = await printer(`scs-log-stream-a-${process.pid}`, 'echo "run at $(cat /proc/uptime)"; echo "to stderr" >&2; printf "no newline"; exec sleep 3600');
      await first.start();
      await eventually(() => lines.includes('printer | to stderr'), 15_000, 'the first run');
      expect(lines.filter((line) => line.startsWith('printer | run at '))).toHaveLength(1);
      expect(lines).not.toContain('printer | no newline'); // a partial line waits for its end

      // Docker restarts it (a crash, not a manual stop): the new run is followed, the old not repeated.
      await engine.exec(first.id, ['kill', '1'], {});
      await eventually(() => lines.filter((line) => line.startsWith('printer | run at ')).length === 2, 20_000, 'the second run');
      // The end of the first run prints what was left of it.
      await eventually(() => lines.includes('printer | no newline'), 15_000, 'the rest of the first run');

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
});
