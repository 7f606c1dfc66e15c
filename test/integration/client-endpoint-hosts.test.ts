// Issue 26 §16: the client looks again at every endpoint host the server sends (require replies,
// pushes, resyncs, list pages), and leaves out, with a warning, one that is neither an IP address
// nor a DNS name: a host holding a quote and a newline once reached SCS_REQUIRE_*_HOST.

import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../helpers/logging.ts';
import { connected, ep, fakeDisco, hosts, watching } from './client-fixture.ts';

const HOSTILE = 'db"\nSCS_REQUIRE_X=evil';

describe('endpoint hosts from the server', () => {
  it('leaves a hostile host out of a require reply, a push and a resync, with a warning each', async () => {
    const log = recordingLogger();
    const fake = await fakeDisco();
    const { client, first } = await connected(fake, {}, { logger: log.logger });
    const { watch, events } = await watching(client, first, 'r1', [ep('p1', '10.0.0.5'), ep('p2', HOSTILE)]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);

    first.send({ op: 'changed', sub: 'r1', seq: 1, add: [ep('p3', '1.2.3'), ep('p4', 'db-2.example.com')], drop: [] });
    expect(await first.op('ack', (m) => m.seq === 1)).toMatchObject({ sub: 'r1', seq: 1 });
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5', 'db-2.example.com']);
    expect(hosts(events.at(-1)!.add)).toEqual(['db-2.example.com']);

    first.send({ op: 'resync', sub: 'r1', seq: 2, endpoints: [ep('p5', '10.0.0.01'), ep('p1', '10.0.0.5')] });
    expect(await first.op('ack', (m) => m.seq === 2)).toMatchObject({ sub: 'r1', seq: 2 });
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);

    const warned = log.lines('warn').filter((line) => line.includes('is not an IP address or a DNS name; leaving it out'));
    expect(warned).toHaveLength(3);
    expect(warned[0]).toContain(JSON.stringify(HOSTILE));
  });

  it('leaves a hostile host out of a list page', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const listing = client.list();
    await first.answer('list', { endpoints: [ep('p1', HOSTILE), ep('p2', '::1'), ep('p3', '1.2.3')] });
    expect(hosts(await listing)).toEqual(['::1']);
  });
});
