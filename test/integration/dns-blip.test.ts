// Issue 8 item 3: no NXDOMAIN blip while a provider restarts in place. The agent drops a provider's
// records when its container dies and provides them again, on a new host port, when it is back.
// In between, every name of the provider answers NODATA with a 1 s negative TTL; a provider back
// within the bound answers at once; after the bound the names are NXDOMAIN. Real sockets and dig;
// the bound runs on a clock the test moves. Then the same restart seen through dnsmasq, a real
// caching resolver, on the real clock.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { eventuallyAsync, sleep } from '../helpers/wait.ts';

const NAME = 'http.web.blip.test';
const provide = (registry: Registry, port: number) =>
  registry.provide({ name: NAME, address: { host: '10.9.0.1', port, protocol: 'tcp' }, attributes: { v: '1' }, owner: 'blip' }).provision;

/** Every kind of name the provider on `port` has records at, and empty non-terminals above them. */
const namesOfWeb = (port: number) =>
  [
    ['web.blip.test.disco', 'A'],
    ['_http._tcp.web.blip.test.disco', 'SRV'],
    ['_http._tcp.web.blip.test.disco', 'TXT'],
    ['_http._tcp.web.blip.test.disco', 'PTR'],
    [`10-9-0-1-${port}._http._tcp.web.blip.test.disco`, 'SRV'],
    ['10-9-0-1.addr.disco', 'A'],
    ['_tcp.web.blip.test.disco', 'TXT'],
    ['blip.test.disco', 'A'],
    ['_services._dns-sd._udp.disco', 'PTR'],
  ] as const;

const NEGATIVE_SOA = /^disco\. 1 IN SOA ns\.disco\. hostmaster\.disco\. \d+ 3600 600 86400 1$/;

describe('a provider restarting in place, asked with dig', () => {
  // A fresh registry, clock and server for every test, so that each sets up the restart it checks.
  let registry: Registry;
  let now: number;
  let server: DnsServer;
  let port: number;

  beforeEach(async () => {
    registry = new Registry();
    now = 0;
    ({ server, port } = await startDns(registry, { clock: () => now, tombstoneMs: 30_000 }));
  });
  afterEach(() => server.close());

  /** The provider on port 8080 answers, every name of it is cached, and at 1 s its container dies. */
  async function answeredThenDropped(): Promise<void> {
    const first = provide(registry, 8080);
    for (const [name, type] of namesOfWeb(8080)) await dig(port, name, type); // Cached from here on.
    expect((await dig(port, 'web.blip.test.disco', 'A')).answer).toEqual(['web.blip.test.disco. 5 IN A 10.9.0.1']);
    now = 1000;
    registry.drop(first.id);
  }

  it('drops: every name of the provider answers NODATA with the 1 s negative TTL, from the cache or not', async () => {
    await answeredThenDropped();
    for (const [name, type] of namesOfWeb(8080)) {
      const r = await dig(port, name, type);
      expect({ name, type, status: r.status, answer: r.answer }).toEqual({ name, type, status: 'NOERROR', answer: [] });
      expect(r.flags).toContain('aa');
      expect(r.authority[0]).toMatch(NEGATIVE_SOA);
    }
    const missing = await dig(port, 'never.blip.test.disco', 'A');
    expect(missing.status).toBe('NXDOMAIN');
    expect(missing.authority[0]).toMatch(NEGATIVE_SOA);
  });

  it('is back: the names answer at once, with the new port', async () => {
    await answeredThenDropped();
    now = 1500;
    provide(registry, 8081);
    expect((await dig(port, 'web.blip.test.disco', 'A')).answer).toEqual(['web.blip.test.disco. 5 IN A 10.9.0.1']);
    expect((await dig(port, '_http._tcp.web.blip.test.disco', 'SRV')).answer).toEqual([
      '_http._tcp.web.blip.test.disco. 5 IN SRV 1 1 8081 10-9-0-1.addr.disco.',
    ]);
    expect((await dig(port, '10-9-0-1-8081._http._tcp.web.blip.test.disco', 'SRV')).status).toBe('NOERROR');
    expect((await dig(port, '10-9-0-1.addr.disco', 'A')).answer).toEqual(['10-9-0-1.addr.disco. 5 IN A 10.9.0.1']);
    // The instance on the old port is gone for good, but held like the rest.
    expect(await dig(port, '10-9-0-1-8080._http._tcp.web.blip.test.disco', 'SRV')).toMatchObject({ status: 'NOERROR', answer: [] });
  });

  it('stays down past the bound: NXDOMAIN, and the serial moves by one as the names go', async () => {
    await answeredThenDropped();
    now = 1500;
    provide(registry, 8081); // Back once, and then down for good.
    registry.drop(registry.list().find((provision) => provision.name === NAME)!.id);
    const heldUntil = now + 30_000;
    now = heldUntil - 1;
    for (const [name, type] of namesOfWeb(8081)) expect((await dig(port, name, type)).status, name).toBe('NOERROR'); // Cached again.
    const serial = server.serialOf('disco')!;

    now = heldUntil;
    for (const [name, type] of namesOfWeb(8081)) {
      const r = await dig(port, name, type);
      expect({ name, status: r.status }).toEqual({ name, status: 'NXDOMAIN' });
      expect(r.authority[0]).toMatch(NEGATIVE_SOA);
      expect(Number(r.authority[0]!.split(' ')[6])).toBe(serial + 1);
    }
    expect(server.serialOf('disco')).toBe(serial + 1);
    now += 60_000; // Nothing left to expire: the serial stays.
    expect((await dig(port, 'web.blip.test.disco', 'A')).status).toBe('NXDOMAIN');
    expect(server.serialOf('disco')).toBe(serial + 1);
  });
});

describe('a provider back within the bound', () => {
  it('keeps answering after the bound, and the end of a hold it no longer needs does not move the serial', async () => {
    const registry = new Registry();
    let now = 0;
    const { server, port } = await startDns(registry, { clock: () => now, tombstoneMs: 30_000 });
    try {
      registry.drop(provide(registry, 8080).id);
      now = 500;
      provide(registry, 8080); // Every name of it is back.
      const serial = server.serialOf('disco')!;
      now = 60_000;
      expect((await dig(port, 'web.blip.test.disco', 'A')).answer).toEqual(['web.blip.test.disco. 5 IN A 10.9.0.1']);
      expect(Number((await dig(port, 'disco', 'SOA')).answer[0]!.split(' ')[6])).toBe(serial);
      expect((await dig(port, 'never.blip.test.disco', 'A')).status).toBe('NXDOMAIN');
    } finally {
      await server.close();
    }
  });
});

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((path) => existsSync(path));

describe.skipIf(!DNSMASQ)('the same restart through dnsmasq, a caching resolver', () => {
  // Everything is started inside the test, which is the only one here: no DNS code runs in a hook
  // (docs/testing.md, "Static mutants").
  it('answers again within about the negative TTL after the provider returns, not the 5 s it used to', async () => {
    const registry = new Registry();
    const { server, port } = await startDns(registry); // The real clock, the defaults: 5 s TTL, 1 s negative TTL, 30 s bound.
    const dnsmasq = await startOnPortOutsideEphemeral((resolverPort) => startDnsmasq(resolverPort, port)).catch(async (error) => {
      await server.close();
      throw error;
    });
    /** dig through the resolver, which recurses (here: forwards the zone to disco) and caches. */
    const viaResolver = (name: string, type: string) => dig(dnsmasq.port, '+rec', name, type);
    try {
      const first = provide(registry, 8080);
      registry.drop(first.id); // The container died...
      const during = await viaResolver('web.blip.test.disco', 'A');
      const cachedAt = Date.now(); // ...and the resolver now holds this negative answer.
      expect(during.status).toBe('NOERROR');
      expect(during.answer).toEqual([]);
      expect(during.authority[0]).toMatch(/^disco\. [01] IN SOA /);
      provide(registry, 8081); // ...and is back, on a new host port.

      // After the 1 s negative TTL, and well before the 5 s that NXDOMAIN was cached for.
      await sleep(Math.max(0, cachedAt + 2500 - Date.now()));
      expect((await viaResolver('web.blip.test.disco', 'A')).answer).toEqual([
        expect.stringMatching(/^web\.blip\.test\.disco\. [1-5] IN A 10\.9\.0\.1$/),
      ]);
      expect((await viaResolver('_http._tcp.web.blip.test.disco', 'SRV')).answer).toEqual([
        expect.stringMatching(/^_http\._tcp\.web\.blip\.test\.disco\. [1-5] IN SRV 1 1 8081 10-9-0-1\.addr\.disco\.$/),
      ]);
      expect(dnsmasq.child.exitCode, `dnsmasq exited; it said: ${dnsmasq.said()}`).toBe(null);
    } finally {
      dnsmasq.child.kill();
      await server.close();
    }
  });
});

/**
 * dnsmasq in the foreground on 127.0.0.1 `port`, reading no config file and no resolv.conf: disco on
 * `discoPort` is its only upstream. Resolves once it answers; rejects with what it said if it exits.
 */
async function startDnsmasq(port: number, discoPort: number): Promise<{ port: number; child: ChildProcess; said: () => string }> {
  const child = spawn(
    DNSMASQ!,
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      `--server=/disco/127.0.0.1#${discoPort}`,
      '--pid-file=',
      '--cache-size=1000',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    await eventuallyAsync(
      async () => {
        if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr.trim()}`);
        return (await dig(port, '+rec', 'disco', 'SOA').catch(() => undefined))?.status === 'NOERROR';
      },
      10_000,
      `dnsmasq to answer; it said: ${stderr}`,
    );
  } catch (error) {
    child.kill();
    throw error;
  }
  return { port, child, said: () => stderr };
}
