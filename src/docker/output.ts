// What a container prints: a command run in it, its last lines, and its logs copied or followed.

import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../agent/container-engine.ts';
import { DockerError } from './errors.ts';
import { dockerSince } from './mapping.ts';

/** Runs a command in a running container; resolves with its exit code and (bounded) output. */
export async function execIn(
  docker: Docker,
  id: string,
  command: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ExecResult> {
  const exec = await docker.getContainer(id).exec({
    Cmd: command,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    if (output.length < 4096) output += chunk.toString('utf8');
  });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new DockerError(`${command.join(' ')} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, output: output.slice(0, 4096) };
}

/** The last lines a container printed, for error messages about it. */
export async function tailOf(docker: Docker, id: string, lines: number): Promise<string> {
  try {
    const buffer = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
    let text = '';
    const sink = new PassThrough().on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const source = new PassThrough();
    docker.modem.demuxStream(source, sink, sink);
    source.end(buffer);
    await new Promise((resolve) => source.on('end', resolve));
    return text.trim();
  } catch {
    return '';
  }
}

/** Which of a container's logs `readLogs` reads: its last `tail` lines, from `sinceNs`, and with `follow` what comes next. */
export interface LogOptions {
  readonly follow: boolean;
  readonly tail?: number;
  readonly sinceNs?: bigint;
}

/** What a container printed, each line led by Docker's RFC 3339 timestamp, passed on as it is read. */
export async function readLogs(
  docker: Docker,
  id: string,
  options: LogOptions,
  onText: (text: string, stream: 'stdout' | 'stderr') => void,
): Promise<void> {
  const since = options.sinceNs === undefined ? {} : { since: dockerSince(options.sinceNs) };
  const reply = (await docker.getContainer(id).logs({
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    ...since,
    follow: options.follow as true,
  } as unknown as { follow: true })) as unknown as Readable | Buffer;
  // Without follow Docker's answer comes whole; it is read the same way as a stream.
  const stream = Buffer.isBuffer(reply) ? new PassThrough().end(reply) : reply;
  const out = new PassThrough().setEncoding('utf8').on('data', (text: string) => onText(text, 'stdout'));
  const err = new PassThrough().setEncoding('utf8').on('data', (text: string) => onText(text, 'stderr'));
  docker.modem.demuxStream(stream, out, err);
  // Done once both outputs have passed on what the source gave them.
  const drained = Promise.all([out, err].map((side) => new Promise((resolve) => side.on('end', resolve))));
  const ended = () => {
    if (out.writableEnded) return;
    out.end();
    err.end();
  };
  stream.once('end', ended).once('close', ended).once('error', ended);
  await drained;
}

/**
 * Follows what a container prints from `sinceNs` (nanoseconds since the epoch), each line led by
 * Docker's RFC 3339 timestamp, until it stops or the returned function is called; `onEnd` runs
 * once either way.
 */
export async function followLogs(
  docker: Docker,
  id: string,
  sinceNs: bigint,
  onText: (text: string, stream: 'stdout' | 'stderr') => void,
  onEnd: () => void,
): Promise<() => void> {
  const stream = (await docker.getContainer(id).logs({
    stdout: true,
    stderr: true,
    follow: true,
    timestamps: true,
    since: dockerSince(sinceNs) as unknown as number,
  })) as unknown as Readable;
  // Decoded per stream, so a character split between two frames stays whole.
  const out = new PassThrough().setEncoding('utf8').on('data', (text: string) => onText(text, 'stdout'));
  const err = new PassThrough().setEncoding('utf8').on('data', (text: string) => onText(text, 'stderr'));
  docker.modem.demuxStream(stream, out, err);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  stream.on('end', end).on('close', end).on('error', end);
  return () => stream.destroy();
}
