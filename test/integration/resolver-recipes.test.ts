// The host-resolver recipes of docs/dns.md, run as written there: Debian's unbound and dnsmasq in
// front of disco's DNS, on port 53 of their own loopback addresses. Through them, dig gets disco's
// answers with disco's TTLs counting down, a change shows once the TTL has run out, and glibc
// resolves scs names. So that nothing any test asks leaves loopback, unbound gets a stub for the
// root pointing at disco (which refuses it) and dnsmasq no upstream but disco (no-resolv).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { startDns } from '../helpers/dns.ts';
import { getent, query, type Resolver, recipe, resolverProblem, startDnsmasq, startUnbound, UNBOUND_DIR } from '../helpers/resolvers.ts';
import { signedRoot } from '../helpers/signed-root.ts';
import { eventuallyAsync, sleep } from '../helpers/wait.ts';

const problem = resolverProblem();
const TTL = 5; // disco's default, and what the recipes are written for
const UNBOUND = '127.0.0.71';
const DNSMASQ = '127.0.0.72';

let registry: Registry;
let disco: DnsServer;
let discoPort: number;

const provide = (name: string, host: string, port: number, attributes: Record<string, string> = {}) =>
  registry.provide({ name, address: { host, port, protocol: 'tcp' }, attributes, owner: 'recipes' }).provision;

/** Only what running it in a test needs, around the recipe itself: where to listen, no daemon habits. */
function unboundConfig(address: string, recipeText: string, extra = '', root = `127.0.0.1@${discoPort}`): string {
  return [
    'server:',
    `    interface: ${address}`,
    '    port: 53',
    '    username: ""',
    '    chroot: ""',
    '    pidfile: ""',
    '    use-syslog: no',
    '    logfile: ""',
    '    verbosity: 1',
    '    val-log-level: 2',
    extra,
    recipeText,
    'stub-zone:',
    '    name: "."',
    `    stub-addr: ${root}`,
    '',
  ].join('\n');
}

/** An unbound that serves only the signed root, and asks nobody anything. */
function rootServerConfig(address: string): string {
  return [
    'server:',
    `    interface: ${address}`,
    '    port: 53',
    '    username: ""',
    '    chroot: ""',
    '    pidfile: ""',
    '    use-syslog: no',
    '    logfile: ""',
    '    do-not-query-address: 0.0.0.0/0',
    '    do-not-query-address: ::/0',
    'auth-zone:',
    '    name: "."',
    `    zonefile: "${UNBOUND_DIR}/root.zone"`,
    '    for-downstream: yes',
    '    for-upstream: no',
    '',
  ].join('\n');
}

function dnsmasqConfig(address: string, recipeText: string): string {
  // stop-dns-rebind is on, as on many routers, to show what rebind-domain-ok in the recipe is for.
  return [
    `listen-address=${address}`,
    'bind-interfaces',
    'port=53',
    'no-resolv',
    'no-hosts',
    'pid-file=',
    'stop-dns-rebind',
    recipeText,
  ].join('\n');
}

beforeAll(async () => {
  if (problem) return;
  registry = new Registry();
  provide('http.web.hello.dev', '10.0.0.7', 8080, { az: 'us-east-1a' });
  provide('mysql.db.blog.prod', '10.0.0.5', 3306, { az: 'us-east-1a' });
  provide('mysql.db.blog.prod', '10.0.0.6', 3306, { az: 'us-west-2b' });
  ({ server: disco, port: discoPort } = await startDns(registry, {
    ttl: TTL,
    zones: [{ name: 'disco' }, { name: 'east.disco', filter: { az: 'us-east-*' } }],
  }));
});
afterAll(async () => {
  if (!problem) await disco.close();
});

interface Case {
  name: 'unbound' | 'dnsmasq';
  address: string;
  start: () => Promise<Resolver>;
}

const cases: Case[] = [
  { name: 'unbound', address: UNBOUND, start: () => startUnbound(UNBOUND, unboundConfig(UNBOUND, recipe('unbound', discoPort))) },
  { name: 'dnsmasq', address: DNSMASQ, start: () => startDnsmasq(DNSMASQ, dnsmasqConfig(DNSMASQ, recipe('dnsmasq', discoPort))) },
];

describe.skipIf(problem !== undefined)(`the resolver recipes of docs/dns.md${problem ? ` (skipped: ${problem})` : ''}`, () => {
  describe.each(cases)('$name', ({ name, address, start }) => {
    let resolver: Resolver;
    beforeAll(async () => {
      resolver = await start();
    });
    afterAll(() => resolver?.stop());

    const direct = (qname: string, type: string) => query('127.0.0.1', qname, type, discoPort);

    it('answers SRV and A for scs names as disco does, in the disco zone and a tag-filtered one', async () => {
      for (const [qname, type] of [
        ['_http._tcp.web.hello.dev.disco', 'SRV'],
        ['web.hello.dev.disco', 'A'],
        ['_mysql._tcp.db.blog.prod.disco', 'SRV'],
        ['db.blog.prod.disco', 'A'],
        ['10-0-0-7.addr.disco', 'A'],
        ['db.blog.prod.east.disco', 'A'],
      ] as const) {
        const [through, fromDisco] = await Promise.all([query(address, qname, type), direct(qname, type)]);
        expect({ qname, status: through.status, records: through.records }, resolver.log()).toEqual({
          qname,
          status: 'NOERROR',
          records: fromDisco.records,
        });
        expect(through.records.length).toBeGreaterThan(0);
      }
      // The filter holds through the resolver: only the us-east endpoint is in east.disco.
      expect((await query(address, 'db.blog.prod.east.disco', 'A')).records).toEqual(['db.blog.prod.east.disco. A 10.0.0.5']);
      expect((await query(address, 'nothing.here.dev.disco', 'A')).status).toBe('NXDOMAIN');
    });

    it("keeps an answer no longer than disco's TTL, counting down, and shows a change once it has run out", async () => {
      const qname = `api.ttl-${name}.dev.disco`;
      const old = provide(`http.api.ttl-${name}.dev`, '10.0.9.1', 80);
      const first = await query(address, qname, 'A');
      const askedAt = Date.now();
      expect(first.records).toEqual([`${qname}. A 10.0.9.1`]);
      expect(first.ttls[0]).toBeGreaterThan(0);
      expect(first.ttls[0]).toBeLessThanOrEqual(TTL);

      // The endpoint moves; the resolver still has the old answer, its TTL lower.
      registry.drop(old.id);
      provide(`http.api.ttl-${name}.dev`, '10.0.9.2', 80);
      expect((await direct(qname, 'A')).records).toEqual([`${qname}. A 10.0.9.2`]);
      await sleep(1100);
      const cached = await query(address, qname, 'A');
      expect(cached.records, 'the cached answer, while its TTL lasts').toEqual([`${qname}. A 10.0.9.1`]);
      expect(cached.ttls[0]).toBeLessThan(first.ttls[0]!);

      // Once the TTL has run out, the resolver asks again and has the new address.
      const moved = await eventuallyAsync(
        async () => {
          const now = await query(address, qname, 'A');
          return now.records.includes(`${qname}. A 10.0.9.2`) ? now : undefined;
        },
        (TTL + 5) * 1000,
        'the new address through the resolver',
      );
      expect(moved.records).toEqual([`${qname}. A 10.0.9.2`]);
      // No sooner than the TTL the resolver showed, less a second either side (TTLs are whole seconds).
      expect(Date.now() - askedAt).toBeGreaterThanOrEqual((first.ttls[0]! - 2) * 1000);
    });

    it("keeps a missing name missing for the SOA's minimum (disco's TTL), and no longer", async () => {
      const qname = `api.neg-${name}.dev.disco`;
      expect((await query(address, qname, 'A')).status).toBe('NXDOMAIN');
      provide(`http.api.neg-${name}.dev`, '10.0.9.3', 80);
      expect((await direct(qname, 'A')).records).toEqual([`${qname}. A 10.0.9.3`]);
      expect((await query(address, qname, 'A')).status, 'the cached NXDOMAIN').toBe('NXDOMAIN');
      const found = await eventuallyAsync(
        async () => {
          const now = await query(address, qname, 'A');
          return now.status === 'NOERROR' ? now : undefined;
        },
        (TTL + 5) * 1000,
        'the new name through the resolver',
      );
      expect(found.records).toEqual([`${qname}. A 10.0.9.3`]);
    });

    it('lets glibc resolve scs names (getent hosts and ahosts) with only the resolver in resolv.conf', async () => {
      const hosts = (await getent(address, 'hosts', 'web.hello.dev.disco')).map((line) => line.split(/\s+/));
      expect(hosts).toEqual([['10.0.0.7', 'web.hello.dev.disco']]);
      const addresses = (await getent(address, 'ahosts', 'db.blog.prod.disco')).map((line) => line.split(/\s+/)[0]);
      expect(new Set(addresses)).toEqual(new Set(['10.0.0.5', '10.0.0.6']));
    });
  });

  describe('why the recipes have the lines they have', () => {
    const ADDRESS = '127.0.0.73';
    const without = (text: string, line: string) => {
      expect(text).toContain(line);
      return text.replace(`${line}\n`, '');
    };

    // unbound validates only with a trust anchor, which Debian's unbound.conf sets (the root's). Here
    // the root is one of our own, signed, on ROOT: like the real one, it proves that there is no
    // `disco.`, so there is no chain of trust to disco's answers.
    const ROOT = '127.0.0.76';

    it('unbound that validates, without domain-insecure: SERVFAIL, as the root proves there is no disco; with it: the answer', async () => {
      const text = recipe('unbound', discoPort);
      const root = signedRoot(ROOT);
      const rootServer = await startUnbound(ROOT, rootServerConfig(ROOT), { 'root.zone': root.zone });
      const anchor = `    trust-anchor: ". DS ${root.ds}"`;
      try {
        const bare = await startUnbound(ADDRESS, unboundConfig(ADDRESS, without(text, '    domain-insecure: "disco"'), anchor, ROOT));
        try {
          expect((await query(ADDRESS, 'web.hello.dev.disco', 'A')).status).toBe('SERVFAIL');
          expect(bare.log()).toMatch(/validation failure <web\.hello\.dev\.disco\. A IN>: .* for DS disco\. while building chain of trust/);
        } finally {
          await bare.stop();
        }
        const insecure = await startUnbound(ADDRESS, unboundConfig(ADDRESS, text, anchor, ROOT));
        try {
          expect((await query(ADDRESS, 'web.hello.dev.disco', 'A')).records).toEqual(['web.hello.dev.disco. A 10.0.0.7']);
          // It does validate: what the root signs comes back authenticated.
          expect((await query(ADDRESS, 'a.root', 'A')).flags).toContain('ad');
        } finally {
          await insecure.stop();
        }
      } finally {
        await rootServer.stop();
      }
    });

    it('unbound without do-not-query-localhost: no never asks disco on 127.0.0.1: SERVFAIL', async () => {
      const text = without(recipe('unbound', discoPort), '    do-not-query-localhost: no');
      const resolver = await startUnbound(ADDRESS, unboundConfig(ADDRESS, text));
      try {
        expect((await query(ADDRESS, 'web.hello.dev.disco', 'A')).status).toBe('SERVFAIL');
      } finally {
        await resolver.stop();
      }
    });

    it('dnsmasq with rebind protection, without rebind-domain-ok: the A record is blocked, the SRV is not', async () => {
      const text = without(recipe('dnsmasq', discoPort), 'rebind-domain-ok=/disco/');
      const resolver = await startDnsmasq(ADDRESS, dnsmasqConfig(ADDRESS, text));
      try {
        const blocked = await query(ADDRESS, 'web.hello.dev.disco', 'A');
        expect({ status: blocked.status, records: blocked.records, ede: blocked.ede }).toEqual({
          status: 'NOERROR',
          records: [],
          ede: expect.stringContaining('Blocked'),
        });
        expect(resolver.log()).toContain('possible DNS-rebind attack detected: web.hello.dev.disco');
        expect((await query(ADDRESS, '_http._tcp.web.hello.dev.disco', 'SRV')).records).toEqual([
          '_http._tcp.web.hello.dev.disco. SRV 1 1 8080 10-0-0-7.addr.disco.',
        ]);
      } finally {
        await resolver.stop();
      }
    });
  });
});
