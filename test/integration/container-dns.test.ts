// DNS where applications live (issue 8): a container that uses no SCS_* variable finds its provider by
// name through the host DNS on the stack network's gateway, through a provider restart on another host
// port and a disco restart; other names go to the upstream (a DNS server this test starts on loopback).

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { Registry } from '../../src/registry/registry.ts';
import { type DiscoServer, defaultServerOptions } from '../../src/server/server.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { startDns } from '../helpers/dns.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { startOnPortOutsideEphemeral } from '../helpers/ports.ts';
import { eventually, eventuallyAsync, sleep } from '../helpers/wait.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const notRoot = process.getuid?.() !== 0 ? 'the host DNS binds port 53, which needs root' : undefined;
const skip = dockerProblem ?? notRoot;
/** scs up's --hold: how long the host DNS keeps the last endpoints of a name after their drop. */
const HOLD_MS = 1000;

describe.skipIf(skip !== undefined)(`containers resolve through scs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let upstream: { server: DnsServer; port: number };
  let disco: DiscoServer;
  let discoPort: number;
  let client: string;
  let web: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'test.yaml')];
  const startOurDisco = async () => {
    disco = await startDisco({ ...defaultServerOptions, host: '127.0.0.1', port: discoPort, logger: quietLogger });
  };
  /** What a legacy app does: resolve a name with the libc resolver, then connect to a fixed port. */
  const fetch = async (host: string) => {
    // An empty environment: nothing of scs's. (busybox wget's own -T crashes; `timeout` bounds it instead.)
    const result = await engine.exec(client, ['env', '-i', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${host}:8080/`], {});
    if (result.exitCode === 0) return result.output;
    // What the resolver saw, for a failure that is rare: the lookup through Docker's resolver, and the host DNS asked directly.
    const lookup = await engine.exec(client, ['nslookup', host], {});
    const direct = await engine.exec(client, ['nslookup', host, agentState('hello')!.dns!.replace(/:53$/, '')], {});
    return `failed (exit ${result.exitCode}): ${result.output}\nnslookup: ${lookup.output}\nnslookup at the host DNS: ${direct.output}`;
  };

  beforeAll(async () => {
    await run(join(root, 'scripts/base-image'));
    dir = mkdtempSync(join(tmpdir(), 'scs-dns-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    const outside = new Registry();
    outside.provide({ name: 'pg.db.shop.prod', address: { host: '10.1.2.3', port: 5432, protocol: 'tcp' }, attributes: {}, owner: 'x' });
    // Another DNS server stands in for the host's upstream: it serves the zone `example`.
    upstream = await startDns(outside, { zones: [{ name: 'example' }] });
    // disco restarts on this port, which the agent has by then: one from outside the ephemeral range.
    discoPort = await startOnPortOutsideEphemeral(async (port) => {
      discoPort = port;
      await startOurDisco();
      return port;
    });
    writeFileSync(
      join(dir, 'test.yaml'),
      `environment: dnstest\ndisco: 127.0.0.1:${discoPort}\ndns: { upstreams: ["127.0.0.1:${upstream.port}"] }\n`,
    );
    const up = scs(['up', '-d', '--hold', `${HOLD_MS}ms`, ...files()]);
    expect(await up.exited, up.stdout + up.stderr).toBe(0);
    const containerOf = async (name: string) =>
      (await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'dnstest', [LABEL.service]: name }))[0]!.id;
    client = await containerOf('client');
    web = await containerOf('web');
  }, 180_000);

  afterAll(async () => {
    if (dir) {
      const down = scs(['down', '--volumes', ...files()]);
      await down.exited;
      rmSync(dir, { recursive: true, force: true });
    }
    await disco?.close();
    await upstream?.server.close();
  }, 120_000);

  it('gives containers the host DNS on the stack network gateway, the search list and SCS_DNS; scs ps shows it', async () => {
    const info = (await engine.docker.getContainer(client).inspect()) as {
      HostConfig: { Dns: string[]; DnsSearch: string[]; DnsOptions: string[]; NetworkMode: string };
      Config: { Env: string[] };
    };
    const network = await engine.docker.getNetwork(info.HostConfig.NetworkMode).inspect();
    const gateway = network.IPAM!.Config![0]!.Gateway as string;
    expect(info.HostConfig.NetworkMode).toMatch(/^scs-hello-dnstest-/);
    expect(info.HostConfig.Dns).toEqual([gateway]);
    expect(info.HostConfig.DnsSearch).toEqual(['hello.dnstest.disco', 'dnstest.disco', 'disco']);
    expect(info.Config.Env).toContain(`SCS_DNS=${gateway}:53`);
    expect((await engine.exec(client, ['cat', '/etc/resolv.conf'], {})).output).toMatch(
      /search hello\.dnstest\.disco dnstest\.disco disco/,
    );
    expect(agentState('hello')!.dns).toBe(`${gateway}:53`);
    const ps = scs(['ps', ...files()]);
    await ps.exited;
    expect(ps.stdout).toContain(`DNS ${gateway}:53`);
  });

  it('resolves web, web.hello and web.hello.dnstest.disco, and a legacy client fetches http://web:8080/', async () => {
    for (const name of ['web', 'web.hello', 'web.hello.dnstest.disco']) expect(await fetch(name)).toMatch(/hello from scs/);
    // The answer is the provider container's own address, where the image's port works.
    const webIp = (await engine.inspect(web))!.ip!;
    expect((await engine.exec(client, ['nslookup', 'web.hello.dnstest.disco'], {})).output).toContain(webIp);
  });

  it('sends names outside the zones to the upstream', async () => {
    const { output } = await engine.exec(client, ['nslookup', 'db.shop.prod.example.'], {});
    expect(output).toContain('10.1.2.3');
  });

  it('keeps working after the provider restarts on another host port', async () => {
    const before = (await engine.inspect(web))!;
    await engine.exec(web, ['kill', '1'], {});
    await eventuallyAsync(
      async () => {
        const now = await engine.inspect(web);
        return now?.running && now.startedAt !== before.startedAt && now.ports['8080/tcp'] !== before.ports['8080/tcp'];
      },
      20_000,
      'web to be back on another host port',
    );
    await eventuallyAsync(async () => /hello from scs/.test(await fetch('web')), 20_000, 'the client to reach web by name again');
  });

  it('keeps answering while disco is away, and follows the provider again once disco is back', async () => {
    // web restarts, and disco goes as soon as it has dropped web, before the agent can provide it again: the
    // host DNS answers from its hold of web's last endpoint, which lasts the whole outage (src/hostdns/mirror.ts).
    const restarting = (await engine.inspect(web))!;
    await engine.exec(web, ['kill', '1'], {});
    await eventually(() => disco.registry.lookup('http.web.hello.dnstest').length === 0, 20_000, 'disco to drop web');
    await disco.close();
    try {
      await eventuallyAsync(async () => (await engine.inspect(web))?.startedAt !== restarting.startedAt, 20_000, 'web to restart');
      // Its process listening again, by its container address, so that what follows asks only the DNS.
      const webIp = (await engine.inspect(web))!.ip!;
      await eventuallyAsync(async () => /hello from scs/.test(await fetch(webIp)), 20_000, 'web to listen again');
      expect(await fetch('web')).toMatch(/hello from scs/);
      expect(await fetch('web.hello.dnstest.disco')).toMatch(/hello from scs/);
      // And after longer than the hold: the answers last as long as the outage does.
      await sleep(HOLD_MS + 500);
      expect(await fetch('web')).toMatch(/hello from scs/);
    } finally {
      await startOurDisco();
    }
    // The agent registers again; then a provider restart is followed as before.
    await eventuallyAsync(async () => disco.registry.size > 0, 20_000, 'the agent to register web again');
    const before = (await engine.inspect(web))!;
    await engine.exec(web, ['kill', '1'], {});
    await eventuallyAsync(async () => (await engine.inspect(web))?.startedAt !== before.startedAt, 20_000, 'web to restart');
    await eventuallyAsync(async () => /hello from scs/.test(await fetch('web')), 20_000, 'the client to reach web by name again');
  });
});
