// npx tsx bench/dns-blip.ts — how long a name is missing, seen through a caching resolver, while its
// provider restarts in place: the provision is dropped and provided again 0.5 s later on a new port.
// A client asks dnsmasq (Debian's, in the foreground on loopback, forwarding the zone to disco) every
// 20 ms from the drop on; its first lookup lands in the gap, so the resolver caches the negative
// answer, which is the case the blip is about. Measured twice: as disco answered before (NXDOMAIN,
// 5 s negative TTL) and as it answers now (NODATA tombstone, 1 s negative TTL); and straight to
// disco, with no resolver, for reference. BLIP_TRIALS (default 5) restarts each.

import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { consola } from 'consola';
import { DnsServer, type DnsServerOptions } from '../src/dns/server.ts';
import { Registry } from '../src/registry/registry.ts';
import { startOnPortOutsideEphemeral } from '../test/helpers/ports.ts';
import { startProcess, which } from './lib/processes.ts';
import { printTable } from './lib/stats.ts';

const TRIALS = Number(process.env.BLIP_TRIALS ?? 5);
const RESTART_MS = 500;
const POLL_MS = 20;
const GIVE_UP_MS = 15_000;
const quiet = consola.create({ level: -999 });

interface Reply {
  rcode: number;
  answers: number;
}

/** A UDP DNS client for A queries, by hand: one socket, replies matched by id. */
class Client {
  private readonly socket: Socket = createSocket('udp4');
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private id = 0;

  constructor(private readonly port: number) {
    this.socket.on('message', (message) => {
      const id = message.readUInt16BE(0);
      this.waiting.get(id)?.({ rcode: message[3]! & 0x0f, answers: message.readUInt16BE(6) });
      this.waiting.delete(id);
    });
  }

  ask(name: string): Promise<Reply | undefined> {
    const id = (this.id = (this.id + 1) & 0xffff);
    const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
    const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const query = Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, 1000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.send(query, this.port, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}

interface Trial {
  /** From the drop to the first lookup with an address. */
  missingMs: number;
  /** The part of it after the provider was back: what caching added. */
  afterBackMs: number;
  nxdomain: number;
  nodata: number;
}

async function restart(registry: Registry, client: Client, name: string): Promise<Trial> {
  const provide = (port: number) =>
    registry.provide({
      name: `http.${name}.blip.bench`,
      address: { host: '10.9.0.1', port, protocol: 'tcp' },
      attributes: {},
      owner: 'bench',
    });
  const { provision } = provide(8080);
  const dropped = performance.now();
  registry.drop(provision.id);
  const back = new Promise<number>((resolve) =>
    setTimeout(() => {
      provide(8081);
      resolve(performance.now());
    }, RESTART_MS),
  );
  const trial = { missingMs: Number.NaN, afterBackMs: Number.NaN, nxdomain: 0, nodata: 0 };
  while (performance.now() - dropped < GIVE_UP_MS) {
    const reply = await client.ask(`${name}.blip.bench.disco`);
    if (reply && reply.answers > 0) {
      const at = performance.now();
      trial.missingMs = at - dropped;
      trial.afterBackMs = at - (await back);
      break;
    }
    if (reply?.rcode === 3) trial.nxdomain++;
    else if (reply?.rcode === 0) trial.nodata++;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await back;
  return trial;
}

async function measure(label: string, options: Partial<DnsServerOptions>, rows: Array<Array<string | number>>): Promise<void> {
  const registry = new Registry();
  const server = new DnsServer(registry, { host: '127.0.0.1', port: 0, logger: quiet, ...options });
  const { port } = (await server.listen()).udp;
  let dnsmasq: ChildProcess | undefined;
  try {
    // dnsmasq takes a port number only: one from outside the ephemeral range, another while it is taken.
    const resolverPort = await startOnPortOutsideEphemeral(async (resolverPort) => {
      ({ child: dnsmasq } = await startProcess(
        'dnsmasq',
        [
          '--keep-in-foreground',
          '--log-facility=-',
          '--conf-file=/dev/null',
          '--no-resolv',
          '--no-hosts',
          '--bind-interfaces',
          '--listen-address=127.0.0.1',
          `--port=${resolverPort}`,
          `--server=/disco/127.0.0.1#${port}`,
          '--pid-file=',
        ],
        /started, version/,
      ));
      return resolverPort;
    });
    for (const [via, clientPort] of [
      ['dnsmasq', resolverPort],
      ['straight to disco', port],
    ] as const) {
      const client = new Client(clientPort);
      const trials: Trial[] = [];
      for (let i = 0; i < TRIALS; i++) trials.push(await restart(registry, client, `${via === 'dnsmasq' ? 'r' : 'd'}${i}`));
      client.close();
      const mean = (pick: (trial: Trial) => number) => (trials.reduce((sum, trial) => sum + pick(trial), 0) / trials.length).toFixed(0);
      const max = (pick: (trial: Trial) => number) => Math.max(...trials.map(pick)).toFixed(0);
      rows.push([
        label,
        via,
        mean((t) => t.missingMs),
        max((t) => t.missingMs),
        mean((t) => t.afterBackMs),
        trials.reduce((sum, t) => sum + t.nxdomain, 0),
        trials.reduce((sum, t) => sum + t.nodata, 0),
      ]);
    }
  } finally {
    dnsmasq?.kill();
    await server.close();
  }
}

if (!which('dnsmasq')) {
  console.error('bench:dns-blip needs dnsmasq (Debian: apt-get install dnsmasq-base)');
  process.exit(1);
}
const rows: Array<Array<string | number>> = [];
await measure('before: NXDOMAIN, negative TTL 5 s', { tombstoneMs: 0, negativeTtl: 5 }, rows);
await measure('now: NODATA for 30 s, negative TTL 1 s', {}, rows);
printTable(
  `A provider restarting in place (dropped, back ${RESTART_MS} ms later on a new port); lookups every ${POLL_MS} ms from the drop on; ${TRIALS} restarts each`,
  ['disco answers', 'client asks', 'missing ms (mean)', 'missing ms (max)', 'after back ms (mean)', 'NXDOMAIN seen', 'NODATA seen'],
  rows,
);
