// The DNS server's bookkeeping, asked through `handle` and `serialOf` with a made-up clock, no
// sockets: which zone's serial moves, and when a dropped name stops answering NODATA.

import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { RCODE, TYPE } from '../../dns/constants.ts';
import { DnsServer } from '../../dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { quietLogger } from '../helpers/disco.ts';
import { readReply, wireQuery } from '../helpers/dns.ts';

const peer = { udp: undefined as unknown as UdpSocket, to: { address: '127.0.0.1', port: 5353 } as RemoteInfo };

function setup(tombstoneMs = 30_000) {
  let now = 0;
  const registry = new Registry();
  const server = new DnsServer(registry, {
    port: 0,
    logger: quietLogger,
    clock: () => now,
    tombstoneMs,
    zones: [{ name: 'disco' }, { name: 'east.disco', filter: { az: 'east' } }],
  });
  const provide = (az: string) =>
    registry.provide({
      name: 'http.web.shop.prod',
      address: { host: '10.0.0.7', port: 80, protocol: 'tcp' },
      attributes: { az },
      owner: 't',
    });
  const rcode = (name: string) => readReply(server.handle(wireQuery(name, TYPE.A), peer)!).rcode;
  return { registry, server, provide, rcode, advance: (ms: number) => void (now += ms) };
}

describe('SOA serials', () => {
  it('are kept per zone: a change moves the serial of the zones that show it, and only theirs', () => {
    const { server, provide } = setup();
    const [all, east] = [server.serialOf('disco')!, server.serialOf('east.disco')!];
    provide('west');
    expect([server.serialOf('disco'), server.serialOf('east.disco.')]).toEqual([all + 1, east]);
    provide('east');
    expect([server.serialOf('disco'), server.serialOf('east.disco')]).toEqual([all + 2, east + 1]);
    expect(server.serialOf('west.disco')).toBeUndefined();
  });

  it('move once more when a dropped name stops existing, also for a caller that only reads the serial', () => {
    const { registry, server, provide, advance } = setup(1000);
    const start = server.serialOf('disco')!;
    const { provision } = provide('west');
    registry.drop(provision.id);
    expect(server.serialOf('disco')).toBe(start + 2);
    advance(1000);
    expect(server.serialOf('disco')).toBe(start + 3);
  });
});

describe('names that were dropped', () => {
  it('answer NODATA for the hold after their drop, however long they existed before it, then NXDOMAIN', () => {
    const { registry, provide, rcode, advance } = setup(30_000);
    const { provision } = provide('west');
    advance(60_000); // longer than the hold, before the drop
    registry.drop(provision.id);
    advance(29_000);
    expect(rcode('web.shop.prod.disco')).toBe(RCODE.noError);
    advance(1000);
    expect(rcode('web.shop.prod.disco')).toBe(RCODE.nxDomain);
  });
});
