// Placement as data, on one machine: two agents of the hello stack, each in its own UTS namespace
// so that each has its own host name (pm-a, pm-b), share one real disco and one Docker daemon. The
// stack file places web on pm-a; `scs move` moves it to pm-b from outside either agent, with a
// dependent requesting it every 50 ms through what disco says; the client, whose volume stays on
// its host, is one writer: claimed by the first agent, refused to the second in one sentence.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { Engine, LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { collect, SCS, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const problem = dockerProblem ?? (process.getuid?.() === 0 ? undefined : 'unshare --uts needs root');
const HOSTS = ['pm-a', 'pm-b'] as const;
type Host = (typeof HOSTS)[number];

describe.skipIf(problem !== undefined)(`scs move between two agents${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  let server: DiscoServer;
  const engine = new Engine();
  const disco = () => `127.0.0.1:${server.address().port}`;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'placed.yaml'), '--disco', disco()];
  /** `scs ARGS` on `host`: in a UTS namespace of its own, whose host name is `host`; an agent it starts stays there. */
  const scsOn = (host: Host, args: string[]) =>
    collect(
      spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', host, process.execPath, SCS, ...args, '--project-name', host], {
        cwd: dir,
      }),
    );
  const ok = async (running: ReturnType<typeof scs>) => {
    expect(await running.exited, `${running.stdout}\n${running.stderr}`).toBe(0);
    return running;
  };
  const containersOf = async (service: string) =>
    (await engine.list({ [LABEL.stack]: 'hello', [LABEL.service]: service }))
      .filter((c) => c.state === 'running')
      .map((c) => c.labels[LABEL.agent]);

  beforeAll(async () => {
    server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 5000 });
    dir = mkdtempSync(join(tmpdir(), 'scs-placement-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(join(dir, 'placed.yaml'), 'dns: none\nservices:\n  web:\n    placement: pm-a\n');
    await ok(scsOn('pm-a', ['up', '-d', ...files()]));
    await ok(scsOn('pm-b', ['up', '-d', ...files()]));
  }, 180_000);

  afterAll(async () => {
    for (const host of HOSTS) await scsOn(host, ['down', ...files()]).exited;
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs web where the stack file places it, and the client, which keeps data, on the agent that claimed it first', async () => {
    expect(await containersOf('web')).toEqual(['pm-a']);
    expect(await containersOf('client')).toEqual(['pm-a']);
    const placement = await ok(scs(['placement', '--json', '--disco', disco(), '*.*.hello.dev']));
    const rows = JSON.parse(placement.stdout) as Array<{
      service: string;
      placedOn: string;
      cause: string;
      runsOn: string[];
      data?: string;
    }>;
    expect(rows.map(({ service, placedOn, cause, runsOn, data }) => [service, placedOn, cause, runsOn.join(','), data ?? ''])).toEqual([
      ['client.hello.dev', 'host pm-a', 'claim', 'pm-a', 'stays'],
      ['web.hello.dev', 'host pm-a', 'files', 'pm-a', ''],
    ]);
  }, 60_000);

  it('moves web to pm-b with scs move, from outside either agent, and a dependent sees no failed request', async () => {
    const probe = await probeWeb(disco());
    try {
      await eventually(() => probe.results.some((result) => result.ok), 10_000, 'a first request to web');
      const moved = await ok(scs(['move', 'web.hello.dev', '--to', 'pm-b', '--disco', disco()]));
      expect(moved.stderr).toContain('web.hello.dev: moved to host pm-b');
      expect(await containersOf('web')).toEqual(['pm-b']);
      await eventually(() => probe.results.filter((result) => result.port === probe.port()).length >= 5, 10_000, 'requests to web on pm-b');
    } finally {
      await probe.stop();
    }
    const failed = probe.results.filter((result) => !result.ok);
    console.info(
      `[placement] web moved pm-a → pm-b with scs move: ${failed.length} failed of ${probe.results.length} requests (every 50 ms)`,
    );
    expect(new Set(probe.results.map((result) => result.port)).size).toBe(2);
    expect(failed, JSON.stringify(failed)).toEqual([]);
  }, 120_000);

  it('keeps web where it was moved when pm-a starts again with the same files', async () => {
    await ok(scsOn('pm-a', ['down', ...files()]));
    const up = await ok(scsOn('pm-a', ['up', '-d', ...files()]));
    expect(`${up.stdout}${up.stderr}`).toContain('web is placed on host pm-b by `scs move`');
    expect(await containersOf('web')).toEqual(['pm-b']);
  }, 120_000);

  it('refuses a second copy of the client, which keeps its data on pm-a, and a move that would leave the data behind', async () => {
    const up = scsOn('pm-b', ['up', '-d', 'client', ...files()]);
    expect(await up.exited).toBe(1);
    expect(up.stderr).toContain(
      'client is placed on host pm-a where its data is: `scs move client --to pm-b` moves it here',
    );
    const move = scs(['move', 'client.hello.dev', '--to', 'pm-b', '--disco', disco()]);
    expect(await move.exited).toBe(1);
    expect(move.stderr).toContain(
      'client keeps its data in a volume of the host it runs on, which cannot follow it: move it with --without-data',
    );
    expect(await containersOf('client')).toEqual(['pm-a']);
  }, 60_000);

  it('refuses a move to a host with no agent of the stack, at once', async () => {
    const move = scs(['move', 'web.hello.dev', '--to', 'pm-z', '--disco', disco()]);
    expect(await move.exited).toBe(1);
    expect(move.stderr).toContain('no agent of hello.dev is up on host pm-z (hosts up: pm-a, pm-b)');
  }, 30_000);
});

/** A dependent of web: follows its endpoint through disco, as a live update would, and requests it every 50 ms. */
async function probeWeb(disco: string) {
  const [host, port] = disco.split(':');
  const client = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger, name: 'placement probe' });
  let current: { host: string; port: number } | undefined;
  const watch = await client.require({ name: 'http.web.hello.dev' }, () => {
    current = watch.endpoints[0];
  });
  current = watch.endpoints[0];
  const results: Array<{ ok: boolean; port: number | undefined; at: number }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const endpoint = current;
      const ok = endpoint !== undefined && (await get(endpoint.host, endpoint.port));
      results.push({ ok, port: endpoint?.port, at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    results,
    port: () => current?.port,
    async stop() {
      stopped = true;
      await loop;
      await client.close();
    },
  };
}

function get(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
