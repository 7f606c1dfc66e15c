// `scs down`: this project's agent asked, through its control socket, to drain (provisions dropped
// before each container stops, containers removed, goodbye to disco) and waited for until it exits;
// then what is left removed (an agent that died, or handed over with no agent after it): its
// containers, the stack network, and its volumes let go of, or deleted with `volumes`.

import { dirname } from 'node:path';
import type { ConsolaInstance } from 'consola';
import { consola } from 'consola';
import type { Engine } from '../docker/engine.ts';
import { serviceLabelOf } from '../docker/labels.ts';
import { restated } from '../errors.ts';
import { replicasOf } from '../placement/replicas.ts';
import { listening } from './answering.ts';
import { waitedFor } from './cli-wait.ts';
import { callAgent } from './control.ts';
import { hostLabel, ownerLabels, resourceLabels } from './identity.ts';
import { instanceOfLabels, instanceService } from './instances.ts';
import { actOnResource, desiredResources } from './resources.ts';
import { compileStack, otherFiles, project, type StackFlags } from './stack-files.ts';
import { readStackId } from './stack-id.ts';
import { stackNetworkName } from './stack-network.ts';
import { type AgentState, agentProcessOf, readState } from './state.ts';
import { legacyStateFolder, stateFolder } from './state-folder.ts';

export interface DownOptions {
  readonly stack: StackFlags;
  /** Delete the volumes (and ENIs) too, data and all. */
  readonly volumes?: boolean;
  /** How long a running agent has to drain before what is left is removed anyway. */
  readonly drainMs?: number;
  readonly engine?: Pick<
    Engine,
    'ping' | 'list' | 'remove' | 'removeNetwork' | 'ensureVolume' | 'volumeExists' | 'removeVolume' | 'volumeLabels'
  >;
  readonly logger?: ConsolaInstance;
}

export interface DownResult {
  readonly stack: string;
  readonly project: string;
  /** Whether the project is the host's own (the default), which needs no mention. */
  readonly defaultProject: boolean;
  /** The containers removed, and the network, when any was left. */
  readonly removed: readonly string[];
}

export async function down(options: DownOptions): Promise<DownResult> {
  const logger = options.logger ?? consola;
  const compiled = compileStack(options.stack);
  const projectName = project(options.stack);
  const folder = stateFolder(projectName, compiled.stack);
  const state = readState(folder);
  const other = state && state.phase !== 'stopped' && otherFiles(state, compiled.files);
  if (other) logger.warn(`${other}; it is stopped all the same, as its containers are this stack's`);
  const drainMs = options.drainMs ?? DRAIN_MS;
  await drainAgent(state, drainMs, logger);
  // An agent an older scs started kept its state beside the stack file; one that ran from this very folder is stopped too.
  const legacy = readState(legacyStateFolder(compiled.directory, projectName));
  if (legacy && legacy.files[0] !== undefined && dirname(legacy.files[0]) === compiled.directory)
    await signalAgent(legacy, drainMs, logger);
  // Other agents' containers stay: only this one's labels are matched.
  const engine = options.engine ?? new (await import('../docker/engine.ts')).Engine();
  await engine.ping();
  const identity = { stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() };
  const removed: string[] = [];
  const containers = await engine.list(ownerLabels(identity));
  for (const container of containers) {
    await engine.remove(container.id);
    logger.info(`removed ${container.name}`);
    removed.push(container.name);
  }
  const network = stackNetworkName(identity);
  if (await engine.removeNetwork(network)) {
    logger.info(`removed network ${network}`);
    removed.push(`network ${network}`);
  }
  // An agent that drained has let go of its volumes already; these calls then change nothing, unless they delete them.
  const names = state?.only.length ? new Set(state.only) : undefined;
  const context = {
    engine,
    labels: resourceLabels({
      ...identity,
      ...optionalId(readStackId(folder) ?? readStackId(legacyStateFolder(compiled.directory, projectName))),
    }),
    logger,
  };
  const release = options.volumes ? 'deprovision' : 'detach';
  for (const service of compiled.services.filter((s) => !names || names.has(s.name))) {
    // Every instance that may have run has volumes of its own: as many as the files ask for, the agent ran, or Docker had.
    const seen = [
      replicasOf(service, undefined),
      ...(state?.services ?? []).filter((record) => record.service === service.name).map((record) => record.instance ?? 1),
      ...containers.filter((c) => serviceLabelOf(c.labels) === service.name).map((c) => instanceOfLabels(c.labels)),
    ];
    for (let instance = 1; instance <= Math.max(1, ...seen); instance++) {
      const own = instanceService(service, instance);
      for (const { resource } of desiredResources(own)) await actOnResource(own, release, resource, context);
    }
  }
  return { stack: compiled.stack, project: projectName, defaultProject: projectName === hostLabel(), removed };
}

/** How long a running agent has to drain. */
export const DRAIN_MS = 120_000;
/** Once drained, the agent closes its sockets and exits: this is for a slow machine. */
const EXIT_MS = 10_000;

/**
 * Asks the agent that wrote `state` to drain, through its control socket, and waits (up to
 * `drainMs`, exit 124 after) for its answer, then for the process to exit. An agent that does not
 * answer there (an older scs's, one stuck) is sent SIGTERM instead, as before.
 */
async function drainAgent(state: AgentState | undefined, drainMs: number, logger: ConsolaInstance): Promise<void> {
  if (!state || state.phase === 'stopped' || agentProcessOf(state) !== 'agent' || !state.control || !(await listening(state.control)))
    return signalAgent(state, drainMs, logger);
  const what = `the agent of ${state.stack} (pid ${state.pid})`;
  try {
    await waitedFor(
      callAgent(state.control, { op: 'down' }, (line) => logger.info(line)),
      drainMs,
      `${what} to drain; it is still at it (scs ps shows how far)`,
    );
  } catch (error) {
    // An agent older than the `down` request drains on SIGTERM; one handing over is about to exit, and what it leaves is removed here.
    if (!WILL_NOT_DRAIN.test((error as Error).message)) throw restated(`scs down failed: ${(error as Error).message}`, error);
    return signalAgent(state, drainMs, logger);
  }
  await waitedFor(gone(state), EXIT_MS, `${what} to exit once drained`);
}

/** What an agent that does not know the `down` request answers it, and one that is handing over. */
const WILL_NOT_DRAIN = /^(op: expected |this agent is handing over)/;

/** Resolves once the process that wrote `state` is gone (or is another process). */
async function gone(state: AgentState): Promise<void> {
  while (agentProcessOf(state) === 'agent') await new Promise((resolve) => setTimeout(resolve, 50));
}

/** SIGTERM to the agent that wrote `state`, while the PID is still that agent; waits for it to exit, up to `drainMs`. */
async function signalAgent(state: AgentState | undefined, drainMs: number, logger: ConsolaInstance): Promise<void> {
  const running = state && state.phase !== 'stopped' ? agentProcessOf(state) : 'gone';
  if (state && running === 'agent') {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + drainMs;
    while (agentProcessOf(state) === 'agent' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (agentProcessOf(state) === 'agent')
      logger.warn(`the agent (pid ${state.pid}) did not stop within ${drainMs / 1000} s; what is left of it is removed`);
  } else if (state && running === 'other') {
    logger.warn(
      `pid ${state.pid}, named by the agent's state, is another process now (not the agent that wrote it), so it is not signalled`,
    );
  }
}

const optionalId = (stackId: string | undefined) => (stackId ? { stackId } : {});
