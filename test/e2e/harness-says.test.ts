// scripts/harness up says what it does while it works (it takes 20 s and more), one line a step on
// stderr, and still prints the hosts it made on stdout. Run under both locks (docs/testing.md).

import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../helpers/cli.ts';
import { HARNESS, harness, harnessProblem } from '../helpers/harness.ts';

const problem = harnessProblem();

describe.skipIf(problem !== undefined)(`scripts/harness up${problem ? ` (skipped: ${problem})` : ''}`, () => {
  afterAll(async () => {
    await harness('down');
  }, 120_000);

  it('says each step as it comes, then lists the hosts', async () => {
    const up = collect(spawn(HARNESS, ['up']));
    expect(await up.exited, up.stderr).toBe(0);
    const said = up.stderr.split('\n').filter((line) => line.startsWith('harness: '));
    expect(said).toEqual([
      'harness: removing what an earlier run left',
      expect.stringMatching(/^harness: making the routers of DC A and DC B, and the WAN link between them \(\d+ ms each way\)$/),
      'harness: making the hosts h1 h2 h3',
      expect.stringMatching(/^harness: starting a dockerd on each host/),
      'harness: dockerd on h1 is up',
      'harness: dockerd on h2 is up',
      'harness: dockerd on h3 is up',
      "harness: loading images into each host's dockerd: scs-base:busybox",
    ]);
    expect(up.stdout).toMatch(/h1\s+scsmh-h1: 10\.201\.1\.11/);
  }, 180_000);
});
