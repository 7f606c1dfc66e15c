// disco's HTTP listener: /health, /ready and /metrics, and the web view with its status and event
// stream (src/web/routes.ts). /health is open to anyone; /ready to any token the server knows, whatever it grants
// (its one line names no service or address); /metrics to a token that may observe every name.

import type { ConsolaInstance } from 'consola';
import type { HostPort } from '../address.ts';
import type { HttpTokens } from '../http/auth.ts';
import { HttpListener } from '../http/listener.ts';
import { RouteTable, textReply } from '../http/routes.ts';
import type { DiscoMetrics } from '../metrics/disco-metrics.ts';
import { metricsRoute } from '../metrics/exposition.ts';
import { addWebRoutes, type WebParts } from '../web/routes.ts';
import type { EtcdClient } from './etcd-client.ts';

export interface DiscoHttpParts {
  readonly address: HostPort;
  readonly tokens: HttpTokens | undefined;
  readonly metrics: DiscoMetrics;
  /** Whether DNS was asked for, and whether it listens now. */
  readonly dns: { readonly wanted: boolean; listening(): boolean };
  readonly etcd: Pick<EtcdClient, 'ping'> | undefined;
  /** The web view and its sources (src/web/routes.ts). */
  readonly web?: WebParts;
  readonly logger: ConsolaInstance;
}

/** How long /ready waits for etcd, and how long its answer stands (a probe every second costs etcd nothing much). */
const ETCD_PROBE_MS = 2000;
const ETCD_ANSWER_STANDS_MS = 1000;

export async function startDiscoHttp(parts: DiscoHttpParts): Promise<{ listener: HttpListener; routes: RouteTable }> {
  const routes = new RouteTable();
  const etcdReachable = parts.etcd && etcdProbe(parts.etcd);
  routes.add('/health', { access: 'open', reply: () => textReply(200, 'ok') });
  routes.add('/ready', {
    access: 'known',
    reply: async () => {
      if (parts.dns.wanted && !parts.dns.listening()) return textReply(503, 'DNS is not listening');
      const etcd = await etcdReachable?.();
      if (etcd) return textReply(503, etcd);
      return textReply(200, 'ready');
    },
  });
  routes.add('/metrics', metricsRoute(parts.metrics.registry));
  if (parts.web) addWebRoutes(routes, parts.web);
  const listener = new HttpListener(routes, {
    host: parts.address.host,
    port: parts.address.port,
    ...(parts.tokens ? { tokens: parts.tokens } : {}),
    logger: parts.logger,
  });
  await listener.listen();
  return { listener, routes };
}

/** Why etcd is not reachable, or undefined when it answered; one probe at a time, its answer kept a moment. */
function etcdProbe(etcd: Pick<EtcdClient, 'ping'>): () => Promise<string | undefined> {
  let last: { at: number; answer: Promise<string | undefined> } | undefined;
  return () => {
    const now = Date.now();
    if (last && now - last.at < ETCD_ANSWER_STANDS_MS) return last.answer;
    let timer: NodeJS.Timeout | undefined;
    const answer = Promise.race([
      etcd.ping().then(() => undefined),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`etcd did not answer within ${ETCD_PROBE_MS / 1000} s`), ETCD_PROBE_MS);
      }),
    ])
      .catch((error: Error) => `etcd is not reachable: ${error.message.split('\n')[0]}`)
      .finally(() => clearTimeout(timer));
    last = { at: now, answer };
    // A probe still running is shared, however long it takes.
    void answer.then(() => {
      if (last?.answer === answer) last = { at: Date.now(), answer };
    });
    return answer;
  };
}
