// disco's /ready: on a real one-member etcd, ready while etcd answers, 503 with the reason once it is
// gone, ready again when it is back; and with tokens, /health open, /ready for any known token.

import { describe, expect, it } from 'vitest';
import { EMBEDDED_DISCO, runDisco } from '../../src/server/run-disco.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { ETCD, EtcdCluster } from '../helpers/etcd-cluster.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventuallyAsync } from '../helpers/wait.ts';

const http = { host: '127.0.0.1', port: 0 };

const page = async (url: string, token?: string) => {
  const reply = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return `${reply.status} ${(await reply.text()).trim()}`;
};

describe("disco's /ready", () => {
  it('with tokens: /health is open, /ready takes any token disco knows, /metrics one that observes every name', async () => {
    const tokens = [
      { token: 'probe-token-0123456789', where: 'tokens.0', provide: [], require: [], observe: [] },
      { token: 'prometheus-token-0123456789', where: 'tokens.1', provide: [], require: [], observe: ['*.*.*.*'] },
    ];
    const running = await runDisco({ ...EMBEDDED_DISCO, http, tokens }, { logger: quietLogger });
    onCleanup(() => running.close());
    const url = `http://${running.httpAddress}`;
    expect(await page(`${url}/health`)).toBe('200 ok');
    expect(await page(`${url}/ready`)).toMatch(/^401 /);
    expect(await page(`${url}/ready`, 'probe-token-0123456789')).toBe('200 ready');
    expect(await page(`${url}/metrics`, 'probe-token-0123456789')).toMatch(/^403 /);
    expect(await page(`${url}/metrics`, 'prometheus-token-0123456789')).toMatch(/^200 # HELP/);
  });

  it.skipIf(!ETCD)(
    `is 503 with the reason while etcd is gone, and ready again once it is back${ETCD ? '' : ' (skipped: etcd is not installed)'}`,
    async () => {
      const cluster = await EtcdCluster.start(1);
      onCleanup(() => cluster.stop());
      const running = await runDisco({ ...EMBEDDED_DISCO, http, etcd: { endpoints: cluster.urls } }, { logger: quietLogger });
      onCleanup(() => running.close());
      const url = `http://${running.httpAddress}/ready`;
      expect(await page(url)).toBe('200 ready');

      cluster.kill(0);
      await eventuallyAsync(
        async () => /^503 etcd (did not answer|is not reachable)/.test(await page(url)),
        15_000,
        '/ready to say etcd is gone',
      );
      expect(await page(`http://${running.httpAddress}/health`)).toBe('200 ok');

      await cluster.restart(0);
      await eventuallyAsync(async () => (await page(url)) === '200 ready', 30_000, '/ready to be ready again');
    },
    90_000,
  );
});
