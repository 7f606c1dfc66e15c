// `scs up`, once its flags are read: print the plan (--dry-run); converge the running agent of this
// project; start one in the background (-d, `scs agent`); or be the agent, until stopped. As Compose's backend.Up.

import { dirname } from 'node:path';
import { consola } from 'consola';
import { formatHostPort, isLoopbackHost } from '../address.ts';
import { restated, UserError } from '../errors.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { Instances } from '../protocol/instances.ts';
import type { Member } from '../protocol/member.ts';
import type { Placement } from '../protocol/placement.ts';
import { agentBudgetMs, waitedFor } from './cli-wait.ts';
import { detach } from './detach.ts';
import type { StoredHere } from './preview.ts';
import { type RunAgentOptions, runAgent } from './run-agent.ts';
import { makeSecrets } from './secrets.ts';
import { checkServices, compileStack, otherFiles, project, readStack, type StackFlags, selectServices } from './stack-files.ts';
import type { AgentState } from './state.ts';

/** What `scs up` is told: which stack, and the agent's own options when it is to run one. */
export interface UpOptions
  extends Pick<
    RunAgentOptions,
    | 'services'
    | 'waitTimeoutMs'
    | 'debounceMs'
    | 'holdMs'
    | 'disco'
    | 'access'
    | 'advertise'
    | 'http'
    | 'logs'
    | 'logPrefix'
    | 'engine'
    | 'version'
    | 'place'
  > {
  readonly stack: StackFlags;
  /** Print what up would do to each service, and why; do nothing. */
  readonly dryRun?: boolean;
  /** Leave the stack to a background agent (-d); with `wait` false, return once it has started. */
  readonly detach?: boolean;
  readonly wait?: boolean;
  /** Resolves when the agent is to stop (a signal); asked for only by the agent itself, once its images are built. */
  readonly untilStopped: () => Promise<unknown>;
}

export async function up(options: UpOptions): Promise<void> {
  const { services } = options;
  if (options.dryRun) return dryRun(options);
  // Named, a service runs whatever its profiles, as in Compose.
  const stack: StackFlags = { ...options.stack, named: services };
  // Before any container mounts them, whichever way up goes on.
  for (const file of makeSecrets(compileStack(stack))) consola.withTag('up').info(`made the secret ${file} (random)`);
  // An agent killed a moment ago is not one to converge: its successor starts instead.
  const running = await (await import('./answering.ts')).answeringAgent(stack);
  if (running) return converge(running, options);
  if (options.detach)
    return detach({ stack, services, agentFlags: agentFlags(options), wait: options.wait !== false, waitTimeoutMs: options.waitTimeoutMs });
  // Ctrl-C at the terminal stops the stack, as Compose does; SIGTERM hands it over, as `scs agent` does.
  const agent = await runAgent({ ...options, compiled: compileStack(stack), project: project(stack), drainOn: ['SIGINT'] });
  const ending = await agent.stopRequested;
  consola
    .withTag('up')
    .info(ending.drain ? `stopping (${ending.why})` : `stopping (${ending.why}); the containers are left to the next agent`);
  await agent.stop(ending);
}

/** The options the background agent (`scs agent`) is started with, as the flags that say them. */
function agentFlags(options: UpOptions): string[] {
  const flags: string[] = [
    '--wait-timeout',
    `${options.waitTimeoutMs}ms`,
    '--debounce',
    `${options.debounceMs}ms`,
    '--hold',
    `${options.holdMs}ms`,
  ];
  for (const [name, value] of [
    ['--advertise', options.advertise],
    ['--disco', options.disco],
    ['--tls-ca', options.access?.tlsCa],
    ['--tls-cert', options.access?.tlsCert],
    ['--tls-key', options.access?.tlsKey],
    ['--token-file', options.access?.tokenFile],
    ['--dc', options.place?.dc],
    ['--zone', options.place?.az],
  ] as const) {
    if (value !== undefined) flags.push(name, value);
  }
  if (options.http) {
    // Checked already: beyond loopback it was allowed by --http-insecure, which the agent is told again.
    flags.push('--http', formatHostPort(options.http.host, options.http.port));
    if (!isLoopbackHost(options.http.host)) flags.push('--http-insecure');
  }
  return flags;
}

/**
 * The services `scs up` runs: those named or, with none named, those the running agent runs (a plain
 * `scs up` keeps an `scs up db` to db); every one when none is named and no agent runs.
 */
function selection(named: readonly string[], running: AgentState | undefined): readonly string[] {
  return named.length > 0 || !running ? named : running.only;
}

async function dryRun(options: UpOptions): Promise<void> {
  // The plan of the `scs up` it stands for: with the services the running agent would be told to run.
  const running = await (await import('./answering.ts')).answeringAgent(options.stack, 0);
  const runs = selection([...options.services], running);
  const compiled = selectServices(compileStack({ ...options.stack, named: runs }), [...runs]);
  const [{ Engine }, { previewUp }, { defaultAdvertise, isHostAddress, publishAddresses }, { parseDiscoList }] = await Promise.all([
    import('../docker/engine.ts'),
    import('./preview.ts'),
    import('./advertise.ts'),
    import('../client/access.ts'),
  ]);
  const engine = options.engine ?? new Engine();
  await engine.ping();
  // Where the agent would publish ports, found as it finds it: the embedded disco is on loopback.
  const disco = parseDiscoList(options.disco ?? compiled.disco ?? '127.0.0.1:9640')[0]!;
  const advertise = options.advertise ?? compiled.advertise ?? (await defaultAdvertise(disco, () => engine.bridgeGateway()));
  const publishOn = publishAddresses(advertise, await isHostAddress(advertise)).on;
  const stored = await storedHere(compiled, options.disco ?? running?.disco ?? compiled.disco, options);
  process.stdout.write(
    `${await previewUp(compiled, project(options.stack), engine, (tag) => engine.imageExists(tag), publishOn, stored)}\n`,
  );
}

/**
 * What disco holds that `up` here would follow, read from the disco the agent would join (none stored
 * for an embedded one that is not running), then decided as the agent decides: the services placed
 * elsewhere, with why, and each service's instances record (its count and drains).
 */
async function storedHere(compiled: CompiledStack, disco: string | undefined, options: UpOptions): Promise<StoredHere> {
  const [{ expectedHere }, { hostLabel }, { commonAttributes }, { instancesOn, spreadPlan }] = await Promise.all([
    import('../placement/here.ts'),
    import('./identity.ts'),
    import('./member-record.ts'),
    import('../placement/spread.ts'),
  ]);
  const nameOf = (service: string) => `${service}.${compiled.stack}.${compiled.environment}`;
  const stored = new Map<string, Placement>();
  const instances = new Map<string, Instances>();
  let members: Member[] = [];
  if (disco !== undefined) {
    const [{ DiscoClient }, { discoAccess, parseDiscoList }, { readPlacements }, { readInstances }, { listMembers }] = await Promise.all([
      import('../client/client.ts'),
      import('../client/access.ts'),
      import('../client/placement.ts'),
      import('../client/instances.ts'),
      import('../client/members.ts'),
    ]);
    const addresses = parseDiscoList(disco);
    try {
      const access = discoAccess(options.access ?? {});
      const client = await DiscoClient.connect({ ...addresses[0]!, addresses, name: 'scs up --dry-run', ...access });
      try {
        const pattern = `*.*.${compiled.stack}.${compiled.environment}`;
        for (const placement of await readPlacements(client, pattern)) stored.set(placement.service, placement);
        for (const record of await readInstances(client, pattern)) instances.set(record.service, record);
        if (compiled.services.some((service) => service.spread)) members = await listMembers(client, pattern);
      } finally {
        void client.close();
      }
    } catch (error) {
      consola.warn(`the placement at disco ${disco} could not be read (${(error as Error).message}): the plan takes none as stored`);
    }
  }
  const me = { host: hostLabel(), attrs: { ...commonAttributes(compiled.services), ...options.place } };
  const verdicts = expectedHere(compiled.services, stored, me, nameOf);
  return {
    elsewhere: new Map([...verdicts].flatMap(([service, said]) => ('elsewhere' in said ? [[service, said.elsewhere] as const] : []))),
    instances: (service) => instances.get(nameOf(service)),
    // A spread service's share here, among the members disco lists now (spread.ts), as the agent decides it.
    spreadHere: (service, count) => {
      const plan = spreadPlan(service, count, me, members, stored.get(nameOf(service.name))?.target);
      return plan && instancesOn(plan, me.host);
    },
  };
}

/** `scs up` when this project's agent is running: build here (the user sees it), converge there. */
async function converge(running: AgentState, options: UpOptions): Promise<void> {
  const names = [...options.services];
  const runs = selection(names, running);
  const stack: StackFlags = { ...options.stack, named: runs };
  const compiled = compileStack(stack);
  const other = otherFiles(running, compiled.files);
  // Its control socket takes only files below the folder it was started for: a copy of the stack elsewhere is another deployment.
  if (other && dirname(running.files[0] ?? '') !== compiled.directory)
    throw new UserError(`${other}; scs down -f ${running.files[0]} stops it, or give this copy's stack another name`);
  if (other) consola.withTag('up').info(`${other}; it takes these now`);
  checkServices(compiled, names);
  const [{ Engine }, { buildImages }, { callAgent }] = await Promise.all([
    import('../docker/engine.ts'),
    import('./build.ts'),
    import('./control.ts'),
  ]);
  const engine = options.engine ?? new Engine();
  await engine.ping();
  await buildImages(engine, selectServices(compiled, [...runs]), consola.withTag('build'));
  if (!running.control) throw new UserError(`the agent of ${running.stack} (pid ${running.pid}) takes no requests; scs down, then scs up`);
  // Whether the agent changed anything: it says each step it takes, and nothing when all is as wanted.
  let said = 0;
  try {
    const { stack: read, profiles } = readStack(stack);
    const request = {
      op: 'up' as const,
      files: [...compiled.files],
      services: names.map((r) => r.toLowerCase()),
      ...(profiles.length > 0 ? { profiles: [...profiles] } : {}),
      ...(Object.keys(read.variables).length > 0 ? { variables: { ...read.variables } } : {}),
    };
    await waitedFor(
      callAgent(running.control, request, (line) => {
        said++;
        process.stderr.write(`${line}\n`);
      }),
      agentBudgetMs(options.waitTimeoutMs, compiled.services.length),
      `the agent (pid ${running.pid}) to converge ${compiled.stack}`,
    );
  } catch (error) {
    throw restated(`scs up failed: ${(error as Error).message}`, error);
  }
  consola.success(
    said === 0
      ? `${compiled.stack} is up to date (agent pid ${running.pid})`
      : `${compiled.stack} is up: the agent (pid ${running.pid}) has converged it`,
  );
}
