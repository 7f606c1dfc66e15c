// Issue 26 §5: one name with thousands of endpoints. Measures, over real sockets, answers made
// afresh (never from the reply cache) for its SRV, PTR and A questions over UDP (truncated) and TCP
// (capped, on a new connection each), once the zone's view is built (timed apart), at 500, 2,000
// and 30,000 endpoints. Each figure is the median of 9 answers, after a warm-up of the code paths.

import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { rawTcp, rawUdp, wireQuery } from '../../test/helpers/dns.ts';
import { quietLogger } from '../../test/helpers/logging.ts';
import { summarize } from '../lib/stats.ts';
import type { Attack } from './attack.ts';

const SIZES = [500, 2000, 30_000];
/** Answers measured per question, after one that warms the code paths. */
const ROUNDS = 9;
const SRV = '_http._tcp.web.big.prod.disco';
const QUESTIONS = [
  { label: 'SRV', name: SRV, type: 33 },
  { label: 'PTR', name: SRV, type: 12 },
  { label: 'A', name: 'web.big.prod.disco', type: 1 },
];

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const attack: Attack = {
  name: 'dns-large-answer',
  replays: 'SRV, PTR and A questions for one name with 500, 2,000 and 30,000 endpoints, over UDP and TCP',
  before: '500: 3.3–4.3 s SRV, 10.7 s PTR; 3,000: 12 s A; 30,000: > 2.5 min CPU',
  target: 'first answer for 2,000 endpoints under 20 ms over TCP and under 5 ms over UDP',
  async run() {
    const parts: string[] = [];
    let met = true;
    for (const size of SIZES) {
      const registry = new Registry();
      for (let i = 0; i < size; i++) {
        const host = `10.${100 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${i & 255}`;
        registry.provide({ name: 'http.web.big.prod', address: { host, port: 8080, protocol: 'tcp' }, attributes: {}, owner: 'b' });
      }
      const dns = new DnsServer(registry, { host: '127.0.0.1', port: 0, logger: quietLogger });
      const { udp } = await dns.listen();
      try {
        const build = await timed(() => rawUdp(udp.port, wireQuery('nothing.disco', 1), 600_000));
        const figures: string[] = [];
        for (const { label, name, type } of QUESTIONS) {
          const overUdp: number[] = [];
          const overTcp: number[] = [];
          for (let round = 0; round < ROUNDS + 1; round++) {
            // A change at the name before each question: its answers are made afresh, not taken from the reply cache.
            const touch = () => {
              const { provision } = registry.provide({
                name: 'http.web.big.prod',
                address: { host: '10.99.0.1', port: 1, protocol: 'tcp' },
                attributes: {},
                owner: 'b',
              });
              registry.drop(provision.id);
            };
            touch();
            const u = await timed(() => rawUdp(udp.port, wireQuery(name, type, { id: round, edns: { size: 1232 } }), 600_000));
            touch();
            const t = await timed(() => rawTcp(udp.port, [wireQuery(name, type, { id: round })], 1, 600_000));
            if (round > 0) {
              overUdp.push(u);
              overTcp.push(t);
            }
          }
          const udpMedian = summarize(overUdp).p50;
          const tcpMedian = summarize(overTcp).p50;
          figures.push(`${label} ${udpMedian.toFixed(1)}/${tcpMedian.toFixed(1)}`);
          if (size === 2000 && (udpMedian >= 5 || tcpMedian >= 20)) met = false;
        }
        parts.push(`${size.toLocaleString('en')}: ${figures.join(', ')} (view built in ${build.toFixed(0)} ms)`);
      } finally {
        await dns.close();
      }
    }
    return { figure: `median ms, UDP/TCP: ${parts.join('; ')}`, met };
  },
};

export default attack;
