// Debian's unbound and dnsmasq run in the foreground on a loopback address, configured with the
// recipes of docs/dns.md as written there, to show that the recipes work.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventuallyAsync } from './wait.ts';

const run = promisify(execFile);
const DNS_DOC = fileURLToPath(new URL('../../docs/dns.md', import.meta.url));

/** Why the resolver tests cannot run here, or undefined when they can. */
export function resolverProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'port 53 and unshare need root';
  for (const [program, path] of [
    ['unbound', '/usr/sbin/unbound'],
    ['dnsmasq', '/usr/sbin/dnsmasq'],
    ['unshare', '/usr/bin/unshare'],
    ['dig', '/usr/bin/dig'],
    ['ldnsutils', '/usr/bin/ldns-signzone'],
  ]) {
    if (!existsSync(path!)) return `${program} is not installed (scripts/install-deps installs it)`;
  }
  return undefined;
}

/**
 * The recipe docs/dns.md marks `<!-- recipe: NAME -->`: the fenced block after the marker, with
 * disco's documented address (127.0.0.1, port 8600) moved to the port the test's disco has.
 */
export function recipe(name: string, discoPort: number): string {
  const doc = readFileSync(DNS_DOC, 'utf8');
  const match = new RegExp(`<!-- recipe: ${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!match) throw new Error(`docs/dns.md has no recipe marked "${name}"`);
  const text = match[1]!;
  if (!/127\.0\.0\.1[@#]8600/.test(text)) throw new Error(`the ${name} recipe does not name disco at 127.0.0.1 port 8600`);
  return text.replace(/127\.0\.0\.1([@#])8600/g, `127.0.0.1$1${discoPort}`);
}

export interface Resolver {
  /** The loopback address it listens on, port 53. */
  readonly address: string;
  /** What it has printed so far (its log), for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Where startUnbound's config and `files` are, as unbound sees them. */
export const UNBOUND_DIR = '/var/lib/unbound';

/**
 * unbound -d with `config`, and `files` (name → text) beside it. It runs in a private mount
 * namespace where a directory of its own is bind-mounted over /var/lib/unbound: where AppArmor
 * confines unbound (Debian's profile), that is a path it may read, and the machine's own files there
 * are untouched.
 */
export function startUnbound(address: string, config: string, files: Record<string, string> = {}): Promise<Resolver> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-unbound-'));
  writeFileSync(join(dir, 'unbound.conf'), config);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const script = `mount --bind ${dir} ${UNBOUND_DIR} && exec unbound -d -c ${UNBOUND_DIR}/unbound.conf`;
  return started(spawn('unshare', ['-m', 'sh', '-c', script]), address, dir);
}

/** dnsmasq -k (the foreground) with `config` as its only configuration file (not /etc/dnsmasq.conf). */
export function startDnsmasq(address: string, config: string): Promise<Resolver> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-dnsmasq-'));
  writeFileSync(join(dir, 'dnsmasq.conf'), config);
  return started(spawn('dnsmasq', ['-k', '-C', join(dir, 'dnsmasq.conf'), '--log-facility=-']), address, dir);
}

async function started(child: ChildProcess, address: string, dir: string): Promise<Resolver> {
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (log += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const resolver: Resolver = {
    address,
    log: () => log,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // Up once it answers anything at all; it may log before it listens.
    await eventuallyAsync(
      async () => {
        if (gone) throw new Error(`it exited: ${log.trim()}`);
        return (await query(address, 'disco', 'SOA').catch(() => undefined)) !== undefined;
      },
      10_000,
      `the resolver on ${address}`,
    );
  } catch (error) {
    await resolver.stop();
    throw error;
  }
  return resolver;
}

export interface Answer {
  status: string;
  /** The header's flags (`qr`, `aa`, `ad`...). */
  flags: string[];
  /** Answer records as `name type data` (lower-case names), without TTL and class. */
  records: string[];
  /** The TTL of each answer record, in order. */
  ttls: number[];
  /** Extended DNS error text, if the reply had one (dnsmasq says why it blocked an answer). */
  ede: string | undefined;
}

/** A recursive query (RD set) to ADDRESS port 53, through dig. */
export async function query(address: string, name: string, type: string, port = 53): Promise<Answer> {
  const { stdout } = await run('dig', [
    `@${address}`,
    '-p',
    String(port),
    '+time=2',
    '+tries=1',
    '+noall',
    '+comments',
    '+answer',
    name,
    type,
  ]);
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  const rows = answer
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/));
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? '',
    flags: (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(' ').filter(Boolean),
    records: rows.map(([owner, , , rrtype, ...data]) => [owner!.toLowerCase(), rrtype, ...data].join(' ')).sort(),
    ttls: rows.map((row) => Number(row[1])),
    ede: /; EDE: (.*)/.exec(stdout)?.[1],
  };
}

/**
 * glibc's own look-up (`getent DATABASE NAME`) with a resolv.conf that holds only `nameserver ADDRESS`,
 * bind-mounted in a private mount namespace: the machine's /etc/resolv.conf is not touched.
 */
export async function getent(address: string, database: 'hosts' | 'ahosts', name: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-resolv-'));
  writeFileSync(join(dir, 'resolv.conf'), `nameserver ${address}\noptions timeout:2 attempts:1\n`);
  try {
    const script = `mount --bind ${dir}/resolv.conf /etc/resolv.conf && exec getent ${database} ${name}`;
    const { stdout } = await run('unshare', ['-m', 'sh', '-c', script]);
    return stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
