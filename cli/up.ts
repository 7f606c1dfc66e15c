import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CAC } from 'cac';
import { consola } from 'consola';
import type { DnsServer } from '../dns/server.ts';
import { formatHostPort, parseHostPort } from '../src/address.ts';
import { isAlive, readState, stateDirectory } from '../src/agent/state.ts';
import { parseDuration } from '../src/duration.ts';
import type { DiscoServer } from '../src/server/server.ts';
import { flag, untilSignal, UserError, type GlobalFlags } from './common.ts';
import type { Plan } from '../src/manifest/compile.ts';
import { STACK_FILE } from '../src/manifest/load.ts';
import { loadPlan, refuseIfUp, selectServices, stackFiles, withStackFile, type StackFlags } from './stack.ts';

interface UpFlags extends GlobalFlags, StackFlags {
  detach?: boolean;
  dryRun?: boolean;
  waitTimeout?: string;
  debounce?: string;
  advertise?: string;
  /** `--no-logs`: false. */
  logs?: boolean;
  /** `--no-log-prefix`: false. */
  logPrefix?: boolean;
  /** Internal: this process is the background agent of `scs up -d`. */
  agent?: boolean;
}

export function registerUp(cli: CAC): void {
  withStackFile(cli.command('up [...services]', 'Build, start and connect the services of a stack'))
    .option('-d, --detach', 'Leave the stack running under a background agent')
    .option('--dry-run', 'Print the plan: what up would do to each service, and why; do nothing')
    .option('--wait-timeout <duration>', 'How long to wait for a requirement or a healthy container', { default: '60s' })
    .option('--debounce <duration>', 'Quiet time that folds a burst of endpoint changes into one live update', { default: '200ms' })
    .option('--advertise <host>', 'Address provided for published ports (default: the Docker bridge gateway)')
    .option('--no-logs', 'In the foreground, do not print what the containers print')
    .option('--no-log-prefix', 'Print container output without the "service | " prefix')
    .option('--agent', 'internal: run as the background agent of up -d')
    .action(async (roles: string[], flags: UpFlags) => {
      if (flags.dryRun) return dryRun(selectServices(loadPlan(flags), roles));
      if (flags.detach && !flags.agent) return detach(roles, flags);
      if (flags.agent) (await import('../src/agent/timestamped-log.ts')).useTimestampedLog(consola);
      const plan = selectServices(loadPlan(flags), roles);
      const waitTimeoutMs = flag('wait-timeout', () => parseDuration(String(flags.waitTimeout)));
      const debounceMs = flag('debounce', () => parseDuration(String(flags.debounce)));
      if (!flags.agent) refuseIfUp(plan.directory);

      // Loaded here, not at the top: `scs up -d` itself never needs Docker or DNS, its agent does.
      const [{ Engine }, { buildImages }, { Agent }, { DiscoClient }, { DiscoServer }, { DnsServer }] = await Promise.all([
        import('../src/docker/engine.ts'),
        import('../src/agent/build.ts'),
        import('../src/agent/agent.ts'),
        import('../src/client/client.ts'),
        import('../src/server/server.ts'),
        import('../dns/server.ts'),
      ]);
      const engine = new Engine();
      await engine.ping();
      await buildImages(engine, plan, consola.withTag('build'));

      // Without a disco to join, the stack brings its own: a single host needs nothing else.
      const logger = consola.withTag('up');
      const external = flags.disco ?? process.env.SCS_DISCO ?? plan.disco;
      let server: DiscoServer | undefined;
      let dns: DnsServer | undefined;
      let discoAddress = external;
      let dnsAddress: string | undefined;
      if (!external) {
        server = new DiscoServer({ host: '127.0.0.1', port: 0, logger: consola.withTag('disco') });
        const { port } = await server.listen();
        discoAddress = `127.0.0.1:${port}`;
        dns = new DnsServer(server.registry, { host: '127.0.0.1', port: 0, logger: consola.withTag('dns') });
        const { udp } = await dns.listen();
        dnsAddress = formatHostPort(udp.address, udp.port);
        logger.info(`embedded disco on ${discoAddress}, DNS on ${dnsAddress}`);
      }
      const { host, port } = flag('disco', () => parseHostPort(discoAddress!));
      const client = await DiscoClient.connect({ host, port, name: `scs up ${plan.stack}`, waitForServer: true, logger: consola.withTag('disco') });
      const advertise = flags.advertise ?? plan.advertise ?? (await engine.bridgeGateway()) ?? '127.0.0.1';
      const agent = new Agent(plan, { engine, client, advertise, waitTimeoutMs, debounceMs, logger, disco: discoAddress!, ...(dnsAddress ? { dns: dnsAddress } : {}) });

      // The foreground shows what the containers print, as they start; the background agent does not.
      let logs: import('../src/agent/log-stream.ts').LogStream | undefined;
      if (!flags.agent && flags.logs !== false) {
        const { LogStream } = await import('../src/agent/log-stream.ts');
        const { LABEL } = await import('../src/docker/labels.ts');
        logs = new LogStream(engine, { [LABEL.stack]: plan.stack, [LABEL.environment]: plan.environment }, {
          prefix: flags.logPrefix !== false,
          roles: plan.services.map((s) => s.role),
          write: (line) => void process.stdout.write(`${line}\n`),
        });
        await logs.start();
      }

      const stop = async () => {
        await agent.down();
        logs?.stop();
        await client.close();
        await dns?.close();
        await server?.close();
      };
      const interrupted = untilSignal();
      try {
        await Promise.race([agent.up(), interrupted.then(() => Promise.reject(new UserError('interrupted')))]);
      } catch (error) {
        logger.error(`${(error as Error).message}; stopping what was started`);
        await stop();
        throw new UserError(`scs up failed: ${(error as Error).message}`);
      }
      logger.success(`${plan.stack} is up: ${plan.services.map((s) => s.role).join(', ')}${flags.agent ? '' : ' (Ctrl-C stops it)'}`);
      if (process.send) {
        // Tell `scs up -d` at once, then stand alone.
        process.send({ phase: 'running' });
        process.disconnect();
      }
      await interrupted;
      logger.info('stopping');
      await stop();
    });
}

async function dryRun(plan: Plan): Promise<void> {
  const [{ Engine }, { previewUp }] = await Promise.all([import('../src/docker/engine.ts'), import('../src/agent/preview.ts')]);
  const engine = new Engine();
  await engine.ping();
  process.stdout.write(`${await previewUp(plan, engine, (tag) => engine.imageExists(tag))}\n`);
}

/**
 * Starts the agent in the background and returns once the stack is up, or says why it is not.
 * The agent is started first and the stack checked here meanwhile: a mistake is still reported
 * at once, and a good stack does not wait for two start-ups in a row.
 */
async function detach(roles: string[], flags: UpFlags): Promise<void> {
  const directory = dirname(resolve(stackFiles(flags)[0] ?? STACK_FILE));
  refuseIfUp(directory);
  const dir = stateDirectory(directory);
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, 'agent.log'), 'a');
  const args = [process.argv[1]!, 'up', ...roles, '--agent', ...stackFiles(flags).flatMap((file) => ['-f', file])];
  for (const [name, value] of [['--wait-timeout', flags.waitTimeout], ['--debounce', flags.debounce], ['--advertise', flags.advertise], ['--disco', flags.disco]] as const) {
    if (value !== undefined) args.push(name, String(value));
  }
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'], cwd: process.cwd(), env: process.env });
  const pid = child.pid!;
  try {
    selectServices(loadPlan(flags), roles);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
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
    const state = readState(directory);
    if (state?.pid === pid && state.phase === 'running') {
      consola.success(`${state.stack} is up (agent pid ${pid}, disco ${state.disco}${state.dns ? `, DNS ${state.dns}` : ''}); scs ps, scs down`);
      return;
    }
    if (state?.pid === pid && state.phase === 'failed') throw new UserError(`scs up failed: ${state.error}; see ${join(dir, 'agent.log')}`);
    if (!isAlive(pid)) throw new UserError(`the agent exited before the stack was up; see ${join(dir, 'agent.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
