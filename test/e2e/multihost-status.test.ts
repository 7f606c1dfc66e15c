// `scs status` on the harness (scripts/harness): three hosts in two data centers, each agent a member
// of disco on h1, told apart by --dc and --zone. From h2, one screen shows every host by data center and
// zone, with what it runs and what each dependency points at; its time is printed (the target is
// under 200 ms; nothing here asserts it). `scs events` from h3 replays each agent joining and its
// steps; disco's HTTP listener, asked from h2 with the token, is ready, counts what is registered, and
// gives the web view the three hosts. A killed agent's member goes after disco's timeout and grace.

import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Member } from '../../src/protocol/member.ts';
import { collect } from '../helpers/cli.ts';
import {
  ADDRESS,
  DISCO,
  fetchFrom,
  HARNESS,
  type Host,
  harnessDown,
  harnessProblem,
  harnessUpWith,
  scsOkOn,
  scsOn,
  tokenFile,
} from '../helpers/harness.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const problem = harnessProblem();
const figure = (text: string) => console.info(`[multihost-status] ${text}`);
const PLACE: Record<Host, [string, string]> = { h1: ['dc-a', 'a1'], h3: ['dc-a', 'a3'], h2: ['dc-b', 'b1'] };

describe.skipIf(problem !== undefined)(`scs status on three hosts${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  let disco: ReturnType<typeof scsOn> | undefined;
  const files = (host: Host) => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, `${host}.yaml`)];
  const place = (host: Host) => ['--dc', PLACE[host][0], '--zone', PLACE[host][1]];
  /** The bundle (`npm run build`), as a user runs scs, on a host. */
  const bundled = (host: Host, args: string[]) =>
    collect(
      spawn(HARNESS, ['run', host, process.execPath, join(root, 'bin/scs.js'), ...args], {
        cwd: dir,
        env: { ...process.env, SCS_TOKEN_FILE: tokenFile(dir) },
      }),
    );
  const status = async (host: Host, ...args: string[]) => {
    const run = bundled(host, ['status', '--disco', DISCO, ...args]);
    expect(await run.exited, run.stderr).toBe(0);
    return run;
  };

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root });
    dir = mkdtempSync(join(tmpdir(), 'scs-multihost-status-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    for (const host of ['h1', 'h2', 'h3'] as const) writeFileSync(join(dir, `${host}.yaml`), `disco: ${DISCO}\n`);
    expect(await harnessUpWith(dir, 'hello', ['-f', join(dir, 'scs-stack.yaml')])).toHaveLength(2);
    // disco on h1, with one token that may do everything, observing included (scs status needs it).
    const config = join(dir, 'disco.yaml');
    writeFileSync(
      config,
      `tokens:\n  - tokenFile: ${tokenFile(dir)}\n    provide: ["*.*.*.*"]\n    require: ["*.*.*.*"]\n    observe: ["*.*.*.*"]\n`,
    );
    disco = scsOn(
      'h1',
      [
        ...['disco', '--config', config, '--listen', '0.0.0.0:9640', '--http', '0.0.0.0:9641'],
        ...['--heartbeat-interval', '1s', '--heartbeat-timeout', '3s', '--grace', '2s'],
      ],
      dir,
    );
    await eventually(() => `${disco!.stdout}${disco!.stderr}`.includes('listening on tcp'), 20_000, 'disco to listen on h1');
  }, 240_000);

  afterAll(async () => {
    await harnessDown(disco);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('shows every host by data center and zone, what each runs, and what the client points at', async () => {
    await scsOkOn('h1', ['up', '-d', 'web', ...place('h1'), ...files('h1')], dir);
    await scsOkOn('h3', ['up', '-d', 'web', ...place('h3'), ...files('h3')], dir);
    await scsOkOn('h2', ['up', '-d', 'client', ...place('h2'), ...files('h2')], dir);

    // The client's member says it was given both webs once its record has caught up.
    let members: Member[] = [];
    await eventuallyAsync(
      async () => {
        members = JSON.parse((await status('h2', '--json')).stdout) as Member[];
        const client = members.find((m) => m.host === 'h2')?.services.find((s) => s.service === 'client');
        return members.length === 3 && client?.requires[0]?.applied.length === 2 && client.requires[0].current.length === 2;
      },
      60_000,
      'three members, and the client given both webs',
    ).catch(async () => {
      throw new Error(`members: ${JSON.stringify(members)}`);
    });
    expect(members.map((m) => [m.attrs.dc, m.attrs.az, m.host, m.address, m.phase])).toEqual([
      ['dc-a', 'a1', 'h1', ADDRESS.h1, 'running'],
      ['dc-a', 'a3', 'h3', ADDRESS.h3, 'running'],
      ['dc-b', 'b1', 'h2', ADDRESS.h2, 'running'],
    ]);

    const text = (await status('h2')).stdout;
    figure(`scs status from h2:\n${text}`);
    expect(text).toMatch(
      /^data center dc-a, zone a1\n {2}host h1\n {4}hello\.dev \(project h1, 10\.201\.1\.11, scs [^)]+\): running\n {6}web {2}running/,
    );
    expect(text).toContain('data center dc-a, zone a3\n  host h3\n');
    expect(text).toContain('data center dc-b, zone b1\n  host h2\n');
    expect(text).toMatch(/requires http = http\.web\.hello\.dev: 10\.201\.1\.11:\d+, 10\.201\.1\.13:\d+\n/);

    // Its time, as a user runs it (the bundle): from h2, across the WAN (20 ms a round trip to disco),
    // and from h1, beside disco; next to the bundle's own start-up (`scs version`), which is no network.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const timed = async (host: Host, args: string[]) => {
      const started = performance.now();
      const run = bundled(host, args);
      let screen = 0;
      run.child.stdout.once('data', () => (screen = performance.now() - started));
      expect(await run.exited, run.stderr).toBe(0);
      const asked = /members from disco in ([\d.]+) ms/.exec(`${run.stdout}${run.stderr}`)?.[1];
      return { screen, exit: performance.now() - started, asked: asked === undefined ? Number.NaN : Number(asked) };
    };
    for (const host of ['h2', 'h1'] as const) {
      const runs = [];
      const startup = [];
      for (let i = 0; i < 5; i++) {
        startup.push((await timed(host, ['version'])).exit);
        runs.push(await timed(host, ['status', '--disco', DISCO, '--debug']));
      }
      const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
      figure(
        `scs status from ${host}, 3 members (median of 5; target under 200 ms): screen ${ms(runs.map((r) => r.screen))}, ` +
          `exit ${ms(runs.map((r) => r.exit))}; of it, connect to last page ${median(runs.map((r) => r.asked)).toFixed(1)} ms; ` +
          `scs version alone (node and the bundle) ${ms(startup)}; screens: ${runs.map((r) => r.screen.toFixed(0)).join(', ')} ms`,
      );
    }
  }, 180_000);

  it("replays the agents joining and their steps in scs events, and serves disco's readiness, metrics and web view to the token", async () => {
    const events = bundled('h3', ['events', '--disco', DISCO, '--since', '10m', '--until', new Date().toISOString(), '--json']);
    expect(await events.exited, events.stderr).toBe(0);
    const seen = events.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; name: string; reason: string; detail: string });
    const joined = seen.filter((e) => e.kind === 'member-joined').map((e) => e.detail.split(' ')[0]);
    expect(joined.sort()).toEqual(['h1', 'h2', 'h3']);
    expect(seen.filter((e) => e.kind === 'endpoint-added' && e.name === 'http.web.hello.dev')).toHaveLength(2);
    // The client's agent reported its steps (its container made and started) to the disco it joined.
    expect(seen.filter((e) => e.name === 'client.hello.dev').length).toBeGreaterThan(0);

    const bearer = { headers: { authorization: `Bearer ${readFileSync(tokenFile(dir), 'utf8').trim()}` } };
    const http = `http://${ADDRESS.h1}:9641`;
    expect(await fetchFrom('h2', `${http}/health`)).toEqual({ status: 200, text: 'ok\n' });
    expect((await fetchFrom('h2', `${http}/ready`)).status).toBe(401);
    expect(await fetchFrom('h2', `${http}/ready`, bearer)).toEqual({ status: 200, text: 'ready\n' });
    const metrics = await fetchFrom('h2', `${http}/metrics`, bearer);
    expect(metrics.text).toMatch(/^scs_disco_provisions 2$/m);
    const view = JSON.parse((await fetchFrom('h2', `${http}/v1/status`, bearer)).text) as { members: Member[] };
    expect(view.members.map((m) => m.host).sort()).toEqual(['h1', 'h2', 'h3']);
  }, 60_000);

  it("drops a killed agent's member after disco's heartbeat timeout and grace", async () => {
    const agent = /"pid":\s*(\d+)/.exec((await scsOkOn('h3', ['ps', '--json'], dir)).stdout)?.[1];
    expect(agent).toBeDefined();
    const killedAt = Date.now();
    process.kill(Number(agent), 'SIGKILL');
    await eventuallyAsync(
      async () => !(JSON.parse((await status('h2', '--json')).stdout) as Member[]).some((m) => m.host === 'h3'),
      30_000,
      "h3's member to go",
    );
    const gone = Date.now() - killedAt;
    figure(`a killed agent's member went ${gone} ms after the kill (grace 2 s; its socket closed at once)`);
    expect(gone).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});
