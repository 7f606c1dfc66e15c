// One health check of one instance, with its timeout: an HTTP GET or a TCP connection from the host
// to the address the endpoint is provided at (what dependents reach), or a command run inside the
// container. Never throws: every failure is an outcome with a short reason.

import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthProbe } from '../manifest/compiled.ts';
import type { ContainerEngine } from './container-engine.ts';
import type { CheckOutcome } from './health.ts';

export interface CheckTarget {
  readonly engine: Pick<ContainerEngine, 'exec'>;
  /** The container. */
  readonly id: string;
  /** Where an endpoint of it is provided (or would be); undefined when it is not published. */
  readonly address: (endpoint: string) => { host: string; port: number } | undefined;
}

/** Of a failing command's output, only this much of its end goes into the reason. */
const OUTPUT_CHARS = 120;

export async function runCheck(probe: HealthProbe, target: CheckTarget, timeoutMs: number): Promise<CheckOutcome> {
  switch (probe.kind) {
    case 'none':
      return { ok: true };
    case 'exec':
      return execCheck(probe.command, target, timeoutMs);
    case 'http':
    case 'tcp': {
      const at = target.address(probe.endpoint);
      if (!at) return { ok: false, error: `${probe.endpoint} is not published` };
      return probe.kind === 'http' ? httpCheck(at, probe.path, timeoutMs) : tcpCheck(at, timeoutMs);
    }
  }
}

async function execCheck(command: string[], target: CheckTarget, timeoutMs: number): Promise<CheckOutcome> {
  try {
    const { exitCode, output } = await target.engine.exec(target.id, command, {}, timeoutMs);
    if (exitCode === 0) return { ok: true };
    const said = oneLine(output).slice(-OUTPUT_CHARS);
    return { ok: false, error: `exit ${exitCode}${said ? `: ${said}` : ''}` };
  } catch (error) {
    return { ok: false, error: oneLine((error as Error).message).slice(0, OUTPUT_CHARS) };
  }
}

/**
 * A fresh connection each time (no keep-alive): a listener that went away must fail the check. The
 * status line decides; the body is not read. The timeout bounds the whole exchange, not each read.
 */
function httpCheck(at: { host: string; port: number }, path: string, timeoutMs: number): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const req = request({ host: at.host, port: at.port, path, method: 'GET', agent: false }, (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      res.destroy();
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, error: `status ${status}` });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: reason(error) });
    });
    req.end();
  });
}

function tcpCheck(at: { host: string; port: number }, timeoutMs: number): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: at.host, port: at.port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: reason(error) });
    });
  });
}

/** `connect ECONNREFUSED`: the system's word, without the address (`scs ps` shows where). */
const reason = (error: NodeJS.ErrnoException) =>
  error.syscall && error.code ? `${error.syscall} ${error.code}` : oneLine(error.message).slice(0, OUTPUT_CHARS);

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
