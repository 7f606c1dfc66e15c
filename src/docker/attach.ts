// A command's streams joined to this terminal, as `docker exec` and `docker run` join them: stdin
// sent on (its end closes the command's stdin), output split back into stdout and stderr when there
// is no TTY (Docker multiplexes them then), and with a TTY the terminal raw and resized as it changes.

import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { DockerError } from './errors.ts';

/** Where a command's streams go: this process's own, or a test's. */
export interface Terminal {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number };
  readonly stderr: NodeJS.WritableStream;
}

export const processTerminal = (): Terminal => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** As `docker compose exec` and `run`: a TTY when stdin and stdout are both terminals, unless `-T` says none. */
export const wantsTty = (noTty: boolean, terminal: Terminal = processTerminal()) =>
  !noTty && terminal.stdin.isTTY === true && terminal.stdout.isTTY === true;

/** How long a call to Docker about a command (create, start, inspect, remove) may take: a stuck daemon must not hang scs. */
export const DOCKER_CALL_MS = 30_000;

/** `work`, or a DockerError once `ms` have passed without it. */
export async function bounded<T>(work: Promise<T>, what: string, ms = DOCKER_CALL_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DockerError(`Docker did not answer within ${ms / 1000} s ${what}`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Joins `stream` (a hijacked attach or exec) to the terminal until the command's output ends; the
 * command runs as long as it runs, so this wait is the command's own, not bounded here.
 */
export async function joinTerminal(
  docker: Docker,
  stream: Duplex,
  tty: boolean,
  resize: (size: { h: number; w: number }) => Promise<unknown>,
  terminal: Terminal = processTerminal(),
): Promise<void> {
  const { stdin, stdout, stderr } = terminal;
  if (tty) stream.on('data', (chunk: Buffer) => stdout.write(chunk));
  else docker.modem.demuxStream(stream, stdout, stderr);
  const onData = (chunk: Buffer) => stream.write(chunk);
  // The end of stdin closes the command's (half-close): `echo hi | scs exec -T web cat` ends.
  const onEnd = () => stream.end();
  const onResize = () => {
    if (stdout.rows && stdout.columns) resize({ h: stdout.rows, w: stdout.columns }).catch(() => {});
  };
  const ended = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve).once('close', resolve).once('error', reject);
  });
  if (tty) {
    stdin.setRawMode?.(true);
    process.on('SIGWINCH', onResize);
    onResize();
  }
  stdin.on('data', onData).once('end', onEnd);
  stdin.resume();
  try {
    await ended;
  } finally {
    stdin.off('data', onData).off('end', onEnd);
    if (tty) {
      stdin.setRawMode?.(false);
      process.off('SIGWINCH', onResize);
    }
    // A stdin left open would keep scs alive once the command has ended.
    stdin.pause();
    if (!stdin.isTTY && 'destroy' in stdin && typeof stdin.destroy === 'function') stdin.destroy();
  }
}
