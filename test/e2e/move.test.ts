// Placement as data on the harness (scripts/harness): every host's agent runs the same hello stack
// files, and placement picks which services each runs. `scs move` and `scs place`, run on any host,
// move them: web (no data) start-first under a client requesting it every 50 ms, the client (its
// volume stays on its host) only --without-data, stop-first. Each move is measured and printed.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import {
  ADDRESS,
  DISCO,
  engineOn,
  failedWindow,
  type Host,
  harnessDown,
  harnessProblem,
  harnessUpWith,
  probeFrom,
  readUpstream,
  scsOkOn,
  scsOn,
  startDisco,
  volumeFile,
  writeHostOverlays,
  writeMoveFiles,
} from '../helpers/harness.ts';
import { eventually } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const problem = harnessProblem();
const HOSTS: readonly Host[] = ['h1', 'h2', 'h3'];

const figure = (text: string) => console.info(`[move] ${text}`);

describe.skipIf(problem !== undefined)(`moves by placement on three hosts${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  let disco: ReturnType<typeof scsOn> | undefined;
  const files = (host: Host) => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'placed.yaml'), '-f', join(dir, `${host}.yaml`)];
  const run = (host: Host, ...args: string[]) => scsOkOn(host, args, dir);
  const where = async (service: string) => {
    const found: Host[] = [];
    for (const host of HOSTS) {
      const running = (await engineOn(host).list({ [LABEL.stack]: 'hello', [LABEL.service]: service })).filter(
        (c) => c.state === 'running',
      );
      if (running.length > 0) found.push(host);
    }
    return found;
  };
  const upstream = (host: Host) => volumeFile(host, 'hello-dev-client-state', 'upstream');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scs-move-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeHostOverlays(dir);
    writeMoveFiles(dir);
    expect(await harnessUpWith(dir, 'hello', ['-f', join(dir, 'scs-stack.yaml')])).toHaveLength(2);
    disco = await startDisco(dir);
    // The same files on every host, and no service named: placement picks what each runs. h3 first:
    // the client on h2 waits for web, placed on h3.
    for (const host of ['h3', 'h1', 'h2'] as const) await run(host, 'up', '-d', '--debounce', '100ms', ...files(host));
  }, 240_000);

  afterAll(async () => {
    await harnessDown(disco);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs each service where the stack files place it, and shows it in scs placement on any host', async () => {
    expect(await where('web')).toEqual(['h3']);
    expect(await where('client')).toEqual(['h2']);
    await eventually(() => readUpstream(upstream('h2')).startsWith(`${ADDRESS.h3}:`), 20_000, 'the client to use web on h3');
    const placement = await run('h1', 'placement', '--json', '--disco', DISCO, '*.*.hello.dev');
    expect(JSON.parse(placement.stdout)).toMatchObject([
      { service: 'client.hello.dev', placedOn: 'host h2', cause: 'files', runsOn: ['h2'], data: 'stays' },
      { service: 'web.hello.dev', placedOn: 'host h3', cause: 'files', runsOn: ['h3'] },
    ]);
  }, 60_000);

  it('moves web from h3 to h1 with scs move run on h2, start-first: no failed request', async () => {
    const probe = probeFrom('h2', upstream('h2'));
    await eventually(() => probe.results.some((result) => result.ok), 10_000, 'a first request');
    const started = Date.now();
    await run('h2', 'move', 'web', '--to', 'h1', ...files('h2'));
    const tookMs = Date.now() - started;
    await eventually(() => readUpstream(upstream('h2')).startsWith(`${ADDRESS.h1}:`), 20_000, 'the client to follow web to h1');
    await eventually(() => probe.results.filter((r) => r.upstream.startsWith(ADDRESS.h1)).length >= 5, 10_000, 'requests to web on h1');
    await probe.stop();
    const move = failedWindow(probe.results);
    const failed = probe.results.filter((result) => !result.ok).map((result) => `${result.at} ${result.upstream || '(none)'}`);
    figure(
      `scs move web h3 → h1 (start-first): ${move.failures} failed requests (every 50 ms) over ${move.windowMs} ms; the command took ${tookMs} ms`,
    );
    expect(move.failures, failed.join('; ')).toBe(0);
    expect(await where('web')).toEqual(['h1']);
  }, 180_000);

  it('refuses at once a move of the client, whose data stays on h2, and one to a host with no agent', async () => {
    const data = scsOn('h1', ['move', 'client', '--to', 'h1', ...files('h1')], dir);
    expect(await data.exited).toBe(1);
    expect(data.stderr).toContain('client keeps its data in a volume of the host it runs on, which cannot follow it');
    const nowhere = scsOn('h1', ['move', 'web', '--to', 'h4', ...files('h1')], dir);
    expect(await nowhere.exited).toBe(1);
    expect(nowhere.stderr).toContain('no agent of hello.dev is up on host h4 (hosts up: h1, h2, h3)');
    const stale = scsOn('h1', ['up', '-d', 'client', ...files('h1')], dir);
    expect(await stale.exited).toBe(1);
    expect(stale.stderr).toContain('client is placed on host h2 by the stack files');
    expect(await where('client')).toEqual(['h2']);
  }, 60_000);

  it('puts everything on h1 for quiet hours with scs place, and back to the day layout', async () => {
    let started = Date.now();
    await run('h3', 'place', join(dir, 'quiet.yaml'), ...files('h3'));
    const quietMs = Date.now() - started;
    expect(await where('web')).toEqual(['h1']);
    expect(await where('client')).toEqual(['h1']);
    await eventually(() => readUpstream(upstream('h1')).startsWith(`${ADDRESS.h1}:`), 20_000, 'the client on h1 to use web on h1');

    started = Date.now();
    await run('h1', 'place', join(dir, 'day.yaml'), ...files('h1'));
    const dayMs = Date.now() - started;
    expect(await where('web')).toEqual(['h3']);
    expect(await where('client')).toEqual(['h2']);
    await eventually(() => readUpstream(upstream('h2')).startsWith(`${ADDRESS.h3}:`), 20_000, 'the client on h2 to use web on h3');
    figure(`scs place: quiet hours (web and client onto h1) took ${quietMs} ms; back to the day layout ${dayMs} ms`);
  }, 240_000);
});
