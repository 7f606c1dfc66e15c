// SRV priorities by where the asker is, as dig gets them: disco started from a disco.yaml whose
// `dns.places` puts two loopback sources (dig -b) in two zones, endpoints provided over the protocol
// with `zone`, `dc` and `weight` attributes; and a host's DNS, whose askers are all in its place.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { loadYamlFile } from '../../src/config/yaml.ts';
import { HostDns } from '../../src/hostdns/host-dns.ts';
import { DiscoConfigSchema } from '../../src/server/config.ts';
import { discoConfig } from '../../src/server/disco-config.ts';
import { runDisco } from '../../src/server/run-disco.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { dig } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';
import { MemoryDisco } from '../helpers/memory-disco.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const NAME = '_http._tcp.web.shop.prod.disco';
const EAST = '127.0.0.2';
const WEST = '127.0.0.3';
const ELSEWHERE = '127.0.0.4';

/** SRV answers as `priority weight target`, sorted by priority then target: what a client acts on. */
const srv = async (port: number, source: string, ...extra: string[]) => {
  const reply = await dig(port, '-b', source, ...extra, NAME, 'SRV');
  expect(reply.status).toBe('NOERROR');
  return reply.answer
    .map((line) => line.split(' ').slice(4))
    .map(([priority, weight, , target]) => `${priority} ${weight} ${target}`)
    .sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : 1));
};

const endpoints: [host: string, attrs: Record<string, string>][] = [
  ['10.1.0.1', { zone: 'east-a', dc: 'east', weight: '3' }],
  ['10.1.0.2', { zone: 'east-b', dc: 'east' }],
  ['10.2.0.1', { az: 'west-a', dc: 'west', weight: 'heavy' }],
];

async function discoWithPlaces(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-dns-nearest-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'disco.yaml');
  writeFileSync(
    path,
    [
      'listen: 127.0.0.1:0',
      'dns:',
      '  listen: 127.0.0.1:0',
      '  places:',
      `    - { network: 127.0.0.0/8, dc: east }`,
      `    - { network: ${EAST}/32, zone: east-a, dc: east }`,
      `    - { network: ${WEST}/32, zone: west-a, dc: west }`,
      `    - { network: ${ELSEWHERE}/32, zone: north-a, dc: north }`,
      '',
    ].join('\n'),
  );
  const running = await runDisco(discoConfig({}, { path, config: loadYamlFile(path, DiscoConfigSchema) }), { logger: quietLogger });
  onCleanup(() => running.close());
  const client = await DiscoClient.connect({ ...parseHostPort(running.disco), name: 'test', logger: quietLogger });
  onCleanup(() => client.close());
  for (const [host, attrs] of endpoints) await client.provide({ name: 'http.web.shop.prod', host, port: 80, attrs });
  return parseHostPort(running.dnsAddress!, { anyPort: true }).port;
}

describe("disco's DNS, by the asker's source network", () => {
  it.each(['udp', 'tcp'])(
    'over %s, gives each zone its own endpoint the lowest priority, and weights from the attribute',
    async (transport) => {
      const port = await discoWithPlaces();
      const over = transport === 'tcp' ? ['+tcp'] : [];
      await eventuallyAsync(async () => (await srv(port, EAST, ...over)).length === 3, 5000, 'the three endpoints');
      // Twice each, the second from the reply cache, which keeps one reply per place.
      for (let round = 0; round < 2; round++) {
        expect(await srv(port, EAST, ...over)).toEqual([
          '10 3 10-1-0-1.addr.disco.',
          '20 1 10-1-0-2.addr.disco.',
          '30 1 10-2-0-1.addr.disco.',
        ]);
        expect(await srv(port, WEST, ...over)).toEqual([
          '10 1 10-2-0-1.addr.disco.',
          '30 1 10-1-0-2.addr.disco.',
          '30 3 10-1-0-1.addr.disco.',
        ]);
        // Only its dc known (the /8): the same dc first.
        expect(await srv(port, '127.0.0.9', ...over)).toEqual([
          '20 1 10-1-0-2.addr.disco.',
          '20 3 10-1-0-1.addr.disco.',
          '30 1 10-2-0-1.addr.disco.',
        ]);
        // A place with none of the endpoints: all in one tier.
        expect(await srv(port, ELSEWHERE, ...over)).toEqual([
          '30 1 10-1-0-2.addr.disco.',
          '30 1 10-2-0-1.addr.disco.',
          '30 3 10-1-0-1.addr.disco.',
        ]);
      }
    },
  );
});

describe("a host's DNS", () => {
  it("gives its own place's endpoints the lowest priority to everyone who asks it", async () => {
    const disco = new MemoryDisco();
    for (const [host, attrs] of endpoints) await disco.provide({ name: 'http.web.shop.prod', host, port: 80, attrs });
    const start = (place?: { zone: string; dc: string }) =>
      HostDns.start({
        network: { gateway: '127.0.0.1', subnet: '127.0.0.0/31' },
        port: 0,
        discovery: disco,
        zone: 'disco',
        upstreams: [],
        localEndpoints: () => [],
        holdMs: 0,
        logger: quietLogger,
        ...(place ? { place } : {}),
      });
    const west = await start({ zone: 'west-a', dc: 'west' });
    onCleanup(() => west.close());
    expect(await srv(west.port, WEST)).toEqual(['10 1 10-2-0-1.addr.disco.', '30 1 10-1-0-2.addr.disco.', '30 3 10-1-0-1.addr.disco.']);
    expect(await srv(west.port, EAST)).toEqual(['10 1 10-2-0-1.addr.disco.', '30 1 10-1-0-2.addr.disco.', '30 3 10-1-0-1.addr.disco.']);
    const nowhere = await start();
    onCleanup(() => nowhere.close());
    expect(await srv(nowhere.port, WEST)).toEqual(['1 1 10-1-0-2.addr.disco.', '1 1 10-2-0-1.addr.disco.', '1 3 10-1-0-1.addr.disco.']);
  });
});
