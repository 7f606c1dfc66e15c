// dnsperf as the DNS benchmarks run it: 4 clients, up to 200 queries outstanding, 2 s timeout.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DnsperfResult {
  completed: number;
  qps: number;
  avgMs: number;
  maxMs: number;
  lost: number;
}

/** Runs dnsperf against `server:port` for `seconds`, optionally pinned to a core with taskset. */
export async function dnsperf(server: string, port: number, file: string, seconds: number, core?: number): Promise<DnsperfResult> {
  const args = ['-s', server, '-p', String(port), '-d', file, '-l', String(seconds), '-c', '4', '-q', '200', '-t', '2'];
  const { stdout } = core === undefined ? await run('dnsperf', args) : await run('taskset', ['-c', String(core), 'dnsperf', ...args]);
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
  return {
    completed: number(/Queries completed:\s+(\d+)/),
    qps: number(/Queries per second:\s+([\d.]+)/),
    avgMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxMs: number(/Average Latency \(s\):.*max ([\d.]+)/) * 1000,
    lost: number(/Queries lost:\s+(\d+)/),
  };
}

/**
 * dnsperf's input for `count` endpoints registered as `http.api<i>.bench.prod`: the SRV, A and TXT
 * question of each, in a fixed shuffle so that every server is asked the same sequence.
 */
export function queryFile(dir: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`_http._tcp.api${i}.bench.prod.disco SRV`, `api${i}.bench.prod.disco A`, `_http._tcp.api${i}.bench.prod.disco TXT`);
  }
  let seed = 42;
  for (let i = lines.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  const file = join(dir, 'queries.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
