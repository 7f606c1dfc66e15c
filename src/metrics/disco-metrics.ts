// disco's metrics (docs/observe.md lists them). Gauges are read from what the server already holds
// when Prometheus asks; the DNS path and etcd keep plain counts that become counters then too; only
// what the server tells its meter (pushes, resyncs, refusals) is counted as it happens, off the DNS
// path. Every label value comes from a closed set.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DnsCounts } from '../dns/counts.ts';
import type { DnsServer } from '../dns/server.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { REGISTRY_REASONS, type RegistryReason } from '../reasons.ts';
import type { EtcdClient } from '../server/etcd-client.ts';
import type { ServerMeter } from '../server/meter.ts';
import type { DiscoServer } from '../server/server.ts';
import { dnsQueries, LATENCY_BUCKETS } from './exposition.ts';

/** Why a provider's endpoints left the registry: the closed set the events and logs share (src/reasons.ts), but `provide`. */
export const DROP_REASONS = (Object.keys(REGISTRY_REASONS) as RegistryReason[]).filter((reason) => reason !== 'provide');
export type DropReason = RegistryReason;

/** What the gauges and collected counters read; set once the server (and its DNS, its etcd) exist. */
export interface DiscoSources {
  readonly server: Pick<DiscoServer, 'sessionCount' | 'connectionCount' | 'unackedPushes' | 'registry'>;
  readonly dns?: Pick<DnsServer, 'cache' | 'forwarder'> | undefined;
  readonly etcd?: Pick<EtcdClient, 'stats'> | undefined;
}

export class DiscoMetrics implements ServerMeter {
  readonly registry = new Registry();
  /** Handed to the DNS server (its `counts` option): counted on its hot path, read here. */
  readonly dnsCounts = new DnsCounts();
  private sources: DiscoSources | undefined;
  private readonly pushes: Counter;
  private readonly fanOut: Histogram;
  private readonly resyncs: Counter;
  private readonly ackLag: Histogram;
  private readonly refusals: Counter<'code'>;
  private readonly drops: Counter<'reason'>;

  constructor() {
    const registers = [this.registry];
    const read = (value: (sources: DiscoSources) => number | undefined) => () => {
      const sources = this.sources;
      return sources ? value(sources) : undefined;
    };
    gauge(
      this.registry,
      'scs_disco_sessions',
      'Sessions this server holds, connected or in their grace.',
      read((s) => s.server.sessionCount),
    );
    gauge(
      this.registry,
      'scs_disco_connections',
      'Open protocol connections.',
      read((s) => s.server.connectionCount),
    );
    gauge(
      this.registry,
      'scs_disco_provisions',
      'Endpoints in the registry.',
      read((s) => s.server.registry.size),
    );
    gauge(
      this.registry,
      'scs_disco_requirements',
      'Requirements (subscriptions) in the registry.',
      read((s) => s.server.registry.requirementCount),
    );
    gauge(
      this.registry,
      'scs_disco_unacked_pushes',
      'Pushes sent and not yet acknowledged, over every session: the ack lag.',
      read((s) => s.server.unackedPushes),
    );
    this.pushes = new Counter({ name: 'scs_disco_pushes_total', help: 'Changed pushes written to subscribers.', registers });
    this.fanOut = new Histogram({
      name: 'scs_disco_fanout_duration_seconds',
      help: 'Time from a registry change to the last of its pushes written.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ackLag = new Histogram({
      name: 'scs_disco_ack_lag_seconds',
      help: 'Time from a push being sent to its ack, for the oldest push each ack covers.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.resyncs = new Counter({ name: 'scs_disco_resyncs_total', help: 'Resyncs sent to subscribers that fell behind.', registers });
    this.refusals = new Counter({
      name: 'scs_disco_refusals_total',
      help: 'Requests and connections refused, by error code.',
      labelNames: ['code'],
      registers,
    });
    for (const code of Object.values(ErrorCode)) this.refusals.inc({ code }, 0);
    this.drops = new Counter({
      name: 'scs_disco_drops_total',
      help: 'Endpoints dropped from the registry, by reason.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of DROP_REASONS) this.drops.inc({ reason }, 0);
    dnsQueries(this.registry, this.dnsCounts);
    collected(
      this.registry,
      'scs_dns_cache_hits_total',
      'DNS answers served from the reply cache.',
      read((s) => s.dns?.cache.hits),
    );
    collected(
      this.registry,
      'scs_dns_cache_misses_total',
      'DNS answers that had to be encoded.',
      read((s) => s.dns?.cache.misses),
    );
    collected(
      this.registry,
      'scs_dns_forwards_total',
      'Queries forwarded to the recursors.',
      read((s) => s.dns?.forwarder.stats.forwarded),
    );
    collected(
      this.registry,
      'scs_dns_forwards_unanswered_total',
      'Forwarded queries no recursor answered in time, or refused at the cap on forwards.',
      read((s) => s.dns?.forwarder.stats.unanswered),
    );
    collected(
      this.registry,
      'scs_disco_etcd_requests_total',
      'Requests sent to etcd.',
      read((s) => s.etcd?.stats.roundTrips),
    );
    collected(
      this.registry,
      'scs_disco_etcd_errors_total',
      'Requests to etcd that failed.',
      read((s) => s.etcd?.stats.errors),
    );
  }

  /** What the gauges read: given once the server and its parts exist. */
  attach(sources: DiscoSources): void {
    this.sources = sources;
  }

  fannedOut(pushes: number, seconds: number): void {
    this.pushes.inc(pushes);
    this.fanOut.observe(seconds);
  }

  acked(seconds: number): void {
    this.ackLag.observe(seconds);
  }

  resynced(): void {
    this.resyncs.inc();
  }

  refused(code: ErrorCode): void {
    this.refusals.inc({ code });
  }

  /** For the registry's drops (the events' reasons): `provisions` endpoints left for `reason`. */
  dropped(reason: DropReason, provisions = 1): void {
    this.drops.inc({ reason }, provisions);
  }
}

/** A gauge read when scraped; absent until there is something to read. */
function gauge(registry: Registry, name: string, help: string, value: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const now = value();
      if (now !== undefined) this.set(now);
    },
  });
}

/** A counter kept as a plain number elsewhere, copied when scraped. */
function collected(registry: Registry, name: string, help: string, value: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = value();
      this.reset();
      if (now !== undefined) this.inc(now);
    },
  });
}
