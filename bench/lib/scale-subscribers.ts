// bench:scale's subscribers part: fan-out latency as the subscribers of one name grow, on disco
// (100 subscriptions a connection) and on etcd (one watch, and one HTTP stream, each).

import { startDisco, WITHOUT_DNS } from './disco-process.ts';
import { Etcd } from './etcd.ts';
import { discoFanout, etcdFanout } from './fanout.ts';
import { summarize } from './stats.ts';

export interface SubscriberRow {
  width: number;
  rounds: number;
  disco: { p50: number; p99: number };
  etcd?: { p50: number; p99: number };
}

/**
 * Fewer rounds where one takes long (etcd needs seconds a round at W = 10,000): 300 samples make a
 * p99 at small W; at 50, the p99 is the slowest round.
 */
export const roundsFor = (width: number, quick: boolean) => (quick ? 50 : width >= 10_000 ? 50 : width >= 1000 ? 100 : 300);

export async function subscriberRows(widths: number[], quick: boolean, withEtcd: boolean, log: (row: SubscriberRow) => void) {
  const rows: SubscriberRow[] = [];
  const disco = await startDisco(WITHOUT_DNS);
  const etcd = withEtcd ? await Etcd.start() : undefined;
  try {
    for (const width of widths) {
      const rounds = roundsFor(width, quick);
      const ours = summarize(await discoFanout(disco.port, width, rounds));
      const theirs = etcd ? summarize(await etcdFanout(etcd, width, rounds)) : undefined;
      const row = { width, rounds, disco: ours, ...(theirs ? { etcd: theirs } : {}) };
      rows.push(row);
      log(row);
    }
  } finally {
    disco.stop();
    etcd?.stop();
  }
  return rows;
}
