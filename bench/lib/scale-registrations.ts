// bench:scale's registrations part: a registry of N endpoints in disco (in memory, and through etcd
// for HA) and the same keys in bare etcd; for each, the time to fill it, the memory it takes, and
// what one change costs once it is full: is a change at 1,000,000 the price of one at 10,000?

import type { DiscoClient } from '../../src/client/client.ts';
import { Counter } from './counter.ts';
import { cpuNanoseconds } from './cpu.ts';
import { connect, startDisco, WITHOUT_DNS } from './disco-process.ts';
import { Etcd } from './etcd.ts';
import { hostOf } from './knot.ts';
import { rssBytes } from './processes.ts';
import { summarize } from './stats.ts';

/** Requests in flight on the one connection, as bench:disco's registrations. */
const WINDOW = 2000;
/** Endpoints a name: the registry grows in names as well as in endpoints. */
const PER_NAME = 10;
/** Two attributes of 16 bytes each, as the memory target has them. */
const ATTRS = { zone: 'us-east-1a-rack1', tier: 'backend-tier-001' };
const CHANGE_WARMUP = 10;
/**
 * The 1,000,000 registrations, their names and the server's tables outgrow Node's default heap on
 * a machine with little memory (its limit follows the machine's size: 2 GB with 8 GB): give disco
 * room explicitly, at every size of this part so that its sizes compare.
 */
const DISCO_NODE = ['--max-old-space-size=6144'];

export interface RegistrationRow {
  path: 'disco' | 'HA' | 'etcd';
  count: number;
  seconds: number;
  /** The serving process's CPU a registration (disco's, or etcd's on the etcd rows); etcd's under an HA disco. */
  cpuUsPerRegistration: number;
  etcdCpuUsPerRegistration?: number;
  /** The serving process's RSS once full (disco's, or etcd's for the etcd rows), and its growth a registration. */
  rss: number;
  bytesPer: number;
  /** etcd's RSS under an HA disco. */
  etcdRss?: number;
  change: { p50: number; p99: number };
  /** The same a change; and what the servers spent idle (both for HA), per second. */
  cpuUsPerChange: number;
  etcdCpuUsPerChange?: number;
  idleMsPerSecond: number;
}

const nameOf = (i: number, count: number) => `svc${i % Math.max(1, Math.ceil(count / PER_NAME))}.reg.bench.prod`;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
/** Nanoseconds of CPU of each process. */
const cpuOf = (pids: number[]) => pids.map(cpuNanoseconds);
/** µs each process spent since `before`, per one of `count` operations. */
const cpuPer = (pids: number[], before: number[], count: number) => cpuOf(pids).map((now, i) => (now - before[i]!) / 1000 / count);

/** CPU the processes spend doing nothing asked of them, in ms per second (timers, heartbeats, GC). */
async function idle(pids: number[]): Promise<number> {
  const before = total(cpuOf(pids));
  const started = performance.now();
  await settle(1000);
  return (total(cpuOf(pids)) - before) / 1e6 / ((performance.now() - started) / 1000);
}

async function register(client: DiscoClient, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await client.provide({ name: nameOf(i, count), host: hostOf(i), port: 3306, attrs: ATTRS });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, lane));
  return (performance.now() - started) / 1000;
}

/**
 * One change is one provide, or one drop, of a name with a subscriber (on its own connection), timed
 * from the request to the subscriber's event. The provider is the session holding the registry.
 */
async function discoChanges(provider: DiscoClient, port: number, pids: number[], rounds: number) {
  const subscriber = await connect(port, 'bench-change-subscriber');
  const adds = new Counter();
  const drops = new Counter();
  const name = 'change.reg.bench.prod';
  await subscriber.require({ name }, (event) => {
    adds.add(event.add.length);
    drops.add(event.drop.length);
  });
  const samples: number[] = [];
  let cpu: number[] = [];
  for (let round = 0; round < CHANGE_WARMUP + rounds; round++) {
    if (round === CHANGE_WARMUP) cpu = cpuOf(pids);
    adds.reset();
    drops.reset();
    let started = performance.now();
    const provided = provider.provide({ name, host: '10.255.0.5', port: 3306, attrs: ATTRS });
    await adds.reach(1);
    const added = performance.now() - started;
    const handle = await provided;
    started = performance.now();
    const dropped = handle.drop();
    await drops.reach(1);
    if (round >= CHANGE_WARMUP) samples.push(added, performance.now() - started);
    await dropped;
  }
  const [server, etcd] = cpuPer(pids, cpu, samples.length);
  await subscriber.close();
  return { change: summarize(samples), cpuUsPerChange: server!, ...(etcd === undefined ? {} : { etcdCpuUsPerChange: etcd }) };
}

async function closeWithin(client: DiscoClient, ms: number): Promise<void> {
  await Promise.race([client.close(), settle(ms)]);
}

/** disco in memory, or on a fresh etcd (HA): fill it with `count` endpoints, then change one name. */
async function discoRow(path: 'disco' | 'HA', count: number, rounds: number): Promise<RegistrationRow> {
  const etcd = path === 'HA' ? await Etcd.start() : undefined;
  const caps = ['--max-provisions-per-session', '--max-provisions-per-token', '--max-provisions'].flatMap((cap) => [
    cap,
    String(count + 1000),
  ]);
  const disco = await startDisco(
    [...WITHOUT_DNS, ...caps, ...(etcd ? ['--etcd', `http://127.0.0.1:${etcd.port}`, '--grace', '60s'] : [])],
    { node: DISCO_NODE },
  );
  const pids = etcd ? [disco.pid, etcd.pid!] : [disco.pid];
  try {
    const client = await connect(disco.port, 'bench-registrations');
    await settle(500);
    const before = rssBytes(disco.pid);
    const cpuBefore = cpuOf(pids);
    const seconds = await register(client, count);
    const [cpuUsPerRegistration, etcdCpuUsPerRegistration] = cpuPer(pids, cpuBefore, count);
    await settle(1000);
    const rss = rssBytes(disco.pid);
    const idleMsPerSecond = await idle(pids);
    const changes = await discoChanges(client, disco.port, pids, rounds);
    await closeWithin(client, 5000);
    return {
      path,
      count,
      seconds,
      cpuUsPerRegistration: cpuUsPerRegistration!,
      ...(etcdCpuUsPerRegistration === undefined ? {} : { etcdCpuUsPerRegistration }),
      rss,
      bytesPer: (rss - before) / count,
      ...(etcd ? { etcdRss: rssBytes(etcd.pid!) } : {}),
      idleMsPerSecond,
      ...changes,
    };
  } finally {
    disco.stop();
    etcd?.stop();
  }
}

/** Bare etcd: the same keys put (`/scs/reg/NAME/HOST:PORT`, the attributes as JSON), a put and a delete watched. */
async function etcdRow(count: number, rounds: number): Promise<RegistrationRow> {
  const etcd = await Etcd.start();
  const pid = etcd.pid!;
  try {
    await settle(500);
    const before = rssBytes(pid);
    const value = JSON.stringify(ATTRS);
    const cpuBefore = cpuNanoseconds(pid);
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        await etcd.put(`/scs/reg/${nameOf(i, count)}/${hostOf(i)}:3306`, value);
      }
    };
    // Fewer in flight than disco's: each is an HTTP request on its own socket of the gateway.
    await Promise.all(Array.from({ length: Math.min(200, count) }, lane));
    const seconds = (performance.now() - started) / 1000;
    const cpuUsPerRegistration = (cpuNanoseconds(pid) - cpuBefore) / 1000 / count;
    await settle(1000);
    const rss = rssBytes(pid);
    const idleMsPerSecond = await idle([pid]);
    const puts = new Counter();
    const deletes = new Counter();
    const cancel = await etcd.watch('/scs/change/', (type) => (type === 'PUT' ? puts : deletes).add(1));
    const samples: number[] = [];
    let cpu = 0;
    for (let round = 0; round < CHANGE_WARMUP + rounds; round++) {
      if (round === CHANGE_WARMUP) cpu = cpuNanoseconds(pid);
      puts.reset();
      deletes.reset();
      let at = performance.now();
      const put = etcd.put('/scs/change/10.255.0.5:3306', value);
      await puts.reach(1);
      const added = performance.now() - at;
      await put;
      at = performance.now();
      const deleted = etcd.delete('/scs/change/10.255.0.5:3306');
      await deletes.reach(1);
      if (round >= CHANGE_WARMUP) samples.push(added, performance.now() - at);
      await deleted;
    }
    cpu = cpuNanoseconds(pid) - cpu;
    cancel();
    return {
      path: 'etcd',
      count,
      seconds,
      cpuUsPerRegistration,
      rss,
      bytesPer: (rss - before) / count,
      idleMsPerSecond,
      change: summarize(samples),
      cpuUsPerChange: cpu / 1000 / samples.length,
    };
  } finally {
    etcd.stop();
  }
}

export interface RegistrationSizes {
  disco: number[];
  ha: number[];
  etcd: number[];
  /** Changes timed at each size (each a provide and a drop: twice as many samples). */
  rounds: number;
}

export async function registrationRows(sizes: RegistrationSizes, log: (row: RegistrationRow) => void): Promise<RegistrationRow[]> {
  const rows: RegistrationRow[] = [];
  const add = (row: RegistrationRow) => {
    rows.push(row);
    log(row);
  };
  for (const count of sizes.disco) add(await discoRow('disco', count, sizes.rounds));
  for (const count of sizes.ha) add(await discoRow('HA', count, sizes.rounds));
  for (const count of sizes.etcd) add(await etcdRow(count, sizes.rounds));
  return rows;
}
