// A real Prometheus scrapes a real disco's --http port: the gauges it stores are what the test
// registered, and a counter moves after a provider drops.

import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { scs } from '../helpers/cli.ts';
import { quietLogger } from '../helpers/logging.ts';
import { PROMETHEUS, startPrometheus } from '../helpers/prometheus.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!PROMETHEUS)(
  `Prometheus scraping disco${PROMETHEUS ? '' : ' (skipped: prometheus is not installed; scripts/install-deps installs it)'}`,
  { timeout: 90_000 },
  () => {
    it('stores the provisions registered, and sees the pushes and drops counters move after a provider drops, each drop with its reason', async () => {
      const disco = scs(['disco', '--listen', '127.0.0.1:0', '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0']);
      cleanups.push(async () => {
        disco.child.kill('SIGTERM');
        await disco.exited;
      });
      const output = () => disco.stdout + disco.stderr;
      const http = eventually(() => /http on (127\.0\.0\.1:\d+)/.exec(output())?.[1], 15_000, 'disco to say where its HTTP listener is');
      const address = await http;
      const listen = /listening on tcp (127\.0\.0\.1:\d+)/.exec(output())![1]!;

      const provider = await DiscoClient.connect({ ...parseHostPort(listen), name: 'provider', logger: quietLogger });
      cleanups.push(() => provider.close());
      const watcher = await DiscoClient.connect({ ...parseHostPort(listen), name: 'watcher', logger: quietLogger });
      cleanups.push(() => watcher.close());
      const handles = await Promise.all(
        ['web', 'api', 'db'].map((service) => provider.provide({ name: `http.${service}.shop.test`, host: '10.0.0.1', port: 8080 })),
      );
      await watcher.require({ name: 'http.*.shop.test' });

      const prometheus = await startPrometheus([{ job: 'disco', target: address }]);
      cleanups.push(() => prometheus.close());
      await eventuallyAsync(
        async () => (await prometheus.value('scs_disco_provisions{job="disco"}')) === 3,
        30_000,
        'Prometheus to store 3 provisions',
      );
      expect(await prometheus.value('scs_disco_sessions{job="disco"}')).toBe(2);
      expect(await prometheus.value('scs_disco_requirements{job="disco"}')).toBe(1);
      const before = (await prometheus.value('scs_disco_pushes_total{job="disco"}'))!;
      expect(before).toBe(0);

      await handles[0]!.drop();
      await eventuallyAsync(
        async () => ((await prometheus.value('scs_disco_pushes_total{job="disco"}')) ?? 0) > before,
        30_000,
        'the pushes counter to move in Prometheus',
      );
      await eventuallyAsync(async () => (await prometheus.value('scs_disco_provisions{job="disco"}')) === 2, 30_000, '2 provisions');
      // The drop is counted with its reason, the word its event carries; a goodbye then drops the other two.
      await eventuallyAsync(
        async () => (await prometheus.value('scs_disco_drops_total{job="disco",reason="unprovide"}')) === 1,
        30_000,
        'one drop for the reason unprovide',
      );
      await provider.close();
      await eventuallyAsync(
        async () => (await prometheus.value('scs_disco_drops_total{job="disco",reason="goodbye"}')) === 2,
        30_000,
        'two drops for the reason goodbye',
      );
      expect(await prometheus.value('up{job="disco"}')).toBe(1);
    });
  },
);
