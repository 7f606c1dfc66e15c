// `scs run`: a one-off container created, attached to this terminal, started, waited for and (with
// `remove`) removed, as `docker run -i [-t] [--rm]` does, through the Engine API; resolves with its exit code.

import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerSpec } from '../agent/container-engine.ts';
import { bounded, joinTerminal, processTerminal, type Terminal } from './attach.ts';
import { createOptions } from './mapping.ts';

export interface OneOffOptions {
  readonly spec: ContainerSpec;
  /** The command; the image's when absent. */
  readonly command?: readonly string[] | undefined;
  /** `--entrypoint`; the image's when absent ('' clears it). */
  readonly entrypoint?: string | undefined;
  readonly user?: string | undefined;
  readonly workdir?: string | undefined;
  readonly tty: boolean;
  /** Removed once it ends (`--rm`, the default). */
  readonly remove: boolean;
}

/** Signals passed on to the one-off's main process, as `docker run` passes them (its --sig-proxy). */
const PASSED_ON: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runOneOffContainer(docker: Docker, options: OneOffOptions, terminal: Terminal = processTerminal()): Promise<number> {
  const base = createOptions(options.spec);
  const container = await bounded(
    docker.createContainer({
      ...base,
      // Docker removes it once it ends, as `docker run --rm` asks: also when scs itself is gone by then
      // (killed, or its reader went away: `scs run client env | head -1`).
      HostConfig: { ...base.HostConfig, AutoRemove: options.remove },
      ...(options.command && options.command.length > 0 ? { Cmd: [...options.command] } : {}),
      ...(options.entrypoint === undefined ? {} : { Entrypoint: [options.entrypoint] }),
      ...(options.user ? { User: options.user } : {}),
      ...(options.workdir ? { WorkingDir: options.workdir } : {}),
      Tty: options.tty,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    }),
    `creating ${options.spec.name}`,
  );
  const passOn = (signal: NodeJS.Signals) => void container.kill({ signal }).catch(() => {});
  try {
    // Attached before it starts, so that nothing it prints first is lost.
    const stream = (await bounded(
      container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
      `attaching to ${options.spec.name}`,
    )) as Duplex;
    // Asked before the start, a wait for `not-running` would answer at once: `next-exit`, or `removed`
    // when Docker removes it (its exit code is told before it goes, as `docker run --rm` waits).
    const exited = container.wait({ condition: options.remove ? 'removed' : 'next-exit' }) as Promise<{ StatusCode: number }>;
    exited.catch(() => {});
    await bounded(container.start(), `starting ${options.spec.name}`);
    for (const signal of PASSED_ON) process.on(signal, passOn);
    await joinTerminal(docker, stream, options.tty, (size) => container.resize(size), terminal);
    return (await bounded(exited, `for ${options.spec.name} to exit`)).StatusCode;
  } finally {
    for (const signal of PASSED_ON) process.off(signal, passOn);
    // One that never ran is not removed by Docker; one that did may be on its way already.
    if (options.remove) await bounded(container.remove({ force: true, v: false }).catch(goneOrGoing), `removing ${options.spec.name}`);
  }
}

/** A removal that finds the container gone (404) or already going (409) is no error. */
function goneOrGoing(error: { statusCode?: number }): void {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}
