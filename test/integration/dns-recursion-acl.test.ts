// The recursion ACL: names outside the zones are forwarded only for allowed source networks, and
// everyone else gets REFUSED for them; answers inside the zones go to all. Two loopback sources
// play the two clients (dig -b): 127.0.0.1 is allowed, 127.0.0.2 is not.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/cidr.ts';
import { HostDns } from '../../src/hostdns/host-dns.ts';
import { Registry } from '../../src/registry/registry.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { quietLogger } from '../helpers/logging.ts';
import { MemoryDisco } from '../helpers/memory-disco.ts';
import { eventually } from '../helpers/wait.ts';

const ALLOWED = '127.0.0.1';
const OTHER = '127.0.0.2';
function provide(registry: Registry, name: string, host: string): void {
  registry.provide({ name, address: { host, port: 80, protocol: 'tcp' }, attributes: {}, owner: 'test' });
}

/** An upstream resolver (another DNS server of ours, authoritative for example.test) and its address. */
async function upstream(): Promise<{ host: string; port: number }> {
  const registry = new Registry();
  provide(registry, 'www.web.shop.prod', '192.0.2.10');
  const started = await startDns(registry, { zones: [{ name: 'example.test' }] });
  onCleanup(() => started.server.close());
  return { host: '127.0.0.1', port: started.port };
}

async function disco(options: { recursionAllow?: string[] }): Promise<number> {
  const registry = new Registry();
  provide(registry, 'mysql.db.blog.prod', '10.0.0.5');
  const started = await startDns(registry, {
    recursors: [await upstream()],
    ...(options.recursionAllow ? { recursionAllow: options.recursionAllow.map(parseCidr) } : {}),
  });
  onCleanup(() => started.server.close());
  return started.port;
}

const OUTSIDE = 'web.shop.prod.example.test';

describe('DNS recursion ACL', () => {
  it.each(['udp', 'tcp'])(
    'over %s, forwards for an allowed source and refuses another, and answers the zone to both',
    async (transport) => {
      const port = await disco({ recursionAllow: ['127.0.0.1/32', '10.0.0.0/8'] });
      const over = transport === 'tcp' ? ['+tcp'] : [];
      const forwarded = await dig(port, '-b', ALLOWED, ...over, '+rec', OUTSIDE, 'A');
      expect(forwarded.status).toBe('NOERROR');
      expect(forwarded.answer).toEqual([`${OUTSIDE}. 5 IN A 192.0.2.10`]);

      const refused = await dig(port, '-b', OTHER, ...over, '+rec', OUTSIDE, 'A');
      expect(refused.status).toBe('REFUSED');
      expect(refused.answer).toEqual([]);
      expect(refused.flags).not.toContain('ra');

      for (const [source, recursion] of [
        [OTHER, false],
        [ALLOWED, true],
        [OTHER, false],
      ] as const) {
        const zone = await dig(port, '-b', source, ...over, 'db.blog.prod.disco', 'A');
        expect(zone.status).toBe('NOERROR');
        expect(zone.answer).toEqual(['db.blog.prod.disco. 5 IN A 10.0.0.5']);
        expect(zone.flags).toContain('aa');
        // Recursion available says whether this client would get it: cached answers must not mix them up.
        expect(zone.flags.includes('ra')).toBe(recursion);
      }
    },
  );

  it('by default forwards for loopback and private networks (both loopback sources here)', async () => {
    const port = await disco({});
    for (const source of [ALLOWED, OTHER]) {
      expect((await dig(port, '-b', source, '+rec', OUTSIDE, 'A')).answer).toEqual([`${OUTSIDE}. 5 IN A 192.0.2.10`]);
    }
  });

  it('with an empty list forwards for no one', async () => {
    const port = await disco({ recursionAllow: [] });
    expect((await dig(port, '-b', ALLOWED, '+rec', OUTSIDE, 'A')).status).toBe('REFUSED');
  });

  it("the host DNS forwards for its stack network's subnet only", async () => {
    // A stand-in stack network on loopback: the gateway 127.0.0.1 in 127.0.0.0/31; 127.0.0.2 is outside it.
    const host = await HostDns.start({
      network: { gateway: '127.0.0.1', subnet: '127.0.0.0/31' },
      port: 0,
      discovery: new MemoryDisco(),
      zone: 'disco',
      upstreams: [await upstream()],
      localEndpoints: () => [],
      holdMs: 0,
      logger: quietLogger,
    });
    onCleanup(() => host.close());
    expect((await dig(host.port, '-b', ALLOWED, '+rec', OUTSIDE, 'A')).answer).toEqual([`${OUTSIDE}. 5 IN A 192.0.2.10`]);
    expect((await dig(host.port, '-b', OTHER, '+rec', OUTSIDE, 'A')).status).toBe('REFUSED');
  });
});

describe('scs disco and the recursion ACL', () => {
  it.each([
    ['disco.yaml', (config: string) => ['--config', config]],
    ['--dns-recursion-allow, over disco.yaml', (config: string) => ['--config', config, '--dns-recursion-allow', '127.0.0.1/32']],
  ])('takes the allowed networks from %s', async (what, args) => {
    const { port: upstreamPort } = await upstream();
    const config = join(mkdtempSync(join(tmpdir(), 'scs-acl-')), 'disco.yaml');
    // The file alone allows 127.0.0.1; with the flag, the flag's list replaces it (the same here, so
    // the file says 127.0.0.2 as well and only the flag leaves it out).
    const allow = what === 'disco.yaml' ? '["127.0.0.1/32"]' : '["127.0.0.1/32", "127.0.0.2/32"]';
    writeFileSync(config, `dns:\n  recursors: ["127.0.0.1:${upstreamPort}"]\n  recursion:\n    allow: ${allow}\n`);
    const disco = scs(['disco', ...args(config), '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0']);
    onCleanup(() => disco.child.kill('SIGKILL'));
    const output = () => disco.stdout + disco.stderr;
    const dnsPort = Number(await eventually(() => /dns on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(output())?.[1], 15_000, 'dns to listen'));
    expect(output()).toContain(`forwarding to 127.0.0.1:${upstreamPort} for 127.0.0.1/32\n`);
    expect((await dig(dnsPort, '-b', ALLOWED, '+rec', OUTSIDE, 'A')).answer).toEqual([`${OUTSIDE}. 5 IN A 192.0.2.10`]);
    expect((await dig(dnsPort, '-b', OTHER, '+rec', OUTSIDE, 'A')).status).toBe('REFUSED');
  });

  it('refuses a network that is not one, in one sentence', async () => {
    const disco = scs(['disco', '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0', '--dns-recursion-allow', '10.0.0.0/33']);
    onCleanup(() => disco.child.kill('SIGKILL'));
    expect(await disco.exited).toBe(2);
    expect(disco.stderr.trim()).toMatch(
      /--dns-recursion-allow: "10\.0\.0\.0\/33" has a prefix length that is not a whole number from 0 to 32$/,
    );
  });
});
