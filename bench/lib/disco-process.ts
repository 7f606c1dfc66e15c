// `scs disco` as its own process, as in production: the bundle in dist/ (npm run build first).

import { fileURLToPath } from 'node:url';
import { consola } from 'consola';
import { DiscoClient } from '../../src/client/client.ts';
import { startProcess } from './processes.ts';

const builtScs = fileURLToPath(new URL('../../bin/scs.js', import.meta.url));
const logger = consola.create({ level: 1 });

export interface DiscoProcess {
  pid: number;
  port: number;
  /** The DNS port, when started with `--dns`. */
  dnsPort?: number;
  stop(): void;
}

/** Arguments for a disco that measures the registry alone: no DNS, and heartbeats a loaded run cannot miss. */
export const WITHOUT_DNS = ['--dns', 'off', '--heartbeat-interval', '30s', '--heartbeat-timeout', '90s'] as const;

/**
 * Starts `scs disco` on 127.0.0.1 with `args` after the listen address; `node` flags go to Node
 * itself, `core` pins the process to one CPU with taskset, and `scs` runs another build's entry
 * (bin/scs.js of another checkout) instead of this one's.
 */
export async function startDisco(
  args: readonly string[],
  options: { node?: string[]; core?: number; scs?: string } = {},
): Promise<DiscoProcess> {
  const command = [process.execPath, ...(options.node ?? []), options.scs ?? builtScs, 'disco', '--listen', '127.0.0.1:0', ...args];
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
