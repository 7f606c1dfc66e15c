// runDisco (src/server/run-disco.ts) on ports of the system's choosing: it serves the protocol and
// DNS, and closing it, or failing to start, leaves nothing listening.

import { Resolver } from 'node:dns/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { EMBEDDED_DISCO, runDisco } from '../../src/server/run-disco.ts';
import { accepts, occupy, openListeners } from '../helpers/listening.ts';
import { quietLogger, recordingLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

/** A socket closes a moment after close() is called: what was opened is gone soon, or leaked. */
const settled = (before: number) =>
  eventually(() => openListeners() === before, 2000, `the listeners to close (open: ${process.getActiveResourcesInfo()})`);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('runDisco', () => {
  it('serves the protocol and DNS on port 0, says where when asked, and closes both', async () => {
    const before = openListeners();
    const recorder = recordingLogger();
    const running = await runDisco(EMBEDDED_DISCO, { logger: recorder.logger, announce: true });
    cleanups.push(() => running.close());
    const disco = parseHostPort(running.disco);
    const dns = parseHostPort(running.dnsAddress!);
    expect(disco.port).toBeGreaterThan(0);
    expect(recorder.lines('info')).toEqual([`listening on tcp ${running.disco}`, `dns on udp+tcp ${running.dnsAddress}, zones disco.`]);

    const client = await DiscoClient.connect({ ...disco, name: 'run-disco test', logger: quietLogger });
    cleanups.push(() => client.close());
    await client.provide({ name: 'http.web.shop.test', host: '127.0.0.1', port: 8080 });
    const resolver = new Resolver();
    resolver.setServers([running.dnsAddress!]);
    expect(await resolver.resolve4('web.shop.test.disco')).toEqual(['127.0.0.1']);
    await client.close();

    await running.close();
    expect(await accepts(disco.host, disco.port)).toBe(false);
    expect(await accepts(dns.host, dns.port)).toBe(false);
    await settled(before);
  });

  it('warns at once and again every interval that an --insecure disco takes anyone, until closed', async () => {
    const recorder = recordingLogger();
    const running = await runDisco({ ...EMBEDDED_DISCO, dns: 'off', insecure: true }, { logger: recorder.logger, insecureWarningMs: 50 });
    cleanups.push(() => running.close());
    const warning = `insecure: anyone who reaches ${running.disco} may provide any name (no tokens; --insecure)`;
    expect(recorder.lines('warn')).toEqual([warning]);
    await eventually(() => recorder.lines('warn').length >= 3, 2000, 'the warning to come again');
    expect(new Set(recorder.lines('warn'))).toEqual(new Set([warning]));
    await running.close();
    const said = recorder.lines('warn').length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(recorder.lines('warn')).toHaveLength(said);
  });

  it('runs without DNS when it is off', async () => {
    const running = await runDisco({ ...EMBEDDED_DISCO, dns: 'off' }, { logger: quietLogger });
    cleanups.push(() => running.close());
    expect(running.dns).toBeUndefined();
    expect(running.dnsAddress).toBeUndefined();
    expect(await accepts('127.0.0.1', parseHostPort(running.disco).port)).toBe(true);
  });

  it('fails in one sentence when DNS cannot listen, and leaves the protocol listener closed', async () => {
    const taken = await occupy();
    cleanups.push(() => new Promise((resolve) => taken.server.close(resolve)));
    const before = openListeners();
    const settings = {
      ...EMBEDDED_DISCO,
      dns: { ...(EMBEDDED_DISCO.dns as Exclude<typeof EMBEDDED_DISCO.dns, 'off'>), listen: { host: '127.0.0.1', port: taken.port } },
    };
    await expect(runDisco(settings, { logger: quietLogger })).rejects.toThrow(
      new RegExp(`^cannot serve DNS on 127\\.0\\.0\\.1:${taken.port}: [^\\n]+$`),
    );
    await settled(before);
  });

  it('fails in one sentence when a TLS file is missing, before it listens', async () => {
    const before = openListeners();
    await expect(runDisco({ ...EMBEDDED_DISCO, tls: { cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' } })).rejects.toThrow(
      'the TLS certificate file /nonexistent/c.pem does not exist',
    );
    await settled(before);
  });
});
