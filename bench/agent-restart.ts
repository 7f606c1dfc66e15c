// npm run bench:agent-restart — what a restart of the agent costs. The hello stack runs under a respawn
// loop standing in for the supervisor (restart 100 ms after an exit), and the agent is SIGKILLed again
// and again, each time once its successor has the stack up and has run DWELL_MS.
//
// - Joined to an external `scs disco` (the production setup), RESTART_KILLS (default 20) times, twice: with
//   the host DNS sockets held by the supervisor (the socket unit), then bound by each agent. Targets:
//   0 drop events seen by a subscriber, 0 container restarts, 0 failed requests from a client that uses
//   SCS_REQUIRE_*, and, with the sockets held, 0 failed queries from a client resolving through the host
//   DNS (it lives in the agent) as a container's resolver does. Also: how long each agent took to be back.
// - RESTART_SIGNAL=SIGTERM stops each agent as a supervisor's restart does (it hands over) instead.
// - With the embedded disco (it dies with its agent), EMBEDDED_KILLS (default 5) times: for each kill,
//   the time until the agent is back, until the host DNS answers again, and until the stack's (new)
//   disco lists web again; live updates of the dependent and container restarts.
// Runs the bundle (bin/scs.js), built first, as installed.

import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentState } from '../src/agent/state.ts';
import { pinnedSubnet } from '../src/cidr.ts';
import { DiscoClient, type WatchEvent } from '../src/client/client.ts';
import { Engine } from '../src/docker/engine.ts';
import {
  agentUp,
  containerRuns,
  digProbe,
  helloStack,
  httpProbe,
  Prober,
  Respawner,
  startScsDisco,
} from '../test/helpers/agent-restart.ts';
import { agentState } from '../test/helpers/agent-state.ts';
import { quietLogger } from '../test/helpers/logging.ts';
import { eventually, eventuallyAsync, sleep } from '../test/helpers/wait.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const SCS = join(root, 'bin/scs.js');
const KILLS = Number(process.env.RESTART_KILLS ?? 20);
const EMBEDDED_KILLS = Number(process.env.EMBEDDED_KILLS ?? 5);
/** SIGKILL (a crash) by default; RESTART_SIGNAL=SIGTERM measures a supervisor's restart, where the agent hands over. */
const SIGNAL = (process.env.RESTART_SIGNAL ?? 'SIGKILL') as NodeJS.Signals;
const DWELL_MS = 500;
const engine = new Engine();

const hostPort = (address: string) => ({
  host: address.slice(0, address.lastIndexOf(':')),
  port: Number(address.slice(address.lastIndexOf(':') + 1)),
});
const verdict = (value: number, target: number) => (value <= target ? 'met' : 'MISS');

/** Lines of the dependent's live-update log (examples/hello/client/update.sh appends one per update). */
async function liveUpdates(state: AgentState): Promise<number> {
  const client = state.services.find((s) => s.service === 'client')!.container!;
  const { output } = await engine.exec(client, ['sh', '-c', 'cat /state/updates 2>/dev/null | wc -l'], {});
  return Number(output.trim());
}

/**
 * The stack under the respawn loop, up; `scs down` and the folder removed by `close`. With `subnet`, the
 * stack network is pinned there and the loop holds the host DNS's sockets on its gateway, as the socket
 * unit scs-agent@STACK.socket does.
 */
async function supervised(environment: string, agentArgs: string[], subnet?: string) {
  const { dir, files } = helloStack(environment, subnet);
  const held = subnet ? { dns: `${pinnedSubnet(subnet).gateway}:53` } : {};
  const respawner = new Respawner(['up', '--no-logs', ...files, ...agentArgs], join(dir, 'agents.log'), SCS, held);
  respawner.start();
  const state = await agentUp(respawner, 180_000);
  return {
    dir,
    respawner,
    state,
    close: async () => {
      await respawner.stop();
      await run(process.execPath, [SCS, 'down', '--volumes', ...files]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function killAndTime(respawner: Respawner): Promise<{ killedAt: number; backMs: number }> {
  const killed = respawner.pid;
  const killedAt = Date.now();
  respawner.kill(SIGNAL);
  await eventually(() => respawner.pid !== killed, 10_000, 'the respawn loop to start another agent');
  await agentUp(respawner);
  return { killedAt, backMs: Date.now() - killedAt };
}

/** With the DNS sockets held by the supervisor (the socket unit), or bound by each agent itself. */
async function external(held: boolean): Promise<void> {
  const disco = await startScsDisco('10s');
  const stack = await supervised('benchkill', ['--disco', disco.address], held ? '10.232.9.0/24' : undefined);
  const watcher = await DiscoClient.connect({ ...hostPort(disco.address), logger: quietLogger });
  try {
    const { respawner, state } = stack;
    const web = state.services.find((s) => s.service === 'web')!.provides[0]!;
    const events: WatchEvent[] = [];
    await watcher.require({ name: web.name }, (event) => events.push(event));
    const runs = await containerRuns('hello', 'benchkill');
    const updatesBefore = await liveUpdates(state);
    const client = state.services.find((s) => s.service === 'client')!.container!;
    const byEnv = new Prober(httpProbe((await engine.inspect(client))!.env.SCS_REQUIRE_HTTP!));
    const byDns = new Prober(digProbe(state.dns!, 'web.hello.benchkill.disco'));
    await eventually(() => byEnv.ok > 0 && byDns.ok > 0, 10_000, 'both clients to get answers');
    const back: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      back.push((await killAndTime(respawner)).backMs);
      await sleep(DWELL_MS);
    }
    const env = await byEnv.stop();
    const dns = await byDns.stop();
    const after = await containerRuns('hello', 'benchkill');
    const restarts = Object.keys(runs).filter((service) => after[service] !== runs[service]).length;
    const drops = events.reduce((sum, event) => sum + event.drop.length, 0);
    const adds = events.reduce((sum, event) => sum + event.add.length, 0);
    const updates = (await liveUpdates(agentState('hello')!)) - updatesBefore;
    const agentBack = summarize(back);
    printTable(
      `agent restart, external disco, ${held ? 'DNS sockets held by the supervisor (socket unit)' : 'DNS sockets bound by each agent (no socket unit)'}: ` +
        `${KILLS} ${SIGNAL}s, respawned 100 ms after each exit, each agent run ${DWELL_MS} ms after it was up`,
      ['figure', 'value', 'target', ''],
      [
        ['drop events seen by a subscriber', drops, 0, verdict(drops, 0)],
        ['add events seen by a subscriber', adds, 0, verdict(adds, 0)],
        ['container restarts (id + StartedAt)', restarts, 0, verdict(restarts, 0)],
        [`failed requests, SCS_REQUIRE_* client (of ${env.ok + env.failed})`, env.failed, 0, verdict(env.failed, 0)],
        ['live updates of the dependent', updates, 0, verdict(updates, 0)],
        [`failed queries, host DNS client (of ${dns.ok + dns.failed})`, dns.failed, held ? 0 : '-', held ? verdict(dns.failed, 0) : ''],
        ['longest host DNS outage (ms)', dns.longestOutageMs, '-', ''],
        ['slowest host DNS answer (ms)', dns.slowestMs, '-', ''],
        ['agent back with its stack up (ms), p50 / max', `${ms(agentBack.p50)} / ${ms(agentBack.max)}`, '-', ''],
      ],
    );
  } finally {
    await watcher.close();
    await stack.close();
    await disco.stop();
  }
}

async function embedded(): Promise<void> {
  const stack = await supervised('benchembedded', []);
  try {
    const { respawner, state } = stack;
    const runs = await containerRuns('hello', 'benchembedded');
    const updatesBefore = await liveUpdates(state);
    const client = state.services.find((s) => s.service === 'client')!.container!;
    const byEnv = new Prober(httpProbe((await engine.inspect(client))!.env.SCS_REQUIRE_HTTP!));
    const web = state.services.find((s) => s.service === 'web')!.provides[0]!.name;
    const rows: Array<Array<string | number>> = [];
    for (let kill = 0; kill < EMBEDDED_KILLS; kill++) {
      const dig = digProbe(state.dns!, 'web.hello.benchembedded.disco');
      const dnsAnswers = () => dig().catch(() => false);
      const killed = respawner.pid;
      const killedAt = Date.now();
      respawner.kill(SIGNAL);
      await eventually(() => respawner.pid !== killed, 10_000, 'the respawn loop to start another agent');
      // The host DNS answers again, from the agent after it.
      let dnsBack = 0;
      const dnsWait = eventuallyAsync(dnsAnswers, 60_000, 'the host DNS to answer again').then(() => (dnsBack = Date.now() - killedAt));
      const now = await agentUp(respawner);
      const agentBack = Date.now() - killedAt;
      // A new disco, at a new address: anyone outside the stack must find it again.
      const discoClient = await DiscoClient.connect({ ...hostPort(now.disco), logger: quietLogger });
      await eventuallyAsync(async () => (await discoClient.list(web)).length > 0, 30_000, 'the new disco to list web');
      const discoBack = Date.now() - killedAt;
      await discoClient.close();
      await dnsWait;
      rows.push([kill + 1, agentBack, dnsBack, discoBack, now.disco]);
      await sleep(DWELL_MS);
    }
    const env = await byEnv.stop();
    const after = await containerRuns('hello', 'benchembedded');
    const restarts = Object.keys(runs).filter((service) => after[service] !== runs[service]).length;
    const updates = (await liveUpdates(agentState('hello')!)) - updatesBefore;
    printTable(
      `agent restart, embedded disco (it dies with its agent): ${EMBEDDED_KILLS} ${SIGNAL}s, respawned 100 ms after each exit; ms from the kill`,
      ['kill', 'agent back with its stack up', 'host DNS answers web again', 'disco lists web again', 'disco now at'],
      rows,
    );
    console.log(
      `embedded: container restarts ${restarts}, live updates of the dependent ${updates}, failed requests of the SCS_REQUIRE_* client ${env.failed} of ${env.ok + env.failed}`,
    );
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  await engine.ping();
  await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/bundle.ts')]);
  await run(join(root, 'scripts/base-image'));
  await external(true);
  await external(false);
  await embedded();
}

await main();
