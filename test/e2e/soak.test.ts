// The chaos soak (bench/soak.ts, `npm run soak`) for three minutes with a fixed seed, on the harness:
// three hosts in two data centers, etcd and disco on each, hello's web on h1 and h3 and its client on
// h2, faults drawn from the seed every few seconds. Any violation fails the test, with the table.

import { describe, expect, it } from 'vitest';
import { report, violationCount } from '../../bench/soak/report.ts';
import { soak } from '../../bench/soak/run.ts';
import { ETCD } from '../helpers/etcd-cluster.ts';
import { harnessProblem } from '../helpers/harness.ts';

const problem = harnessProblem() ?? (ETCD ? undefined : 'etcd is not installed (Debian etcd-server)');
const SEED = 28;

describe.skipIf(problem !== undefined)(`the chaos soak${problem ? ` (skipped: ${problem})` : ''}`, () => {
  it(`keeps every invariant through 3 minutes of faults (seed ${SEED})`, async () => {
    const outcome = await soak({ minutes: 3, seed: SEED, log: (line) => console.info(`[soak] ${line}`) });
    const table = report(outcome);
    console.info(table);
    expect(outcome.events.length).toBeGreaterThan(20);
    expect(outcome.verdict.checks.I1).toBeGreaterThan(1000);
    expect(violationCount(outcome), table).toBe(0);
  }, 600_000);
});
