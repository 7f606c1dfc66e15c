// The agent process of `scs up`, assembled: Docker, the images, a disco (its own embedded one when
// none is configured), the client, the stack network, the Agent, its control socket and, in the
// foreground, the containers' output. Whatever it opens is closed, last first, however it ends: a
// failure midway leaves nothing listening. It resolves once the stack is up, with a handle to stop it.
// How it ends (ending.ts): handing over leaves the containers and the disco session to the agent after
// it; draining (`scs down` through the control socket, Ctrl-C of a foreground `scs up`) takes them down.

import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { format } from 'node:util';
import { consola } from 'consola';
import { formatHostPort, type HostPort } from '../address.ts';
import { type AccessFiles, discoAccess, parseDiscoList } from '../client/access.ts';
import type { Engine } from '../docker/engine.ts';
import { restated, UserError } from '../errors.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { placeOf } from '../registry/nearest.ts';
import type { Agent } from './agent.ts';
import { claimFolder } from './agent-lock.ts';
import type { ContainerEngine } from './container-engine.ts';
import { draining, type Ending, endingFor, handingOver } from './ending.ts';
import type { LogEngine } from './log-stream.ts';
import { ensurePrivateFolder } from './private-folder.ts';
import { selectServices } from './stack-files.ts';
import { stateFolder } from './state-folder.ts';
import { upRequest } from './up-request.ts';
import { settlesWithin } from './within.ts';

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
   * Ctrl-C during a build ends the process at once, as a kill does; during start-up it stops what
   * was started and fails with "interrupted"; after, `stopRequested` is it.
   * What it resolves with (a signal's name) is read by `endingFor`: one of `drainOn` drains, any other hands over.
   */
  readonly untilStopped?: () => Promise<unknown>;
  /** The signals that drain the stack rather than hand it over: SIGINT in a foreground `scs up`, none in `scs agent`. */
  readonly drainOn?: readonly string[];
  /** Docker by default; tests bring their own. */
  readonly engine?: AgentEngine;
  /** The scs version it tells disco as a member. */
  readonly version?: string;
  /** Its data center (`dc`) and zone (`az`), as its member's attributes (`--dc`, `--zone`). */
  readonly place?: { readonly dc?: string; readonly az?: string };
  /** Told `open X` and `close X` as each part opens and closes (by default at debug level). */
  readonly trace?: (event: string) => void;
  /** Where to serve /health, /ready and /metrics (docs/observe.md); off when absent. */
  readonly http?: HostPort;
}

export interface RunningAgent {
  readonly agent: Agent;
  /** Where disco listens, and the DNS the containers were given (if any). */
  readonly disco: string;
  readonly dns: string | undefined;
  /**
   * Settles when the agent is to end, saying how: by a signal (`untilStopped`), or drained by
   * `scs down` (its services are down by then). The owner of the process calls `stop()` then.
   */
  readonly stopRequested: Promise<Ending>;
  /** Closes everything, last opened first, once: as asked (`stopRequested`), else draining. */
  stop(ending?: Ending): Promise<void>;
  /** Settles once everything is closed. */
  readonly closed: Promise<void>;
}

export async function runAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const { compiled, project } = options;
  if (options.background) (await import('./timestamped-log.ts')).useTimestampedLog(consola);
  // Before any logger derives from consola: each copies its reporters when made.
  if (!consola.options.reporters.includes(PASS_ON)) consola.addReporter(PASS_ON);
  const selected = selectServices(compiled, [...options.services]);
  const logger = consola.withTag('up');
  const trace = options.trace ?? ((event: string) => logger.debug(event));
  // Loaded here, not at the top: `scs up -d` itself never needs Docker or DNS, its agent does.
  const [
    { buildImages },
    { Agent },
    { DiscoClient },
    { serveControl, controlPath },
    { startEmbeddedDisco, keptSession, memberReport, placementHere, instancesHere, spreadHere },
  ] = await Promise.all([
    import('./build.ts'),
    import('./agent.ts'),
    import('../client/client.ts'),
    import('./control.ts'),
    import('./agent-disco.ts'),
  ]);
  // Before anything opens: who may enter the state folder may give the agent orders.
  const folder = stateFolder(project, compiled.stack);
  const control = controlPath(folder);
  ensurePrivateFolder(folder);
  if (dirname(control) !== folder) ensurePrivateFolder(dirname(control));
  // One agent per project and stack: a second is refused before it touches anything of the first.
  const release = claimFolder(folder, `the agent of ${compiled.stack} (project ${project})`);
  const engine = options.engine ?? new (await import('../docker/engine.ts')).Engine();
  // Loaded only with the HTTP listener: without it nothing is counted.
  const metrics = options.http && new (await import('../metrics/agent-metrics.ts')).AgentMetrics();
  const meter = metrics || undefined;
  try {
    await engine.ping();
  } catch (error) {
    release();
    throw error;
  }

  const closers: Array<{ name: string; close: (ending: Ending) => unknown }> = [];
  const opened = (name: string, close: (ending: Ending) => unknown) => {
    trace(`open ${name}`);
    closers.push({ name, close });
  };
  // The first word on how to end is kept: a signal during `scs down`'s drain does not turn it into a hand-over.
  let requested: Ending | undefined;
  let markRequested!: (ending: Ending) => void;
  const stopRequested = new Promise<Ending>((resolve) => (markRequested = resolve));
  const requestStop = (ending: Ending): Ending => {
    if (!requested) markRequested((requested = ending));
    return requested;
  };
  // Settles once the services are drained or left (what `scs down` waits for before its answer).
  let settleServices!: (done: Promise<void>) => void;
  const servicesClosed = new Promise<void>((resolve) => (settleServices = resolve));
  servicesClosed.catch(() => {});
  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const stop = (ending: Ending = requested ?? draining('stopped')) =>
    (closing ??= (async () => {
      logger.debug(ending.drain ? `draining (${ending.why})` : `handing over to the next agent (${ending.why})`);
      for (const { name, close } of closers.splice(0).reverse()) {
        trace(`close ${name}`);
        // One part that fails to close must not leave the others open.
        await Promise.resolve(ending)
          .then(close)
          .catch((error: Error) => logger.warn(`closing the ${name}: ${error.message}`));
      }
      settleServices(Promise.resolve());
      release();
      markClosed();
    })());
  let buildFailed: Error | undefined;
  const interrupted = stopRequested.then(() => Promise.reject(new UserError('interrupted')));
  interrupted.catch(() => {});

  try {
    const [{ attachStack, makeStackNetwork }, { hostLabel, ownerLabels }] = await Promise.all([
      import('./network-attachment.ts'),
      import('./identity.ts'),
    ]);
    const identity = { stack: compiled.stack, environment: compiled.environment, project, host: hostLabel() };
    // The stack network is made while disco starts and the client joins it: neither waits on the other.
    const bridged = compiled.services.some((service) => service.container.network === 'bridge');
    const network = bridged ? makeStackNetwork(engine, compiled, identity) : undefined;
    network?.catch(() => {}); // awaited below, where its failure is the start's
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
    opened('disco client', async (ending) => {
      reporter.flush(); // The last steps (a `scs down`'s) go before the goodbye, or the hand-over.
      // Handing over: no goodbye, and the session kept in the state folder, for the agent after this one.
      if (!ending.drain) return client.handOver();
      await client.close();
      kept?.forget();
    });
    const { defaultAdvertise, isHostAddress, publishAddresses } = await import('./advertise.ts');
    const advertise = options.advertise ?? compiled.advertise ?? (await defaultAdvertise(addresses[0]!, () => engine.bridgeGateway()));
    const published = publishAddresses(advertise, await isHostAddress(advertise));
    if (published.reason) logger.warn(published.reason);
    // Its member attributes (--dc, --zone over what its endpoints all say), and so where this host is (the flags win over `zone`).
    const attrs = { ...(await import('./member-record.ts')).commonAttributes(selected.services), ...options.place };
    const place = { ...placeOf(attrs), ...placeOf(options.place) };
    let agent: Agent | undefined;
    // The stack network and the DNS on its gateway come first: containers are created with them.
    const attached = network
      ? await attachStack({
          network,
          engine,
          compiled,
          identity,
          discovery: client,
          localEndpoints: () => agent?.localEndpoints() ?? [],
          holdMs: options.holdMs,
          logger,
          dnsCounts: meter?.dnsCounts,
          place,
        })
      : undefined;
    const hostDns = attached?.dns;
    if (hostDns) opened('host DNS', () => hostDns.close());
    // The images are checked once the host DNS answers: after a restart, the containers resolve names
    // again (from what the resumed session holds) before the agent looks at its images, the slow part.
    await buildImages(engine, selected, consola.withTag('build'), undefined, meter).catch((error: Error) => {
      buildFailed = error;
      throw error;
    });
    // Asked for once the images are built: a signal during a build ends the process at once, as a kill
    // does (nothing is removed; the session it opened runs out with the grace).
    void options.untilStopped?.().then((signal) => requestStop(endingFor(signal, options.drainOn)));
    const dns = hostDns ? formatHostPort(hostDns.address, hostDns.port) : embedded?.dns;
    // Disco hears of this agent as a member, with what it runs, from now on (member-report.ts).
    const report = await memberReport({ client, options, identity, advertise, attrs, agent: () => agent, logger });
    opened('member report', () => report.stop());
    // Which services run here is disco's placement (docs/multi-host.md): watched from now on.
    const placement = await placementHere(client, identity, attrs, logger);
    if (placement) opened('placement watch', () => placement.board.close());
    const instances = await instancesHere(client, identity, logger);
    if (instances) opened('instances watch', () => instances.board.close());
    const given = options.services.length === 0 ? [] : selected.services.map((s) => s.name);
    const spread = await spreadHere(client, identity, attrs, given, placement, logger);
    opened('members of the spread', () => spread.close());
    const running = new Agent(compiled, {
      engine,
      client,
      onStep: (service, step, ok, error, instance) =>
        reporter.add(`${service}.${compiled.stack}.${compiled.environment}`, service, step, ok, error, instance),
      advertise,
      waitTimeoutMs: options.waitTimeoutMs,
      debounceMs: options.debounceMs,
      holdMs: options.holdMs,
      logger,
      disco: discoAddress,
      project,
      stackId: (await import('./stack-id.ts')).stackId(folder),
      stateFolder: folder,
      only: given,
      control,
      ...(dns ? { dns } : {}),
      ...(attached ? { attachment: { ...attached.attachment, publishOn: published.on } } : {}),
      onChange: () => {
        hostDns?.refresh();
        report.changed();
      },
      ...(meter ? { meter } : {}),
      ...(placement ? { placement } : {}),
      ...(instances ? { instances } : {}),
      spread,
      prepare: async (service) =>
        (await import('./prepare-moved.ts')).prepareMoved({ ...compiled, services: [service] }, project, engine, meter, logger),
      place,
    });
    agent = running;
    if (options.http && meter) {
      const { startAgentHttp } = await import('./agent-http.ts');
      const http = await startAgentHttp({
        address: options.http,
        metrics: meter,
        state: () => running.state(),
        discoUp: () => client.connected,
        logger: consola.withTag('http'),
        said: logger,
      });
      opened('http listener', () => http.listener.close());
    }
    const controlServer = await serveControl(control, async (request, log) =>
      withLogsTo(log, async () => {
        if (request.op === 'down') {
          const ending = requestStop(draining('scs down'));
          if (!ending.drain)
            throw new UserError(
              `this agent is handing over to the next one (${ending.why}); scs down once it is gone removes what it left`,
            );
          // Answered once its services are down; the rest closes after the answer, and the owner of the process ends it.
          void stop(ending);
          return servicesClosed;
        }
        if (request.op !== 'up') return running.control(request.op, request.services);
        await upRequest(request, { compiled, running, engine, meter });
      }),
    );
    // A request in progress (`scs up` converging) is not waited for long: it ends with the process.
    opened('control socket', () => settlesWithin(closeServer(controlServer)));

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
    // Handing over, the containers are left as they are, for the agent after this one to take over.
    opened('services', (ending) => {
      const done = ending.drain ? running.down({ volumes: ending.volumes }) : Promise.resolve(running.leave());
      settleServices(done);
      return done;
    });
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
    // A build that fails says so itself, as it did before anything was opened, and touches nothing:
    // an agent that resumed its predecessor's session leaves it (and its endpoints) to the next one.
    if (error === buildFailed) {
      await stop(handingOver('the build failed'));
      throw error;
    }
    // Stopped while starting, it ends as asked: a supervisor's restart must not remove what the next agent takes over.
    const ending = requested ?? draining('failed');
    if (ending.drain) logger.error(`${(error as Error).message}; stopping what was started`);
    else logger.info(`${(error as Error).message}; leaving what was started to the next agent (${ending.why})`);
    await stop(ending);
    throw restated(`scs up failed: ${(error as Error).message}`, error);
  }
}

/** Runs `task` with the agent's log lines also sent to `log`: the caller of a request sees what it caused. */
async function withLogsTo(log: (line: string) => void, task: () => Promise<void>): Promise<void> {
  listeners.add(log);
  try {
    await task();
  } finally {
    listeners.delete(log);
  }
}

/** Who hears the agent's log lines while a control request runs: the `scs` command that sent it. */
const listeners = new Set<(line: string) => void>();

/**
 * One reporter, put on consola before the agent's loggers derive from it (consola's `withTag` copies
 * the reporters then: one added to consola later reaches none of them, and the CLI heard only the
 * lines of loggers made during its request, not the runners' steps).
 */
const PASS_ON = {
  log: (entry: { level: number; tag?: string; args: unknown[] }) => {
    if (entry.level > 3 || listeners.size === 0) return;
    const line = `${entry.tag ? `[${entry.tag}] ` : ''}${format(...entry.args)}`;
    for (const listen of listeners) listen(line);
  },
};

/** Stops listening, and resolves once the listener is closed. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
