// `scs disco` as its own process, as in production: the bundle in dist/ (npm run build first).

import { fileURLToPath } from 'node:url';
import { consola } from 'consola';
import { DiscoClient } from '../../src/client/client.ts';
import { startProcess } from './processes.ts';

const scs = fileURLToPath(new URL('../../bin/scs.js', import.meta.url));
const logger = consola.create({ level: 1 });

export interface DiscoProcess {
  pid: number;
  port: number;
  /** The DNS port, when started with `--dns`. */
  dnsPort?: number;
  stop(): void;
}

/**
 * Starts `scs disco` on 127.0.0.1 with `args` after the listen address; `node` flags go to Node
 * itself, and `core` pins the process to one CPU with taskset.
 */
export async function startDisco(args: string[], options: { node?: string[]; core?: number } = {}): Promise<DiscoProcess> {
  const command = [process.execPath, ...(options.node ?? []), scs, 'disco', '--listen', '127.0.0.1:0', ...args];
  const dns = args.includes('--dns') && args[args.indexOf('--dns') + 1] !== 'off';
  // Both lines, in either order, when DNS is on.
  const ready = dns
    ? /^(?=[\s\S]*listening on tcp 127\.0\.0\.1:(\d+))(?=[\s\S]*dns on udp\+tcp 127\.0\.0\.1:(\d+))/
    : /listening on tcp 127\.0\.0\.1:(\d+)/;
  const { child, match } =
    options.core === undefined
      ? await startProcess(command[0]!, command.slice(1), ready)
      : await startProcess('taskset', ['-c', String(options.core), ...command], ready);
  return {
    pid: child.pid!,
    port: Number(match[1]),
    ...(dns ? { dnsPort: Number(match[2]) } : {}),
    stop: () => child.kill('SIGTERM'),
  };
}

export const connect = (port: number, name: string) => DiscoClient.connect({ host: '127.0.0.1', port, name, logger });
