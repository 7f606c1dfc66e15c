// disco's /metrics (src/metrics/disco-metrics.ts) on a real disco with DNS, in process: the values
// follow what the server holds and does, and promtool finds the exposition clean.

import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { MAX_LINE_BYTES } from '../../src/protocol/framing.ts';
import { EMBEDDED_DISCO, runDisco } from '../../src/server/run-disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const promtool = spawnSync('promtool', ['--version']).status === 0;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function disco() {
  const running = await runDisco({ ...EMBEDDED_DISCO, http: { host: '127.0.0.1', port: 0 } }, { logger: quietLogger });
  cleanups.push(() => running.close());
  const metrics = async () => (await fetch(`http://${running.httpAddress}/metrics`)).text();
  const client = await DiscoClient.connect({ ...parseHostPort(running.disco), name: 'metrics test', logger: quietLogger });
  cleanups.push(() => client.close());
  return { running, metrics, client };
}

/** The value of one sample, by its name and labels as exposed; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("disco's metrics", () => {
  it('show what the server holds, what DNS answered, pushes and refusals', async () => {
    const { running, metrics, client } = await disco();
    const handles = await Promise.all(
      ['web', 'api', 'db'].map((service) => client.provide({ name: `http.${service}.shop.test`, host: '127.0.0.1', port: 8080 })),
    );
    const watcher = await DiscoClient.connect({ ...parseHostPort(running.disco), name: 'watcher', logger: quietLogger });
    cleanups.push(() => watcher.close());
    await watcher.require({ name: 'http.web.shop.test' });
    const resolver = new Resolver();
    resolver.setServers([running.dnsAddress!]);
    await resolver.resolve4('web.shop.test.disco');
    await resolver.resolve4('web.shop.test.disco');
    await resolver.resolveSrv('_http._tcp.nothing.shop.test.disco').catch(() => {});
    await expect(client.provide({ name: 'not a name', host: '127.0.0.1', port: 1 })).rejects.toThrow();

    let text = await metrics();
    expect(sample(text, 'scs_disco_sessions')).toBe(2);
    expect(sample(text, 'scs_disco_provisions')).toBe(3);
    expect(sample(text, 'scs_disco_requirements')).toBe(1);
    expect(sample(text, 'scs_dns_queries_total{type="A",rcode="NOERROR",view="zone"}')).toBe(2);
    expect(sample(text, 'scs_dns_queries_total{type="SRV",rcode="NXDOMAIN",view="zone"}')).toBe(1);
    expect(sample(text, 'scs_dns_cache_hits_total')).toBe(1);
    expect(sample(text, 'scs_disco_refusals_total{code="invalid_name"}')).toBe(1);
    expect(sample(text, 'scs_disco_refusals_total{code="forbidden"}')).toBe(0);
    const pushes = sample(text, 'scs_disco_pushes_total')!;

    // A drop reaches the watcher as a push.
    await handles[0]!.drop();
    text = await eventuallyAsync(async () => {
      const now = await metrics();
      return sample(now, 'scs_disco_pushes_total')! > pushes && now;
    });
    expect(sample(text, 'scs_disco_provisions')).toBe(2);
    expect(sample(text, 'scs_disco_fanout_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // The watcher acknowledges the push: the ack lag has its first sample.
    await eventuallyAsync(async () => (sample(await metrics(), 'scs_disco_ack_lag_seconds_count') ?? 0) >= 1, 3000, 'an ack');
  });

  it('counts a connection closed for a line too long as a refusal with its code', async () => {
    const { running, metrics } = await disco();
    const { host, port } = parseHostPort(running.disco);
    const closed = new Promise<void>((resolve) => {
      const socket = connect(port, host, () => socket.write('x'.repeat(MAX_LINE_BYTES + 1024)));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.resume();
    });
    await closed;
    expect(sample(await metrics(), 'scs_disco_refusals_total{code="line_too_long"}')).toBe(1);
  });

  it('counts a packet that is no query as type "invalid"', async () => {
    const { running, metrics } = await disco();
    const { host, port } = parseHostPort(running.dnsAddress!);
    const socket = createSocket('udp4');
    cleanups.push(() => socket.close());
    // A header that says "one question" and then stops: FORMERR.
    await new Promise<void>((resolve) => socket.send(Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9]), port, host, () => resolve()));
    const text = await eventuallyAsync(async () => {
      const now = await metrics();
      return now.includes('type="invalid"') && now;
    });
    expect(sample(text, 'scs_dns_queries_total{type="invalid",rcode="FORMERR",view="outside"}')).toBe(1);
  });

  it.skipIf(!promtool)('pass promtool check metrics (skipped without promtool: apt-get install prometheus)', async () => {
    const { metrics, client } = await disco();
    await client.provide({ name: 'http.web.shop.test', host: '127.0.0.1', port: 8080 });
    const text = await metrics();
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: checked.status, output: `${checked.stdout}${checked.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
