// A spread service on the harness (scripts/harness): three hosts in three zones (h1 a1, h3 a3, h2 b1),
// each with its own Docker daemon, run hello's web with `replicas: 3` and `spread: zone` over the
// three zones. Each zone runs one instance; when h2's agent goes down, h1 and h3 take zone b1's share
// and `scs status` says web is under-spread; when h2 comes back, its instance goes back to it.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import type { Running } from '../helpers/cli.ts';
import { DISCO, engineOn, type Host, harnessDown, harnessProblem, harnessUpWith, scsOkOn, scsOn, startDisco } from '../helpers/harness.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const problem = harnessProblem();
const HOSTS: readonly Host[] = ['h1', 'h2', 'h3'];
const ZONE: Record<Host, string> = { h1: 'a1', h3: 'a3', h2: 'b1' };

describe.skipIf(problem !== undefined)(`a spread service on three hosts${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  let disco: Running | undefined;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'spread.yaml')];
  const up = (host: Host) => scsOkOn(host, ['up', '-d', 'web', '--zone', ZONE[host], ...files()], dir);
  /** How many instances of web run on each host, as its own Docker daemon lists them. */
  const counts = async () => {
    const per: Record<string, number> = {};
    for (const host of HOSTS)
      per[host] = (await engineOn(host).list({ [LABEL.stack]: 'hello', [LABEL.service]: 'web' })).filter(
        (c) => c.state === 'running',
      ).length;
    return per;
  };
  const settlesAt = async (want: Record<string, number>, what: string) => {
    let seen: Record<string, number> = {};
    await eventuallyAsync(
      async () => {
        seen = await counts();
        return HOSTS.every((host) => seen[host] === want[host]);
      },
      60_000,
      what,
    ).catch(() => {
      throw new Error(`${what}: instances per host ${JSON.stringify(seen)}`);
    });
  };
  const status = async () => {
    const run = scsOn('h1', ['status', '--disco', DISCO], dir);
    expect(await run.exited, run.stderr).toBe(0);
    return run.stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scs-spread-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(
      join(dir, 'spread.yaml'),
      `disco: ${DISCO}\nservices:\n  web:\n    replicas: 3\n    spread: { by: zone, over: [a1, a3, b1] }\n`,
    );
    await harnessUpWith(dir, 'hello', files());
    disco = await startDisco(dir);
  }, 240_000);

  afterAll(async () => {
    await harnessDown(disco);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("runs one instance in each zone, lets the others take a zone's share while it has no live host, and gives it back", async () => {
    for (const host of HOSTS) await up(host);
    await settlesAt({ h1: 1, h2: 1, h3: 1 }, 'one instance in each zone');
    await eventuallyAsync(async () => (await status()).includes('web.hello.dev by zone: 1 in a1, 1 in a3, 1 in b1\n'), 20_000, 'status');

    await scsOkOn('h2', ['down', ...files()], dir);
    const taken = async () => {
      const seen = await counts();
      return seen.h2 === 0 && seen.h1! + seen.h3! === 3 && seen.h1! >= 1 && seen.h3! >= 1;
    };
    await eventuallyAsync(taken, 60_000, "h1 and h3 to take zone b1's share");
    let text = '';
    await eventuallyAsync(async () => (text = await status()).includes('under-spread: no live host in zone b1'), 20_000, 'under-spread');
    expect(text).toMatch(/web\.hello\.dev by zone: (2 in a1, 1 in a3|1 in a1, 2 in a3); under-spread: no live host in zone b1/);

    await up('h2');
    await settlesAt({ h1: 1, h2: 1, h3: 1 }, 'the instance back in zone b1');
    expect(await status()).not.toContain('under-spread');
  }, 300_000);
});
