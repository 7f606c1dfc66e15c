// `scs exec`: a command run in a running container as `docker exec -i [-t]` runs it, through the
// Engine API; resolves with the command's exit code.

import type Docker from 'dockerode';
import { bounded, joinTerminal, processTerminal, type Terminal } from './attach.ts';
import { DockerError } from './errors.ts';

export interface ExecOptions {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly user?: string | undefined;
  readonly workdir?: string | undefined;
  readonly tty: boolean;
}

/** How long after its output ends the command's exit code may take to be known. */
const EXIT_CODE_MS = 10_000;
const POLL_MS = 50;

export async function execSession(
  docker: Docker,
  id: string,
  options: ExecOptions,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const exec = await bounded(
    docker.getContainer(id).exec({
      Cmd: [...options.command],
      Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      ...(options.user ? { User: options.user } : {}),
      ...(options.workdir ? { WorkingDir: options.workdir } : {}),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
    }),
    'creating the exec',
  );
  const stream = (await bounded(
    exec.start({ hijack: true, stdin: true, Tty: options.tty }),
    'starting the exec',
  )) as import('node:stream').Duplex;
  await joinTerminal(docker, stream, options.tty, (size) => exec.resize(size), terminal);
  return exitCodeOf(exec);
}

/** The exit code once Docker records it: the output can end a moment before the process is reaped. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  const deadline = Date.now() + EXIT_CODE_MS;
  for (;;) {
    const { Running, ExitCode } = await bounded(exec.inspect(), 'inspecting the exec');
    if (!Running && ExitCode !== null && ExitCode !== undefined) return ExitCode;
    if (Date.now() > deadline)
      throw new DockerError(`the command's output ended, and Docker gave no exit code within ${EXIT_CODE_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
