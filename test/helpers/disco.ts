import { consola, type LogObject } from 'consola';
import { DiscoServer, type DiscoServerOptions } from '../../src/server/server.ts';

export const quietLogger = consola.create({ level: -999 });

/** A logger that keeps every line, debug included, for a test to read back. */
export function recordingLogger() {
  const entries: LogObject[] = [];
  const logger = consola.create({ level: 5, reporters: [{ log: (entry) => void entries.push(entry) }] });
  const text = (entry: LogObject) => entry.args.map(String).join(' ');
  return {
    logger,
    entries,
    /** The lines logged, of one type ('debug', 'warn', …) or of every type. */
    lines: (type?: string) => entries.filter((entry) => type === undefined || entry.type === type).map(text),
    logged: (pattern: RegExp) => entries.some((entry) => pattern.test(text(entry))),
  };
}

/** A disco server on an ephemeral loopback port, with short timers unless told otherwise. */
export async function startDisco(options: Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const server = new DiscoServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatInterval: 100,
    heartbeatTimeout: 400,
    grace: 300,
    logger: quietLogger,
    ...options,
  });
  await server.listen();
  return server;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Like `eventually`, for checks that must await (a DNS query, say). */
export async function eventuallyAsync<T>(check: () => Promise<T | undefined | false>, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
