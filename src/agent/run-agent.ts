// The agent process of `scs up`, assembled: Docker, the images, a disco (its own embedded one when
// none is configured), the client, the stack network, the Agent, its control socket and, in the
// foreground, the containers' output. Whatever it opens is closed, last first, however it ends: a
// failure midway leaves nothing listening. It resolves once the stack is up, with a handle to stop it.

import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { format } from 'node:util';
import { type ConsolaInstance, consola } from 'consola';
import { formatHostPort } from '../address.ts';
import { type AccessFiles, discoAccess, parseDiscoList } from '../client/access.ts';
import type { SessionRecord } from '../client/client.ts';
import type { Engine } from '../docker/engine.ts';
import { restated, UserError } from '../errors.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { Agent } from './agent.ts';
import { claimFolder } from './agent-lock.ts';
import type { ContainerEngine } from './container-engine.ts';
import type { LogEngine } from './log-stream.ts';
import { ensurePrivateFolder } from './private-folder.ts';
import { checkFilesBelow, checkServices, compileStack, selectServices } from './stack-files.ts';
import { stateFolder } from './state-folder.ts';

/** What the agent process needs of Docker: the agent's calls, and images, the bridge's gateway, the containers' output. */
export type AgentEngine = ContainerEngine & LogEngine & Pick<Engine, 'ping' | 'imageExists' | 'build' | 'bridgeGateway'>;

export interface RunAgentOptions {
  readonly compiled: CompiledStack;
  /** The services named (`scs up web db`); every service of the stack when empty. */
  readonly services: readonly string[];
  readonly project: string;
  readonly waitTimeoutMs: number;
  readonly debounceMs: number;
  readonly holdMs: number;
  /** Disco's addresses (`--disco`, SCS_DISCO); else the stack's `disco:`; else an embedded disco. */
  readonly disco?: string;
  /** TLS and the token for a disco that is not embedded (the embedded one has neither). */
  readonly access?: AccessFiles;
  /** The address provided for published ports; by default found from the route to disco. */
  readonly advertise?: string;
  /** `scs agent` (which `scs up -d` starts): timestamped log lines, no containers' output, tells a parent over IPC. */
  readonly background?: boolean;
  /** In the foreground, print what the containers print (prefixed by service unless `logPrefix` is false). */
  readonly logs?: boolean;
  readonly logPrefix?: boolean;
  /**
   * Resolves when the agent is to stop (a signal). Asked for once the images are built, so that
   * Ctrl-C during a build ends the process at once, as before anything was opened; during start-up
   * it stops what was started and fails with "interrupted"; after, `stopRequested` is it.
   */
  readonly untilStopped?: () => Promise<unknown>;
  /** Docker by default; tests bring their own. */
  readonly engine?: AgentEngine;
  /** Told `open X` and `close X` as each part opens and closes (by default at debug level). */
  readonly trace?: (event: string) => void;
}

export interface RunningAgent {
  readonly agent: Agent;
  /** Where disco listens, and the DNS the containers were given (if any). */
  readonly disco: string;
  readonly dns: string | undefined;
  /** Settles when `untilStopped` does: the owner of the process stops the agent then. */
  readonly stopRequested: Promise<unknown>;
  /** Stops the stack and closes everything, last opened first; once. */
  stop(): Promise<void>;
  /** Settles once everything is closed. */
  readonly closed: Promise<void>;
}

export async function runAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const { compiled, project } = options;
  if (options.background) (await import('./timestamped-log.ts')).useTimestampedLog(consola);
  const selected = selectServices(compiled, [...options.services]);
  const logger = consola.withTag('up');
  const trace = options.trace ?? ((event: string) => logger.debug(event));
  // Loaded here, not at the top: `scs up -d` itself never needs Docker or DNS, its agent does.
  const [{ buildImages }, { Agent }, { DiscoClient }, { serveControl, controlPath }] = await Promise.all([
    import('./build.ts'),
    import('./agent.ts'),
    import('../client/client.ts'),
    import('./control.ts'),
  ]);
  // Before anything opens: who may enter the state folder may give the agent orders.
  const folder = stateFolder(project, compiled.stack);
  const control = controlPath(folder);
  ensurePrivateFolder(folder);
  if (dirname(control) !== folder) ensurePrivateFolder(dirname(control));
  // One agent per project and stack: a second is refused before it touches anything of the first.
  const release = claimFolder(folder, `the agent of ${compiled.stack} (project ${project})`);
  const engine = options.engine ?? new (await import('../docker/engine.ts')).Engine();
  try {
    await engine.ping();
    await buildImages(engine, selected, consola.withTag('build'));
  } catch (error) {
    release();
    throw error;
  }

  const closers: Array<{ name: string; close: () => unknown }> = [];
  const opened = (name: string, close: () => unknown) => {
    trace(`open ${name}`);
    closers.push({ name, close });
  };
  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const stop = () =>
    (closing ??= (async () => {
      for (const { name, close } of closers.splice(0).reverse()) {
        trace(`close ${name}`);
        // One part that fails to close must not leave the others open.
        await Promise.resolve()
          .then(close)
          .catch((error: Error) => logger.warn(`closing the ${name}: ${error.message}`));
      }
      release();
      markClosed();
    })());
  const stopRequested = options.untilStopped?.() ?? new Promise<never>(() => {});
  const interrupted = stopRequested.then(() => Promise.reject(new UserError('interrupted')));
  interrupted.catch(() => {});

  try {
    // Without a disco to join, the stack brings its own: a single host needs nothing else.
    const external = options.disco ?? compiled.disco;
    const embedded = external ? undefined : await startEmbeddedDisco(logger, folder);
    if (embedded) opened('embedded disco', () => embedded.close());
    const discoAddress = external ?? embedded!.disco;
    const addresses = parseDiscoList(discoAddress);
    // A disco that outlives the agent keeps its session for the next agent: a restart drops nothing.
    const kept = embedded ? undefined : await keptSession(folder, discoAddress, logger);
    const client = await DiscoClient.connect({
      ...addresses[0]!,
      addresses,
      // The embedded disco has no TLS, and a token of its own.
      ...(embedded ? { token: embedded.token } : discoAccess(options.access ?? {})),
      ...kept?.options,
      name: `scs up ${compiled.stack}`,
      waitForServer: true,
      logger: consola.withTag('disco'),
    });
    kept?.connected(client.sessionId);
    const [{ StepReporter }, { reportSteps }] = await Promise.all([import('./step-report.ts'), import('../client/events.ts')]);
    const reporter = new StepReporter((service, steps) => reportSteps(client, service, steps), logger);
    opened('disco client', async () => {
      reporter.flush(); // The last steps (a `scs down`'s) go before the goodbye.
      await client.close();
      kept?.forget();
    });
    const { defaultAdvertise, isHostAddress, publishAddresses } = await import('./advertise.ts');
    const advertise = options.advertise ?? compiled.advertise ?? (await defaultAdvertise(addresses[0]!, () => engine.bridgeGateway()));
    const published = publishAddresses(advertise, await isHostAddress(advertise));
    if (published.reason) logger.warn(published.reason);
    // The stack network and the DNS on its gateway come first: containers are created with them.
    const [{ attachStack }, { hostLabel, ownerLabels }] = await Promise.all([import('./network-attachment.ts'), import('./identity.ts')]);
    const identity = { stack: compiled.stack, environment: compiled.environment, project, host: hostLabel() };
    let agent: Agent | undefined;
    const attached = compiled.services.some((service) => service.container.network === 'bridge')
      ? await attachStack({
          engine,
          compiled,
          identity,
          discovery: client,
          localEndpoints: () => agent?.localEndpoints() ?? [],
          holdMs: options.holdMs,
          logger,
        })
      : undefined;
    const hostDns = attached?.dns;
    if (hostDns) opened('host DNS', () => hostDns.close());
    const dns = hostDns ? formatHostPort(hostDns.address, hostDns.port) : embedded?.dns;
    const running = new Agent(compiled, {
      engine,
      client,
      onStep: (service, step, ok, error) => reporter.add(`${service}.${compiled.stack}.${compiled.environment}`, service, step, ok, error),
      advertise,
      waitTimeoutMs: options.waitTimeoutMs,
      debounceMs: options.debounceMs,
      holdMs: options.holdMs,
      logger,
      disco: discoAddress,
      project,
      stackId: (await import('./stack-id.ts')).stackId(folder),
      stateFolder: folder,
      only: options.services.length === 0 ? [] : selected.services.map((s) => s.name),
      control,
      ...(dns ? { dns } : {}),
      ...(attached ? { attachment: { ...attached.attachment, publishOn: published.on } } : {}),
      ...(hostDns ? { onChange: () => hostDns.refresh() } : {}),
    });
    agent = running;
    const controlServer = await serveControl(control, async (request, log) =>
      withLogsTo(log, async () => {
        if (request.op !== 'up') return running.control(request.op, request.services);
        checkFilesBelow(compiled.directory, request.files);
        const next = compileStack({ file: request.files });
        if (next.stack !== compiled.stack)
          throw new UserError(`this agent runs the stack ${compiled.stack}; ${request.files[0]} is the stack ${next.stack}`);
        checkServices(next, request.services);
        // Only what this agent will run: the other services may be another host's to build.
        await buildImages(engine, { ...next, services: running.targets(next, request.services) }, consola.withTag('build'));
        await running.apply(next, request.services);
      }),
    );
    opened('control socket', () => closeServer(controlServer));

    // The foreground shows what the containers print, as they start; the background agent does not.
    if (!options.background && options.logs !== false) {
      const { LogStream } = await import('./log-stream.ts');
      const logs = new LogStream(engine, ownerLabels(identity), {
        prefix: options.logPrefix !== false,
        services: compiled.services.map((s) => s.name),
        write: (line) => void process.stdout.write(`${line}\n`),
      });
      await logs.start();
      opened('container logs', () => logs.stop());
    }
    // Down goes first when stopping: its containers' endpoints are dropped while disco still listens.
    opened('services', () => running.down());
    await Promise.race([running.up(), interrupted]);
    // What the agent before it held and this one no longer does (a container gone meanwhile) is let go.
    // Failing to is no reason to stop a stack that is up: what is left ends with the session.
    if (kept)
      await client
        .releaseUnclaimed()
        .catch((error: Error) => logger.warn(`could not let go of what the agent before held: ${error.message}`));

    logger.success(
      `${compiled.stack} is up: ${selected.services.map((s) => s.name).join(', ')}${options.background ? '' : ' (Ctrl-C stops it)'}`,
    );
    // `up -d --no-wait` may have gone already: nobody is listening then.
    if (options.background && process.send && process.connected) {
      // Tell `scs up -d` at once, then stand alone.
      process.send({ phase: 'running' });
      process.disconnect();
    }
    return { agent: running, disco: discoAddress, dns, stopRequested, stop, closed };
  } catch (error) {
    logger.error(`${(error as Error).message}; stopping what was started`);
    await stop();
    throw restated(`scs up failed: ${(error as Error).message}`, error);
  }
}

/** Runs `task` with the agent's log lines also sent to `log`: the caller of a request sees what it caused. */
async function withLogsTo(log: (line: string) => void, task: () => Promise<void>): Promise<void> {
  const reporter = {
    log: (entry: { level: number; tag?: string; args: unknown[] }) => {
      if (entry.level <= 3) log(`${entry.tag ? `[${entry.tag}] ` : ''}${format(...entry.args)}`);
    },
  };
  consola.addReporter(reporter);
  try {
    await task();
  } finally {
    consola.removeReporter(reporter);
  }
}

/**
 * The stack's own disco, on loopback: only its agent, with the token kept in the state folder, may
 * provide; anyone on the host may require, list and observe (`scs events`), as anyone may ask its DNS.
 */
async function startEmbeddedDisco(
  logger: ConsolaInstance,
  stateFolder: string,
): Promise<{ disco: string; dns: string; token: string; close(): Promise<void> }> {
  const [{ runDisco, EMBEDDED_DISCO }, { makeDiscoToken }, { EVERY_NAME }] = await Promise.all([
    import('../server/run-disco.ts'),
    import('./disco-token.ts'),
    import('../server/scopes.ts'),
  ]);
  const { token, file } = makeDiscoToken(stateFolder);
  const running = await runDisco({
    ...EMBEDDED_DISCO,
    tokens: [{ token, where: file, provide: [EVERY_NAME], require: [EVERY_NAME], observe: [EVERY_NAME] }],
    anonymous: { provide: [], require: [EVERY_NAME], observe: [EVERY_NAME] },
  });
  logger.info(`embedded disco on ${running.disco}, DNS on ${running.dnsAddress}; its token is in ${file}`);
  return { disco: running.disco, dns: running.dnsAddress!, token, close: () => running.close() };
}

/** The disco session an earlier agent left in the state folder, and the means to keep this one's there. */
async function keptSession(stateFolder: string, disco: string, logger: ConsolaInstance) {
  const { readSavedSession, saveSession, forgetSession } = await import('./disco-session.ts');
  const resume = readSavedSession(stateFolder, disco);
  if (resume) logger.info(`resuming the disco session of the agent before this one (${resume.session})`);
  return {
    options: {
      ...(resume ? { resume } : {}),
      onRecord: (record: SessionRecord) => {
        try {
          saveSession(stateFolder, disco, record);
        } catch (error) {
          logger.warn(`could not keep the disco session for the next agent: ${(error as Error).message}`);
        }
      },
    },
    connected(session: string | undefined) {
      if (resume && session !== resume.session) logger.info('that session had ended (away longer than the grace?): a new one was opened');
    },
    forget: () => forgetSession(stateFolder),
  };
}

/** Stops listening, and resolves once the listener is closed. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
