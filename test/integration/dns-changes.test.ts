// What a registry change does to answers: the DNS-SD type list follows it, the SOA serial moves
// with it (and only in the zones that show it), the cache stays within its size, and classes
// other than IN and ANY are refused whatever the registry holds.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, sampleRegistry, startDns } from '../helpers/dns.ts';

let registry: Registry;
let server: DnsServer;
let port: number;

beforeEach(async () => {
  registry = sampleRegistry();
  ({ server, port } = await startDns(registry, { zones: [{ name: 'disco' }, { name: 'east.disco', filter: { az: 'us-east-1a' } }] }));
});
afterEach(() => server.close());

const provide = (name: string, host: string, attributes: Record<string, string> = {}) =>
  registry.provide({ name, address: { host, port: 80, protocol: 'tcp' }, attributes, owner: 'changes' }).provision;

const serialIn = (line: string | undefined) => Number(line?.split(' ')[6]);

describe('_services._dns-sd._udp', () => {
  it('lists a new service type at once, and forgets it when its last endpoint drops', async () => {
    const services = async () => (await dig(port, '_services._dns-sd._udp.disco', 'PTR')).answer;
    const before = await services(); // Cached from here on.
    expect(before).toHaveLength(2);
    const added = provide('grpc.search.shop.prod', '10.0.4.1');
    expect(await services()).toEqual([...before, '_services._dns-sd._udp.disco. 5 IN PTR _grpc._tcp.search.shop.prod.disco.'].sort());
    registry.drop(added.id);
    expect(await services()).toEqual(before);
  });
});

describe('the SOA serial', () => {
  it('starts at the server start time, in seconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const fresh = await startDns(new Registry());
    const after = Math.floor(Date.now() / 1000);
    try {
      const serial = serialIn((await dig(fresh.port, 'disco', 'SOA')).answer[0]);
      expect(serial).toBeGreaterThanOrEqual(before);
      expect(serial).toBeLessThanOrEqual(after);
    } finally {
      await fresh.server.close();
    }
  });

  it('moves by one with every change a zone shows, in every answer that carries it, cached or not', async () => {
    const read = async () => ({
      apex: serialIn((await dig(port, 'disco', 'SOA')).answer[0]),
      nxdomain: serialIn((await dig(port, 'nothing.at.all.disco', 'A')).authority[0]),
      nodata: serialIn((await dig(port, 'blog.prod.disco', 'TXT')).authority[0]),
      east: serialIn((await dig(port, 'east.disco', 'SOA')).answer[0]),
    });
    const start = await read(); // Every one of these replies is cached now.
    expect(new Set([start.apex, start.nxdomain, start.nodata]).size).toBe(1);

    const west = provide('api.svc.serial.prod', '10.0.5.1', { az: 'us-west-2a' });
    expect(await read()).toEqual({ apex: start.apex + 1, nxdomain: start.apex + 1, nodata: start.apex + 1, east: start.east });
    const east = provide('api.svc.serial.prod', '10.0.5.2', { az: 'us-east-1a' });
    expect(await read()).toEqual({ apex: start.apex + 2, nxdomain: start.apex + 2, nodata: start.apex + 2, east: start.east + 1 });
    registry.drop(west.id);
    registry.drop(east.id);
    expect(await read()).toEqual({ apex: start.apex + 4, nxdomain: start.apex + 4, nodata: start.apex + 4, east: start.east + 2 });
    expect(server.serialOf('disco')).toBe(start.apex + 4);
  });

  it('stays put while nothing changes', async () => {
    const first = serialIn((await dig(port, 'disco', 'SOA')).answer[0]);
    await dig(port, 'db.blog.prod.disco', 'A');
    expect(serialIn((await dig(port, 'nothing.disco', 'A')).authority[0])).toBe(first);
    expect(serialIn((await dig(port, '+tcp', 'disco', 'SOA')).answer[0])).toBe(first);
  });
});

describe('the reply cache', () => {
  it('keeps at most cacheEntries replies, evicting the oldest, and answers correctly after', async () => {
    const small = await startDns(sampleRegistry(), { cacheEntries: 3 });
    try {
      const first = await dig(small.port, 'db.blog.prod.disco', 'A');
      for (const name of ['web.blog.prod.disco', 'blog.prod.disco', 'prod.disco', 'disco', 'nothing.disco']) {
        await dig(small.port, name, 'A');
        expect(small.server.cache.size).toBeLessThanOrEqual(3);
      }
      expect(small.server.cache.size).toBe(3);
      expect((await dig(small.port, 'db.blog.prod.disco', 'A')).answer).toEqual(first.answer);
    } finally {
      await small.server.close();
    }
  });
});

describe('classes', () => {
  it.each(['CH', 'HS', 'CLASS42'])('refuses class %s inside the zones', async (klass) => {
    for (const [name, type] of [
      ['disco', 'SOA'],
      ['db.blog.prod.disco', 'A'],
      ['nothing.disco', 'A'],
    ] as const) {
      const r = await dig(port, '-c', klass, name, type);
      expect(r.status, `${name} ${type}`).toBe('REFUSED');
      expect(r.answer).toEqual([]);
      expect(r.flags).not.toContain('aa');
    }
  });

  it('answers class ANY like IN', async () => {
    const r = await dig(port, '-c', 'ANY', 'db.blog.prod.disco', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual(['db.blog.prod.disco. 5 IN A 10.0.0.5', 'db.blog.prod.disco. 5 IN A 10.0.0.6']);
  });
});
