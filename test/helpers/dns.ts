import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DnsServer, type DnsServerOptions } from '../../dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { quietLogger } from './disco.ts';

const run = promisify(execFile);

export async function startDns(registry: Registry, options: Partial<DnsServerOptions> = {}) {
  const server = new DnsServer(registry, { host: '127.0.0.1', port: 0, logger: quietLogger, ...options });
  const { udp } = await server.listen();
  return { server, port: udp.port };
}

export interface Dig {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  size: number;
  raw: string;
}

/** Runs dig against 127.0.0.1:port and returns its sections, one record a line, whitespace folded. */
export async function dig(port: number, ...args: string[]): Promise<Dig> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', '+tries=1', ...args]);
  const section = (title: string) => {
    const match = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(stdout);
    return match ? match[1]!.split('\n').filter(Boolean).map((line) => line.replace(/\s+/g, ' ').trim()) : [];
  };
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? '',
    flags: (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(' ').filter(Boolean),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    size: Number(/MSG SIZE\s+rcvd: (\d+)/.exec(stdout)?.[1] ?? NaN),
    raw: stdout,
  };
}

export function sampleRegistry(): Registry {
  const registry = new Registry();
  const add = (name: string, host: string, port: number, attributes: Record<string, string> = {}) =>
    registry.provide({ name, address: { host, port, protocol: 'tcp' }, attributes, owner: 'test' });
  add('mysql.db.blog.prod', '10.0.0.5', 3306, { az: 'us-east-1a', role: 'primary' });
  add('mysql.db.blog.prod', '10.0.0.6', 3306, { az: 'us-east-1b' });
  add('mysql.db.blog.prod', 'fd00::6', 3306, { az: 'us-east-1b' });
  add('http.web.blog.prod', '10.0.0.9', 8080);
  return registry;
}
