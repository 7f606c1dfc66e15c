// Knot serving a static zone with the names, records and TTL disco answers for `count` endpoints
// registered as `http.api<i>.bench.prod`: the DNS peer. The zone and config are bench/dns.ts's,
// for any count.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A unique address for endpoint `i` (below 2^24), never a network's .0. */
export const hostOf = (i: number) => `10.${((i + 1) >> 16) & 255}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
export const azOf = (i: number) => `us-east-1${'abc'[i % 3]}`;

export function knotConfig(dir: string, port: number, count: number): string {
  const records = ['$ORIGIN disco.', '$TTL 5', '@ SOA ns.disco. hostmaster.disco. 1 3600 600 86400 5', '@ NS ns.disco.', 'ns A 127.0.0.1'];
  for (let i = 0; i < count; i++) {
    const label = hostOf(i).replaceAll('.', '-');
    records.push(
      `_http._tcp.api${i}.bench.prod SRV 1 1 8080 ${label}.addr.disco.`,
      `_http._tcp.api${i}.bench.prod TXT "az=${azOf(i)}"`,
      `api${i}.bench.prod A ${hostOf(i)}`,
      `${label}.addr A ${hostOf(i)}`,
    );
  }
  return writeKnotConfig(dir, port, records);
}

/** Writes the zone file of `records` (its lines, $ORIGIN and $TTL first) and a Knot config serving it on `port` with one worker of each kind; returns the config's path. */
export function writeKnotConfig(dir: string, port: number, records: readonly string[]): string {
  const zone = join(dir, 'disco.zone');
  writeFileSync(zone, `${records.join('\n')}\n`);
  const conf = join(dir, 'knot.conf');
  writeFileSync(
    conf,
    [
      'server:',
      `  rundir: "${dir}"`,
      `  listen: 127.0.0.1@${port}`,
      '  udp-workers: 1',
      '  tcp-workers: 1',
      '  background-workers: 1',
      'database:',
      `  storage: "${dir}"`,
      'zone:',
      '  - domain: disco',
      `    file: "${zone}"`,
      '    journal-content: none',
      '',
    ].join('\n'),
  );
  return conf;
}

/** Starts knotd on `core` and resolves once it answers the zone's last name (a large zone takes seconds to load). */
export async function startKnot(conf: string, port: number, count: number, core: number): Promise<ChildProcess> {
  const knotd = spawn('taskset', ['-c', String(core), 'knotd', '-c', conf], { stdio: 'ignore' });
  const last = `api${count - 1}.bench.prod.disco`;
  for (let tries = 0; tries < 600; tries++) {
    const { stdout } = await run('dig', ['+short', '+tries=1', '+time=1', '-p', String(port), '@127.0.0.1', last, 'A']).catch(() => ({
      stdout: '',
    }));
    if (stdout.trim() === hostOf(count - 1)) return knotd;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  knotd.kill('SIGTERM');
  throw new Error(`knotd did not answer ${last}`);
}
