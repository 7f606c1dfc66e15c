// PowerDNS Authoritative (Debian's pdns-server with pdns-backend-sqlite3) as bench:dns's peer for live
// data: the records sit in an SQLite database, which a writer changes while PowerDNS answers from it.
//
// Settings, and why:
// - gsqlite3: a backend a user with changing data would pick (LMDB changes go through pdnsutil, a
//   process per change: too slow to change ten times a second). The database lives on tmpfs, so the
//   comparison is of serving, not of the disk's fsync; WAL, so the writer does not block readers.
// - receiver-threads=1, distributor-threads=1: one thread takes packets, one backend answers them,
//   and taskset puts the whole process on one core, as Knot and disco are.
// - The caches are PowerDNS's own, in one of two settings (`caches`):
//   - 'default': the packet cache and query cache as shipped (cache-ttl=20, query-cache-ttl=20,
//     negquery-cache-ttl=60). A change written to the database shows up to 20 s late.
//   - 'off': cache-ttl=0, query-cache-ttl=0, negquery-cache-ttl=0, what a user keeps whose changes must
//     show in the next answer, as disco's do (docs/dns.md): every question goes to SQLite.
// - security-poll-suffix= (empty): no status query to the Internet at start.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { portOutsideEphemeral, retryOnAddressInUse } from '../../test/helpers/ports.ts';
import { startProcess } from './processes.ts';

/** One record, as a zone file has it: owner relative to the zone (`@` for the apex), type, data. */
export interface ZoneRecord {
  readonly owner: string;
  readonly type: string;
  readonly data: string;
}

export type PowerDnsCaches = 'default' | 'off';

const SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';
const sql = (text: string) => `'${text.replaceAll("'", "''")}'`;

export class PowerDns {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly zone: string,
    private readonly ttl: number,
    private readonly database: string,
  ) {}

  /** PowerDNS pinned to `core`, serving `records` of `zone` from a fresh database, on a port from outside the ephemeral range. */
  static async start(zone: string, ttl: number, records: readonly ZoneRecord[], caches: PowerDnsCaches, core: number): Promise<PowerDns> {
    const dir = mkdtempSync('/dev/shm/scs-bench-pdns-');
    const database = join(dir, 'pdns.sqlite3');
    const rows = records.map((record) => {
      const name = record.owner === '@' ? zone : `${record.owner}.${zone}`;
      return `(1, ${sql(name.toLowerCase())}, ${sql(record.type)}, ${sql(record.data)}, ${ttl}, 0, 1)`;
    });
    const load = [
      'PRAGMA journal_mode=WAL;',
      `.read ${SCHEMA}`,
      `INSERT INTO domains (id, name, type) VALUES (1, ${sql(zone)}, 'NATIVE');`,
      `INSERT INTO records (domain_id, name, type, content, ttl, disabled, auth) VALUES ${rows.join(',\n')};`,
      '',
    ].join('\n');
    await runSqlite(database, load);
    try {
      return await retryOnAddressInUse(async () => {
        const port = portOutsideEphemeral();
        writeFileSync(join(dir, 'pdns.conf'), config(dir, database, port, caches));
        const { child } = await startProcess('taskset', ['-c', String(core), 'pdns_server', `--config-dir=${dir}`], /TCP server bound to/);
        // It binds before it loads the backend: the bench's warm-up run covers what is left of its start.
        return new PowerDns(child, port, zone, ttl, database);
      });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * A writer that adds `records` and takes them away again, every `periodMs` each, until stopped: one
   * sqlite3 process fed statements on its stdin, so a change costs a statement, not a process.
   */
  churn(records: readonly ZoneRecord[], periodMs: number): { stop(): Promise<void> } {
    const writer = spawn('sqlite3', [this.database], { stdio: ['pipe', 'ignore', 'inherit'] });
    writer.stdin.write('PRAGMA busy_timeout=2000;\n');
    const names = records.map((record) => `${record.owner}.${this.zone}`.toLowerCase());
    const insert = `BEGIN; INSERT INTO records (domain_id, name, type, content, ttl, disabled, auth) VALUES ${records
      .map((record, i) => `(1, ${sql(names[i]!)}, ${sql(record.type)}, ${sql(record.data)}, ${this.ttl}, 0, 1)`)
      .join(', ')}; COMMIT;\n`;
    const remove = `DELETE FROM records WHERE name IN (${[...new Set(names)].map(sql).join(', ')});\n`;
    let present = false;
    const timer = setInterval(() => {
      writer.stdin.write(present ? remove : insert);
      present = !present;
    }, periodMs);
    return {
      stop: async () => {
        clearInterval(timer);
        writer.stdin.end('.quit\n');
        await new Promise((resolve) => writer.once('exit', resolve));
      },
    };
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(join(this.database, '..'), { recursive: true, force: true });
  }
}

function config(dir: string, database: string, port: number, caches: PowerDnsCaches): string {
  const cacheSettings = caches === 'off' ? ['cache-ttl=0', 'query-cache-ttl=0', 'negquery-cache-ttl=0'] : [];
  return [
    'launch=gsqlite3',
    `gsqlite3-database=${database}`,
    'local-address=127.0.0.1',
    `local-port=${port}`,
    `socket-dir=${dir}`,
    'daemon=no',
    'guardian=no',
    'disable-syslog=yes',
    'security-poll-suffix=',
    'receiver-threads=1',
    'distributor-threads=1',
    ...cacheSettings,
    '',
  ].join('\n');
}

function runSqlite(database: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sqlite3', ['-bail', database], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sqlite3 exited with ${code}: ${errors}`))));
    child.stdin.end(input);
  });
}
