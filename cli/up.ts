import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import type { CAC } from 'cac';
import { type ConsolaInstance, consola } from 'consola';
import { formatHostPort } from '../src/address.ts';
import { type AgentState, isAlive, readState, stateDirectory } from '../src/agent/state.ts';
import { parseDuration } from '../src/duration.ts';
import type { CompiledStack } from '../src/manifest/compiled.ts';
import { discoAccess, EXIT, flag, type GlobalFlags, parseDiscoList, restated, UserError, untilSignal, withDiscoAccess } from './common.ts';
import {
  checkServices,
  compileStack,
  filesToLoad,
  project,
  runningAgent,
  type StackFlags,
  selectServices,
  stackDirectory,
  withStackFile,
} from './stack.ts';

interface UpFlags extends GlobalFlags, StackFlags {
  detach?: boolean;
  /** `--no-wait`: false (with -d, return once the agent has started). */
  wait?: boolean;
  dryRun?: boolean;
  waitTimeout?: string;
  debounce?: string;
  hold?: string;
  advertise?: string;
  /** `--no-logs`: false. */
  logs?: boolean;
  /** `--no-log-prefix`: false. */
  logPrefix?: boolean;
  /** Internal: this process is the background agent of `scs up -d`. */
  agent?: boolean;
}

export function registerUp(cli: CAC): void {
  withDiscoAccess(
    withStackFile(cli.command('up [...services]', 'Build, start and connect the services of a stack; against a running agent, converge')),
  )
    .option(
      '-d, --detach',
      'Leave the stack running under a background agent; returns once every service is up (healthy if it has a check)',
    )
    .option('--wait', 'Same as -d: wait for the services to be up and healthy (implies -d)')
    .option('--no-wait', 'With -d: return once the agent has started, without waiting for the services (implies -d)')
    .option('--dry-run', 'Print the plan: what up would do to each service, and why; do nothing')
    .option('--wait-timeout <duration>', 'How long to wait for a requirement or a healthy container', { default: '60s' })
    .option('--debounce <duration>', 'Quiet time that folds a burst of endpoint changes into one live update', { default: '200ms' })
    .option('--hold <duration>', 'How long an empty set of endpoints is held back, for a provider that comes straight back', {
      default: '1s',
    })
    .option(
      '--advertise <host>',
      "Address provided for published ports (default: this host's address on the route to a remote disco, else the Docker bridge gateway)",
    )
    .option('--no-logs', 'In the foreground, do not print what the containers print')
    .option('--no-log-prefix', 'Print container output without the "service | " prefix')
    .option('--agent', 'internal: run as the background agent of up -d')
    .action(async (names: string[], flags: UpFlags) => {
      // cac gives --wait the default true of --no-wait, so whether it was typed is read from the line itself.
      if (flags.wait === false || cli.rawArgs.includes('--wait')) flags.detach = true;
      if (flags.dryRun) return dryRun(selectServices(compileStack(flags), names), project(flags));
      if (!flags.agent) {
        const running = runningAgent(flags);
        if (running) return converge(running, names, flags);
      }
      if (flags.detach && !flags.agent) return detach(names, flags);
      if (flags.agent) (await import('../src/agent/timestamped-log.ts')).useTimestampedLog(consola);
      const compiled = compileStack(flags);
      const selected = selectServices(compiled, names);
      const waitTimeoutMs = flag('wait-timeout', () => parseDuration(String(flags.waitTimeout)));
      const debounceMs = flag('debounce', () => parseDuration(String(flags.debounce)));
      const holdMs = flag('hold', () => parseDuration(String(flags.hold)));
      const projectName = project(flags);

      // Loaded here, not at the top: `scs up -d` itself never needs Docker or DNS, its agent does.
      const [{ Engine }, { buildImages }, { Agent }, { DiscoClient }, { serveControl, controlPath }] = await Promise.all([
        import('../src/docker/engine.ts'),
        import('../src/agent/build.ts'),
        import('../src/agent/agent.ts'),
        import('../src/client/client.ts'),
        import('../src/agent/control.ts'),
      ]);
      const engine = new Engine();
      await engine.ping();
      await buildImages(engine, selected, consola.withTag('build'));

      // Whatever is opened from here on is closed, last first, however `up` ends: a failure must not
      // leave an embedded disco or a client holding the process open.
      const logger = consola.withTag('up');
      const closers: Array<() => unknown> = [];
      const stop = async () => {
        for (const close of closers.splice(0).reverse()) await close();
      };
      const interrupted = untilSignal();
      try {
        // Without a disco to join, the stack brings its own: a single host needs nothing else.
        const external = flags.disco ?? process.env.SCS_DISCO ?? compiled.disco;
        const embedded = external ? undefined : await startEmbeddedDisco(logger);
        if (embedded) closers.push(() => embedded.close());
        const discoAddress = external ?? embedded!.disco;
        const addresses = parseDiscoList(discoAddress);
        const client = await DiscoClient.connect({
          ...addresses[0]!,
          addresses,
          // The embedded disco has neither TLS nor tokens.
          ...(external ? discoAccess(flags) : {}),
          name: `scs up ${compiled.stack}`,
          waitForServer: true,
          logger: consola.withTag('disco'),
        });
        closers.push(() => client.close());
        const { defaultAdvertise } = await import('../src/agent/advertise.ts');
        const advertise = flags.advertise ?? compiled.advertise ?? (await defaultAdvertise(addresses[0]!, () => engine.bridgeGateway()));
        const control = controlPath(stateDirectory(compiled.directory, projectName));
        // A first `scs up` in the foreground has no state folder yet (`-d` makes it for its log).
        mkdirSync(dirname(control), { recursive: true });
        // The stack network and the DNS on its gateway come first: containers are created with them.
        const { attachStack } = await import('../src/agent/network-attachment.ts');
        const { hostLabel } = await import('../src/agent/identity.ts');
        const identity = { stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() };
        let agent: InstanceType<typeof Agent> | undefined;
        const attached = compiled.services.some((service) => service.container.network === 'bridge')
          ? await attachStack({
              engine,
              compiled,
              identity,
              discovery: client,
              localEndpoints: () => agent?.localEndpoints() ?? [],
              holdMs,
              logger,
            })
          : undefined;
        const hostDns = attached?.dns;
        if (hostDns) closers.push(() => hostDns.close());
        const dns = hostDns ? formatHostPort(hostDns.address, hostDns.port) : embedded?.dns;
        agent = new Agent(compiled, {
          engine,
          client,
          advertise,
          waitTimeoutMs,
          debounceMs,
          holdMs,
          logger,
          disco: discoAddress,
          project: projectName,
          only: names.length === 0 ? [] : selected.services.map((s) => s.name),
          control,
          ...(dns ? { dns } : {}),
          ...(attached ? { attachment: attached.attachment } : {}),
          ...(hostDns ? { onChange: () => hostDns.refresh() } : {}),
        });
        const controlServer = await serveControl(control, async (request, log) =>
          withLogsTo(log, async () => {
            if (request.op !== 'up') return agent.control(request.op, request.services);
            const next = compileStack({ file: request.files });
            checkServices(next, request.services);
            // Only what this agent will run: the other services may be another host's to build.
            await buildImages(engine, { ...next, services: agent.targets(next, request.services) }, consola.withTag('build'));
            await agent.apply(next, request.services);
          }),
        );
        closers.push(() => controlServer.close());

        // The foreground shows what the containers print, as they start; the background agent does not.
        if (!flags.agent && flags.logs !== false) {
          const [{ LogStream }, { hostLabel, ownerLabels }] = await Promise.all([
            import('../src/agent/log-stream.ts'),
            import('../src/agent/identity.ts'),
          ]);
          const owner = ownerLabels({ stack: compiled.stack, environment: compiled.environment, project: projectName, host: hostLabel() });
          const logs = new LogStream(engine, owner, {
            prefix: flags.logPrefix !== false,
            services: compiled.services.map((s) => s.name),
            write: (line) => void process.stdout.write(`${line}\n`),
          });
          await logs.start();
          closers.push(() => logs.stop());
        }
        // Down goes first when stopping: its containers' endpoints are dropped while disco still listens.
        closers.push(() => agent.down());
        await Promise.race([agent.up(), interrupted.then(() => Promise.reject(new UserError('interrupted')))]);
      } catch (error) {
        logger.error(`${(error as Error).message}; stopping what was started`);
        await stop();
        throw restated(`scs up failed: ${(error as Error).message}`, error);
      }
      logger.success(
        `${compiled.stack} is up: ${selected.services.map((s) => s.name).join(', ')}${flags.agent ? '' : ' (Ctrl-C stops it)'}`,
      );
      // `up -d --no-wait` may have gone already: nobody is listening then.
      if (process.send && process.connected) {
        // Tell `scs up -d` at once, then stand alone.
        process.send({ phase: 'running' });
        process.disconnect();
      }
      await interrupted;
      logger.info('stopping');
      await stop();
    });
}

/** `scs up` when this project's agent is running: build here (the user sees it), converge there. */
async function converge(running: AgentState, names: string[], flags: UpFlags): Promise<void> {
  const compiled = compileStack(flags);
  checkServices(compiled, names);
  const runs = names.length > 0 || running.only.length === 0 ? names : running.only;
  const [{ Engine }, { buildImages }, { callAgent }] = await Promise.all([
    import('../src/docker/engine.ts'),
    import('../src/agent/build.ts'),
    import('../src/agent/control.ts'),
  ]);
  const engine = new Engine();
  await engine.ping();
  await buildImages(engine, selectServices(compiled, [...runs]), consola.withTag('build'));
  if (!running.control) throw new UserError(`the agent of ${running.stack} (pid ${running.pid}) takes no requests; scs down, then scs up`);
  try {
    await callAgent(running.control, { op: 'up', files: [...compiled.files], services: names.map((r) => r.toLowerCase()) }, (line) =>
      process.stderr.write(`${line}\n`),
    );
  } catch (error) {
    throw restated(`scs up failed: ${(error as Error).message}`, error);
  }
  consola.success(`${compiled.stack} is up to date (agent pid ${running.pid})`);
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

async function startEmbeddedDisco(logger: ConsolaInstance): Promise<{ disco: string; dns: string; close(): Promise<void> }> {
  const { runDisco } = await import('./run-disco.ts');
  const running = await runDisco({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
  logger.info(`embedded disco on ${running.disco}, DNS on ${running.dnsAddress}`);
  return { disco: running.disco, dns: running.dnsAddress!, close: () => running.close() };
}

async function dryRun(compiled: CompiledStack, projectName: string): Promise<void> {
  const [{ Engine }, { previewUp }] = await Promise.all([import('../src/docker/engine.ts'), import('../src/agent/preview.ts')]);
  const engine = new Engine();
  await engine.ping();
  process.stdout.write(`${await previewUp(compiled, projectName, engine, (tag) => engine.imageExists(tag))}\n`);
}

/**
 * Starts the agent in the background and returns once the stack is up, or says why it is not.
 * The agent is started first and the stack checked here meanwhile: a mistake is still reported
 * at once, and a good stack does not wait for two start-ups in a row.
 */
async function detach(names: string[], flags: UpFlags): Promise<void> {
  const directory = stackDirectory(flags);
  const projectName = project(flags);
  const dir = stateDirectory(directory, projectName);
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, 'agent.log'), 'a');
  const args = [
    process.argv[1]!,
    'up',
    ...names,
    '--agent',
    '--project-name',
    projectName,
    ...filesToLoad(flags).flatMap((file) => ['-f', file]),
  ];
  for (const [name, value] of [
    ['--wait-timeout', flags.waitTimeout],
    ['--debounce', flags.debounce],
    ['--hold', flags.hold],
    ['--advertise', flags.advertise],
    ['--disco', flags.disco],
    ['--tls-ca', flags.tlsCa],
    ['--tls-cert', flags.tlsCert],
    ['--tls-key', flags.tlsKey],
    ['--token-file', flags.tokenFile],
  ] as const) {
    if (value !== undefined) args.push(name, String(value));
  }
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'], cwd: process.cwd(), env: process.env });
  const pid = child.pid!;
  try {
    selectServices(compileStack(flags), names);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (flags.wait === false) {
    child.disconnect();
    child.unref();
    consola.success(`agent of ${projectName} started (pid ${pid}); scs ps shows how far it is, ${join(dir, 'agent.log')} what it says`);
    return;
  }
  // The agent says when it is up over IPC; the state file tells what happened when it is not.
  await new Promise<void>((resolve) => {
    child.once('message', () => resolve());
    child.once('exit', () => resolve());
    child.once('disconnect', () => resolve());
  });
  child.unref();
  child.channel?.unref();
  for (;;) {
    const state = readState(directory, projectName);
    if (state?.pid === pid && state.phase === 'running') {
      consola.success(
        `${state.stack} is up (agent pid ${pid}, disco ${state.disco}${state.dns ? `, DNS ${state.dns}` : ''}); scs ps, scs down`,
      );
      return;
    }
    if (state?.pid === pid && state.phase === 'failed') {
      throw new UserError(`scs up failed: ${state.error}; see ${join(dir, 'agent.log')}`, state.timedOut ? EXIT.timeout : EXIT.failure);
    }
    if (!isAlive(pid)) throw new UserError(`the agent exited before the stack was up; see ${join(dir, 'agent.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
