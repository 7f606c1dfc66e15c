// bench:scale's DNS part: queries/s, CPU per query and memory as the names disco serves grow, with
// Knot serving the same names as its peer. Each server is pinned to core 0, dnsperf to core 1.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portOutsideEphemeral } from '../../test/helpers/ports.ts';
import { cpuSeconds } from './cpu.ts';
import { connect, startDisco } from './disco-process.ts';
import { dnsperf, queryFile } from './dnsperf.ts';
import { azOf, hostOf, knotConfig, startKnot } from './knot.ts';
import { rssBytes } from './processes.ts';

const run = promisify(execFile);

export interface DnsResult {
  qps: number;
  /** The server's CPU time (user + system) per answered query. */
  cpuUs: number;
  lost: number;
  rss: number;
}

export interface DnsRow {
  names: number;
  disco: DnsResult;
  knot?: DnsResult;
}

/**
 * The warm-up: every query of the file once (JIT, and each name's answer made), however long that
 * takes at 100,000 names; dnsperf's -n stops after one pass.
 */
async function warmUp(port: number, file: string): Promise<void> {
  await run('taskset', [
    '-c',
    '1',
    'dnsperf',
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    file,
    '-n',
    '1',
    '-l',
    '120',
    '-c',
    '4',
    '-q',
    '200',
    '-t',
    '2',
  ]);
}

/** A warm-up pass, then the measured run. */
async function measure(port: number, file: string, pid: number, seconds: number): Promise<DnsResult> {
  await warmUp(port, file);
  const before = cpuSeconds(pid);
  const r = await dnsperf('127.0.0.1', port, file, seconds, 1);
  const cpu = cpuSeconds(pid) - before;
  return { qps: r.qps, cpuUs: (cpu / r.completed) * 1e6, lost: r.lost, rss: rssBytes(pid) };
}

async function discoResult(count: number, file: string, seconds: number): Promise<DnsResult> {
  // The caps raised for the size, as an operator would: the session's provisions, and the reply
  // cache to the three questions asked of each name (its default, 50,000, holds some 16,000 names).
  const cache = Math.max(50_000, count * 3);
  const disco = await startDisco(
    ['--dns', '127.0.0.1:0', '--max-provisions-per-session', String(count + 1000), '--dns-cache-entries', String(cache)],
    { core: 0 },
  );
  try {
    const client = await connect(disco.port, 'bench-dns');
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        await client.provide({ name: `http.api${i}.bench.prod`, host: hostOf(i), port: 8080, attrs: { az: azOf(i) } });
      }
    };
    await Promise.all(Array.from({ length: Math.min(2000, count) }, lane));
    const result = await measure(disco.dnsPort!, file, disco.pid, seconds);
    await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    return result;
  } finally {
    disco.stop();
  }
}

async function knotResult(count: number, dir: string, file: string, seconds: number): Promise<DnsResult> {
  const port = portOutsideEphemeral();
  const knotd = await startKnot(knotConfig(dir, port, count), port, count, 0);
  try {
    return await measure(port, file, knotd.pid!, seconds);
  } finally {
    knotd.kill('SIGTERM');
    await new Promise((resolve) => knotd.once('exit', resolve));
  }
}

export async function dnsRows(sizes: number[], seconds: number, withKnot: boolean, log: (row: DnsRow) => void): Promise<DnsRow[]> {
  const rows: DnsRow[] = [];
  for (const names of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'scs-bench-scale-dns-'));
    try {
      const file = queryFile(dir, names);
      const disco = await discoResult(names, file, seconds);
      const knot = withKnot ? await knotResult(names, dir, file, seconds) : undefined;
      const row = { names, disco, ...(knot ? { knot } : {}) };
      rows.push(row);
      log(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
