// Placement as data, on one machine: two agents of the hello stack, each in its own UTS namespace
// so that each has its own host name (pm-a, pm-b), share one real disco and one Docker daemon. The
// stack file places web on pm-a; the client, whose volume stays on its host, is one writer: claimed
// by the first agent, refused to the second in one sentence, moved only --without-data, stop-first.
// (A move of web, start-first, needs two daemons, as two hosts have: test/e2e/move.test.ts.)

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { collect, SCS, scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem } from '../helpers/docker.ts';

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
      .map((c) => c.labels[LABEL.agent] ?? '?');

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
    // --dry-run on pm-b plans what up there did: nothing, and says why.
    const plan = await ok(scsOn('pm-b', ['up', '--dry-run', ...files()]));
    expect(plan.stdout).toBe(
      [
        'web: nothing to do here (web is placed on host pm-a by the stack files: `scs move web --to pm-b` moves it here)',
        'client: nothing to do here (client is placed on host pm-a where its data is: `scs move client --to pm-b` moves it here)',
        '',
      ].join('\n'),
    );
  }, 60_000);

  it('places a move back when the new host cannot start the service, and says why; the old host never stopped serving', async () => {
    // Two agents on one daemon name their containers alike: while pm-a's web runs, pm-b cannot create
    // its own, a real failure to start on the new host (on two hosts, two daemons, it would start).
    const move = scs(['move', 'web.hello.dev', '--to', 'pm-b', '--timeout', '60s', '--disco', disco()]);
    expect(await move.exited).toBe(1);
    expect(move.stderr).toContain('web.hello.dev was not moved to host pm-b: on host pm-b it is failed');
    expect(`${move.stdout}${move.stderr}`).toContain('placing it back on host pm-a');
    expect(await containersOf('web')).toEqual(['pm-a']);
    const placement = await ok(scs(['placement', '--json', '--disco', disco(), '*.web.hello.dev']));
    expect(JSON.parse(placement.stdout)).toMatchObject([{ service: 'web.hello.dev', placedOn: 'host pm-a', cause: 'rollback' }]);
  }, 120_000);

  it('refuses a second copy of the client, which keeps its data on pm-a, and a move that would leave the data behind', async () => {
    const up = scsOn('pm-b', ['up', '-d', 'client', ...files()]);
    expect(await up.exited).toBe(1);
    expect(up.stderr).toContain('client is placed on host pm-a where its data is: `scs move client --to pm-b` moves it here');
    const move = scs(['move', 'client.hello.dev', '--to', 'pm-b', '--disco', disco()]);
    expect(await move.exited).toBe(1);
    expect(move.stderr).toContain(
      'client keeps its data in a volume of the host it runs on, which cannot follow it: move it with --without-data',
    );
    expect(await containersOf('client')).toEqual(['pm-a']);
  }, 60_000);

  it('moves the client to pm-b without its data, stop-first: never two copies at once, and it stays moved when pm-a starts again', async () => {
    const seen: string[][] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push(await containersOf('client'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      const moved = await ok(scs(['move', 'client.hello.dev', '--to', 'pm-b', '--without-data', '--disco', disco()]));
      expect(`${moved.stdout}${moved.stderr}`).toContain('client.hello.dev: moved to host pm-b');
    } finally {
      watching = false;
      await watch;
    }
    expect(await containersOf('client')).toEqual(['pm-b']);
    // One writer: pm-a let go of it before pm-b started it.
    expect(seen.filter((running) => running.length > 1)).toEqual([]);
    expect(seen.some((running) => running.length === 0)).toBe(true);

    // A plain `scs up -d` on pm-a, with the same files, does not bring the old copy back.
    await ok(scsOn('pm-a', ['down', ...files()]));
    await ok(scsOn('pm-a', ['up', '-d', ...files()]));
    expect(await containersOf('client')).toEqual(['pm-b']);
    const named = scsOn('pm-a', ['up', '-d', 'client', ...files()]);
    expect(await named.exited).toBe(1);
    expect(named.stderr).toContain('client is placed on host pm-b by `scs move`: `scs move client --to pm-a` moves it here');
    const placement = await ok(scs(['placement', '--json', '--disco', disco(), '*.*.hello.dev']));
    expect(JSON.parse(placement.stdout)).toMatchObject([
      { service: 'client.hello.dev', placedOn: 'host pm-b', cause: 'move', runsOn: ['pm-b'], data: 'stays' },
      { service: 'web.hello.dev', placedOn: 'host pm-a', cause: 'rollback', runsOn: ['pm-a'] },
    ]);
  }, 180_000);

  it('refuses a move to a host with no agent of the stack, at once', async () => {
    const move = scs(['move', 'web.hello.dev', '--to', 'pm-z', '--disco', disco()]);
    expect(await move.exited).toBe(1);
    expect(move.stderr).toContain('no agent of hello.dev is up on host pm-z (hosts up: pm-a, pm-b)');
  }, 30_000);
});
