import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, rawUdp, sampleRegistry, startDns } from '../helpers/dns.ts';

const run = promisify(execFile);
const SRV = '_mysql._tcp.db.blog.prod.disco';

let registry: Registry;
let server: DnsServer;
let port: number;

beforeEach(async () => {
  registry = sampleRegistry();
  ({ server, port } = await startDns(registry, { zones: [{ name: 'disco' }, { name: 'east.disco', filter: { az: 'us-east-1a' } }] }));
});
afterEach(() => server.close());

describe('dig, every row of the grammar', () => {
  it('SRV: one per endpoint, targets resolvable, their addresses in the additional section', async () => {
    const r = await dig(port, SRV, 'SRV');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toContain('aa');
    expect(r.answer).toEqual([
      `${SRV}. 5 IN SRV 1 1 3306 10-0-0-5.addr.disco.`,
      `${SRV}. 5 IN SRV 1 1 3306 10-0-0-6.addr.disco.`,
      `${SRV}. 5 IN SRV 1 1 3306 fd00-0-0-0-0-0-0-6.addr.disco.`,
    ]);
    expect(r.additional).toEqual(
      expect.arrayContaining(['10-0-0-5.addr.disco. 5 IN A 10.0.0.5', 'fd00-0-0-0-0-0-0-6.addr.disco. 5 IN AAAA fd00::6']),
    );
    expect((await dig(port, '+short', '10-0-0-6.addr.disco', 'A')).raw.trim()).toBe('10.0.0.6');
  });

  it('TXT: the attributes of each endpoint as key=value strings', async () => {
    const r = await dig(port, SRV, 'TXT');
    expect(r.answer).toEqual([`${SRV}. 5 IN TXT "az=us-east-1a" "role=primary"`, `${SRV}. 5 IN TXT "az=us-east-1b"`]);
  });

  it('PTR: DNS-SD instances, and each instance has its own SRV and TXT', async () => {
    const r = await dig(port, SRV, 'PTR');
    expect(r.answer).toContain(`${SRV}. 5 IN PTR 10-0-0-5-3306.${SRV}.`);
    expect(r.additional).toContain(`10-0-0-5-3306.${SRV}. 5 IN SRV 1 1 3306 10-0-0-5.addr.disco.`);
    expect((await dig(port, `10-0-0-6-3306.${SRV}`, 'SRV')).answer).toEqual([
      `10-0-0-6-3306.${SRV}. 5 IN SRV 1 1 3306 10-0-0-6.addr.disco.`,
    ]);
    expect((await dig(port, `10-0-0-6-3306.${SRV}`, 'TXT')).answer).toEqual([`10-0-0-6-3306.${SRV}. 5 IN TXT "az=us-east-1b"`]);
  });

  it('A and AAAA at service.stack.environment, for legacy apps', async () => {
    expect((await dig(port, 'db.blog.prod.disco', 'A')).answer).toEqual([
      'db.blog.prod.disco. 5 IN A 10.0.0.5',
      'db.blog.prod.disco. 5 IN A 10.0.0.6',
    ]);
    expect((await dig(port, 'db.blog.prod.disco', 'AAAA')).answer).toEqual(['db.blog.prod.disco. 5 IN AAAA fd00::6']);
  });

  it('_services._dns-sd._udp: the service types present', async () => {
    const r = await dig(port, '_services._dns-sd._udp.disco', 'PTR');
    expect(r.answer).toEqual([
      '_services._dns-sd._udp.disco. 5 IN PTR _http._tcp.web.blog.prod.disco.',
      '_services._dns-sd._udp.disco. 5 IN PTR _mysql._tcp.db.blog.prod.disco.',
    ]);
  });

  it('SOA and NS at the apex', async () => {
    expect((await dig(port, 'disco', 'SOA')).answer[0]).toMatch(/^disco\. 5 IN SOA ns\.disco\. hostmaster\.disco\. \d+ 3600 600 86400 1$/);
    const ns = await dig(port, 'disco', 'NS');
    expect(ns.answer).toEqual(['disco. 5 IN NS ns.disco.']);
    expect(ns.additional).toContain('ns.disco. 5 IN A 127.0.0.1');
  });

  it('the same grammar under a tag-filtered zone, showing only matching endpoints', async () => {
    const r = await dig(port, '_mysql._tcp.db.blog.prod.east.disco', 'SRV');
    expect(r.answer).toEqual(['_mysql._tcp.db.blog.prod.east.disco. 5 IN SRV 1 1 3306 10-0-0-5.addr.east.disco.']);
    expect((await dig(port, 'db.blog.prod.east.disco', 'A')).answer).toEqual(['db.blog.prod.east.disco. 5 IN A 10.0.0.5']);
  });
});

describe('dig, DNS behaviour', () => {
  it('NXDOMAIN for names that do not exist, NODATA for names that exist without the type, both with the SOA', async () => {
    const missing = await dig(port, 'cache.blog.prod.disco', 'A');
    expect(missing.status).toBe('NXDOMAIN');
    expect(missing.flags).toContain('aa');
    expect(missing.authority[0]).toMatch(/^disco\. 1 IN SOA .* 1$/);
    const empty = await dig(port, 'blog.prod.disco', 'A'); // An empty non-terminal.
    expect(empty.status).toBe('NOERROR');
    expect(empty.answer).toEqual([]);
    expect(empty.authority[0]).toMatch(/SOA/);
    expect((await dig(port, 'db.blog.prod.disco', 'MX')).status).toBe('NOERROR');
  });

  it('matches case-insensitively and echoes the question as asked', async () => {
    const r = await dig(port, 'Db.BLOG.prod.DISCO', 'A');
    expect(r.raw).toMatch(/;Db\.BLOG\.prod\.DISCO\.\s+IN\s+A/);
    expect(r.answer).toHaveLength(2);
  });

  it('answers ANY minimally (RFC 8482)', async () => {
    expect((await dig(port, 'db.blog.prod.disco', 'ANY')).answer).toEqual(['db.blog.prod.disco. 5 IN HINFO "RFC8482" ""']);
  });

  it('sets TC when the answer does not fit the client size, and serves it whole over TCP', async () => {
    const big = new Registry();
    for (let i = 0; i < 60; i++)
      big.provide({ name: 'mysql.db.big.prod', address: { host: `10.0.1.${i}`, port: 3306, protocol: 'tcp' }, attributes: {}, owner: 't' });
    const { server: bigServer, port: bigPort } = await startDns(big);
    try {
      const udp = await dig(bigPort, '+ignore', '+noedns', '_mysql._tcp.db.big.prod.disco', 'SRV');
      expect(udp.flags).toContain('tc');
      expect(udp.size).toBeLessThanOrEqual(512);
      const sized = await dig(bigPort, '+ignore', '+bufsize=900', '_mysql._tcp.db.big.prod.disco', 'SRV');
      expect(sized.size).toBeLessThanOrEqual(900);
      const tcp = await dig(bigPort, '+tcp', '_mysql._tcp.db.big.prod.disco', 'SRV');
      expect(tcp.flags).not.toContain('tc');
      expect(tcp.answer).toHaveLength(60);
      const retried = await dig(bigPort, '_mysql._tcp.db.big.prod.disco', 'SRV');
      expect(retried.raw).toMatch(/Truncated, retrying in TCP mode/);
      expect(retried.answer).toHaveLength(60);
    } finally {
      await bigServer.close();
    }
  });

  it('honours EDNS0: echoes OPT with our size; BADVERS for an unknown EDNS version', async () => {
    expect((await dig(port, 'db.blog.prod.disco', 'A')).raw).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect((await dig(port, '+edns=1', '+noednsneg', 'db.blog.prod.disco', 'A')).status).toBe('BADVERS');
  });

  it('answers from the registry as it is now: a drop is gone from the next answer', async () => {
    const { provision } = registry.provide({
      name: 'cache.redis.blog.prod',
      address: { host: '10.0.0.77', port: 6379, protocol: 'tcp' },
      attributes: {},
      owner: 't',
    });
    expect((await dig(port, 'redis.blog.prod.disco', 'A')).answer).toEqual(['redis.blog.prod.disco. 5 IN A 10.0.0.77']);
    registry.drop(provision.id);
    // The name itself is held as NODATA for a while (dns-blip.test.ts); its address is gone.
    expect(await dig(port, 'redis.blog.prod.disco', 'A')).toMatchObject({ status: 'NOERROR', answer: [] });
  });

  it('shows a change at every name it affects, and leaves other names as they were', async () => {
    const owner = 'churn';
    const first = registry.provide({
      name: 'api.svc.shop.prod',
      address: { host: '10.0.3.1', port: 80, protocol: 'tcp' },
      attributes: { v: '1' },
      owner,
    });
    const type = '_api._tcp.svc.shop.prod.disco';
    // Warm every name up, then change the endpoint's attributes behind the cached answers.
    expect((await dig(port, type, 'TXT')).answer).toEqual([`${type}. 5 IN TXT "v=1"`]);
    expect((await dig(port, `10-0-3-1-80.${type}`, 'TXT')).answer).toEqual([`10-0-3-1-80.${type}. 5 IN TXT "v=1"`]);
    expect((await dig(port, type, 'PTR')).additional).toContain(`10-0-3-1-80.${type}. 5 IN TXT "v=1"`);
    const before = (await dig(port, SRV, 'SRV')).answer;
    registry.drop(first.provision.id);
    const second = registry.provide({
      name: 'api.svc.shop.prod',
      address: { host: '10.0.3.1', port: 80, protocol: 'tcp' },
      attributes: { v: '2' },
      owner,
    });
    expect((await dig(port, type, 'TXT')).answer).toEqual([`${type}. 5 IN TXT "v=2"`]);
    expect((await dig(port, `10-0-3-1-80.${type}`, 'TXT')).answer).toEqual([`10-0-3-1-80.${type}. 5 IN TXT "v=2"`]);
    expect((await dig(port, type, 'PTR')).additional).toContain(`10-0-3-1-80.${type}. 5 IN TXT "v=2"`);
    expect((await dig(port, SRV, 'SRV')).answer).toEqual(before);
    registry.drop(second.provision.id);
    expect(await dig(port, 'svc.shop.prod.disco', 'A')).toMatchObject({ status: 'NOERROR', answer: [] });
    expect((await dig(port, '_services._dns-sd._udp.disco', 'PTR')).answer.join()).not.toMatch(/_api/);
  });

  it('answers FORMERR to two questions in one message', async () => {
    const reply = await rawUdp(port, twoQuestions());
    expect(reply[3]! & 0x0f).toBe(1);
  });

  it('refuses names outside every zone when no recursor is configured', async () => {
    const r = await dig(port, 'example.com', 'A');
    expect(r.status).toBe('REFUSED');
  });
});

describe('listening', () => {
  it('finds a port free for both UDP and TCP when asked for any port', async () => {
    // Hold TCP on 2,000 ports of the ephemeral range, where the kernel picks UDP ports from.
    const held = [];
    for (let port = 40000; port < 42000; port++) {
      const tcp = createServer();
      await new Promise<void>((resolve) => tcp.once('error', () => resolve()).listen(port, '127.0.0.1', () => resolve()));
      held.push(tcp);
    }
    try {
      for (let i = 0; i < 60; i++) {
        const { server: each, port: bound } = await startDns(new Registry());
        expect((await dig(bound, '+tcp', 'disco', 'SOA')).status).toBe('NOERROR'); // TCP answers on the UDP port.
        await each.close();
      }
    } finally {
      for (const tcp of held) tcp.close();
    }
  }, 60_000);
});

describe("Node's resolver", () => {
  it('resolves SRV, TXT and A through dns.promises.Resolver', async () => {
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const srv = await resolver.resolveSrv(SRV);
    expect(srv.map((r) => `${r.name}:${r.port}`).sort()).toEqual([
      '10-0-0-5.addr.disco:3306',
      '10-0-0-6.addr.disco:3306',
      'fd00-0-0-0-0-0-0-6.addr.disco:3306',
    ]);
    expect(await resolver.resolveTxt(SRV)).toEqual(expect.arrayContaining([['az=us-east-1a', 'role=primary'], ['az=us-east-1b']]));
    expect((await resolver.resolve4('db.blog.prod.disco')).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    await expect(resolver.resolve4('cache.blog.prod.disco')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('forwarding', () => {
  it('sends names outside the zones to the recursors, over UDP and TCP, and SERVFAILs when none answers', async () => {
    const upstreamRegistry = new Registry();
    upstreamRegistry.provide({
      name: 'www.web.shop.prod',
      address: { host: '192.0.2.10', port: 80, protocol: 'tcp' },
      attributes: {},
      owner: 'u',
    });
    const upstream = await startDns(upstreamRegistry, { zones: [{ name: 'example.test' }] });
    const dead = createSocket('udp4'); // Bound but silent: a resolver that never answers.
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
    const deadPort = dead.address().port;
    const forwarding = await startDns(new Registry(), {
      recursors: [
        { host: '127.0.0.1', port: deadPort },
        { host: '127.0.0.1', port: upstream.port },
      ],
      forwardTimeoutMs: 300,
    });
    const failing = await startDns(new Registry(), { recursors: [{ host: '127.0.0.1', port: deadPort }], forwardTimeoutMs: 300 });
    try {
      const viaUdp = await dig(forwarding.port, '+rec', 'web.shop.prod.example.test', 'A');
      expect(viaUdp.answer).toEqual(['web.shop.prod.example.test. 5 IN A 192.0.2.10']);
      expect(viaUdp.flags).toContain('aa'); // The upstream's own answer, relayed untouched.
      const viaTcp = await dig(forwarding.port, '+rec', '+tcp', 'web.shop.prod.example.test', 'A');
      expect(viaTcp.answer).toEqual(['web.shop.prod.example.test. 5 IN A 192.0.2.10']);
      expect((await dig(failing.port, '+rec', 'web.shop.prod.example.test', 'A')).status).toBe('SERVFAIL');
    } finally {
      dead.close();
      await Promise.all([upstream.server.close(), forwarding.server.close(), failing.server.close()]);
    }
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('glibc (getent) through a private resolv.conf', () => {
  it('resolves db.blog.prod.disco with getent ahosts, from disco on port 53 of 127.0.0.53', async () => {
    const glibc = await startDns(registry, { host: '127.0.0.53', port: 53 }).catch((error: Error) => error);
    if (glibc instanceof Error) throw new Error(`cannot bind 127.0.0.53:53 for the glibc test: ${glibc.message}`);
    const dir = mkdtempSync(join(tmpdir(), 'scs-resolv-'));
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\noptions timeout:2 attempts:1\n');
    try {
      // A private mount namespace: the bind mount is seen by getent only, not by the machine.
      const { stdout } = await run('unshare', [
        '-m',
        'sh',
        '-c',
        `mount --bind ${dir}/resolv.conf /etc/resolv.conf && getent ahosts db.blog.prod.disco`,
      ]);
      const addresses = new Set(
        stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(/\s+/)[0]),
      );
      expect(addresses).toEqual(new Set(['10.0.0.5', '10.0.0.6', 'fd00::6']));
    } finally {
      await glibc.server.close();
    }
  });
});

function twoQuestions(): Buffer {
  const question = Buffer.from([2, 100, 98, 5, 100, 105, 115, 99, 111, 0, 0, 1, 0, 1]); // db.disco A IN
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, question, question]);
}
