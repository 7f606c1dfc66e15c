// prom-client's registry as a route of the HTTP listener: /metrics in Prometheus' text format.

import { Counter, type Registry } from 'prom-client';
import type { DnsCounts } from '../dns/counts.ts';
import type { Route } from '../http/routes.ts';
import { EVERY_NAME } from '../server/scopes.ts';

/** With tokens, /metrics needs a token that may observe every name: the counts cover them all. */
export function metricsRoute(registry: Registry): Route {
  return {
    access: (scope) => scope.mayObserve(EVERY_NAME),
    reply: async () => ({ status: 200, type: registry.contentType, body: await registry.metrics() }),
  };
}

/** Seconds, for latencies measured in the process: from 100 µs (a fan-out to a few) to 10 s (a live update). */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `scs_dns_queries_total`: a DNS server's plain counts (src/dns/counts.ts), copied when scraped. */
export function dnsQueries(registry: Registry, counts: DnsCounts): void {
  new Counter({
    name: 'scs_dns_queries_total',
    help: 'DNS queries answered, by type, rcode and view (zone, local, outside).',
    labelNames: ['type', 'rcode', 'view'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { type, rcode, view, count } of counts.entries()) this.inc({ type, rcode, view }, count);
    },
  });
}
