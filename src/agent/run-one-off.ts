// `scs run`: a one-off container of a service (one-off.ts says what it is), its image built first
// when missing as `scs up` builds it, what it requires listed once from disco, on the stack network.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { consola } from 'consola';
import { pinnedSubnet } from '../cidr.ts';
import type { Endpoint } from '../client/client.ts';
import { UserError } from '../errors.ts';
import { buildImages } from './build.ts';
import { hostLabel, ownerLabels } from './identity.ts';
import { oneOffName, oneOffSpec, requiredEndpoints } from './one-off.ts';
import { checkServices, compileStack, project, runningAgent, type StackFlags } from './stack-files.ts';
import { attachmentAt, stackNetworkName } from './stack-network.ts';

export interface RunRequest {
  readonly service: string;
  /** The command; the image's when empty. */
  readonly command: readonly string[];
  readonly entrypoint?: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly user?: string | undefined;
  readonly workdir?: string | undefined;
  /** `--name`: the container's name in place of scs-<stack>-<env>-<service>-run-<6 hex>. */
  readonly name?: string | undefined;
  /** `-T`: no TTY even on a terminal. */
  readonly noTty: boolean;
  /** `--rm` (the default); `--no-rm` keeps the container. */
  readonly remove: boolean;
}

/** What `scs run` asks of disco: each requirement's name listed once. Connected only for a service that requires something. */
export interface RunDiscovery {
  list(name: string): Promise<Endpoint[]>;
  close(): Promise<void>;
}

/** Runs the one-off; resolves with its exit code. */
export async function runOneOff(stack: StackFlags, request: RunRequest, discovery: () => Promise<RunDiscovery>): Promise<number> {
  const flags = { ...stack, remembered: true };
  const compiled = compileStack(flags);
  checkServices(compiled, [request.service]);
  const service = compiled.services.find((each) => each.name === request.service.toLowerCase())!;
  const identity = { stack: compiled.stack, environment: compiled.environment, project: project(flags), host: hostLabel() };
  const { Engine } = await import('../docker/engine.ts');
  const { runOneOffContainer } = await import('../docker/one-off-session.ts');
  const { wantsTty } = await import('../docker/attach.ts');
  const engine = new Engine();
  await engine.ping();
  // On stderr: stdout is the one-off's own (`scs run client env | grep X`).
  await buildImages(engine, { ...compiled, services: [service] }, consola.create({ stdout: process.stderr }));
  for (const volume of service.container.volumes) {
    const there =
      volume.method === 'named' || volume.method === 'nfs' ? await engine.volumeExists(volume.source) : existsSync(volume.source);
    if (!there)
      throw new UserError(
        `${service.name}'s volume ${volume.name} is not there yet (scs up ${service.name} makes it); scs run mounts the service's own volumes`,
      );
  }
  const listed = new Map<string, Endpoint[]>();
  if (service.requires.length > 0) {
    const client = await discovery();
    try {
      for (const name of new Set(service.requires.map((requirement) => requirement.name))) listed.set(name, await client.list(name));
    } finally {
      await client.close();
    }
  }
  // The stack network, made as the agent makes it when no agent has yet; its DNS only while an agent serves it.
  let attachment: ReturnType<typeof attachmentAt> | undefined;
  if (service.container.network === 'bridge') {
    const network = stackNetworkName(identity);
    const pinned = compiled.subnet === undefined ? undefined : pinnedSubnet(compiled.subnet);
    const info = await engine.ensureNetwork(network, ownerLabels(identity), pinned);
    attachment = runningAgent(flags)?.dns ? attachmentAt(compiled, identity, info.gateway) : { network };
  }
  const name = request.name ?? oneOffName(identity, service.name, randomBytes(3).toString('hex'));
  const spec = oneOffSpec(service, identity, requiredEndpoints(service, listed), attachment, { name, env: request.env });
  return runOneOffContainer(engine.docker, {
    spec,
    command: request.command,
    entrypoint: request.entrypoint,
    user: request.user,
    workdir: request.workdir,
    tty: wantsTty(request.noTty),
    remove: request.remove,
  });
}
