// SRV answers by where the asker is, on the harness (scripts/harness): disco on h1 knows the hosts'
// networks as places (--dns-place: DC A's network is zone a-1, DC B's is zone b-1), a provider in
// each zone registers web's endpoint with its zone and dc, and dig on h3 (DC A) and on h2 (DC B)
// each get their own zone's endpoint at the lowest priority value.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../helpers/cli.ts';
import { ADDRESS, DISCO, type Host, harness, harnessDown, harnessProblem, scsOn, startDisco } from '../helpers/harness.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const problem = harnessProblem();
const NAME = '_http._tcp.web.shop.prod.disco';

/** The SRV answer dig gets on a host from disco's DNS, as `priority weight target`, lowest priority first. */
async function srvFrom(host: Host): Promise<string[]> {
  const out = await harness('run', host, 'dig', `@${ADDRESS.h1}`, '-p', '8600', '+norec', '+time=2', '+tries=2', NAME, 'SRV');
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(out)?.[1] ?? '';
  return answer
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/).slice(4))
    .map(([priority, weight, , target]) => `${priority} ${weight} ${target}`)
    .sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : 1));
}

describe.skipIf(problem !== undefined)(`nearest first in DNS, from two zones${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let dir: string;
  let disco: Running | undefined;
  const providers: Running[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scs-nearest-'));
    await harness('up');
    disco = await startDisco(dir, [
      '--dns',
      '0.0.0.0:8600',
      '--dns-place',
      '10.201.1.0/24,zone=a-1,dc=dc-a',
      '--dns-place',
      '10.201.2.0/24,zone=b-1,dc=dc-b',
    ]);
  }, 180_000);

  afterAll(async () => {
    for (const provider of providers) provider.child.kill('SIGINT');
    await harnessDown(disco);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("gives each zone's asker its own zone's endpoint at the lowest priority", async () => {
    // Each host provides web's endpoint at its own address, saying where it is, as an agent with --zone and --dc does.
    for (const [host, zone, dc, weight] of [
      ['h3', 'a-1', 'dc-a', '5'],
      ['h2', 'b-1', 'dc-b', '1'],
    ] as const) {
      const attrs = ['--attr', `zone=${zone}`, '--attr', `dc=${dc}`, '--attr', `weight=${weight}`];
      providers.push(scsOn(host, ['provide', 'http.web.shop.prod', `${ADDRESS[host]}:8080`, ...attrs, '--disco', DISCO], dir));
    }
    await eventuallyAsync(async () => (await srvFrom('h3')).length === 2, 30_000, 'both endpoints in DNS');
    const h3 = '10-201-1-13.addr.disco.';
    const h2 = '10-201-2-12.addr.disco.';
    expect(await srvFrom('h3')).toEqual([`10 5 ${h3}`, `30 1 ${h2}`]);
    expect(await srvFrom('h2')).toEqual([`10 1 ${h2}`, `30 5 ${h3}`]);
    // h1 is in DC A's network, so in zone a-1 too: the same answer as h3's.
    expect(await srvFrom('h1')).toEqual([`10 5 ${h3}`, `30 1 ${h2}`]);
  }, 120_000);
});
