// An agent that restarts without a blip: SIGKILLed again and again under a respawn loop (the
// supervisor's contract: restart 100 ms after an exit), joined to an external `scs disco`. It resumes
// its disco session and adopts its containers, so nobody watching sees a drop, no container restarts,
// the dependent runs no live update, and a client that reaches the provider by SCS_REQUIRE_* never fails, nor one
// that resolves it through the host DNS, whose sockets the supervisor holds across restarts. SIGTERM (a
// supervisor's stop or restart) hands over the same way; `scs down` drains, with a goodbye. One away longer than the grace
// has its endpoints dropped, and provided again when it returns, without restarting its containers.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinnedSubnet } from '../../src/cidr.ts';
import { DiscoClient, type WatchEvent } from '../../src/client/client.ts';
import { agentUp, containerRuns, digProbe, helloStack, httpProbe, Prober, Respawner, startScsDisco } from '../helpers/agent-restart.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';

const KILLS = 20;
/** SIGTERMs in a row: each a supervisor's restart. */
const TERMS = 3;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}, 180_000);

/** The stack network's subnet of each test's stack: pinned, so the supervisor can hold its DNS sockets before the network exists. */
const SUBNETS: Record<string, string> = {
  agentkill: '10.232.1.0/24',
  agentterm: '10.232.2.0/24',
  agentdown: '10.232.3.0/24',
  agentaway: '10.232.4.0/24',
  agentelsewhere: '10.232.5.0/24',
};

/**
 * The stack under a respawn loop against its own `scs disco`, up, with a subscriber to web's endpoint.
 * The loop runs `scs up` in the foreground, or `scs agent` as a supervisor does, and holds the host
 * DNS's sockets on the stack network's gateway, as scs-agent@STACK.socket does.
 */
async function supervised(environment: string, grace: string, verb: 'up' | 'agent' = 'up', dnsAt?: string) {
  const disco = await startScsDisco(grace);
  cleanups.push(() => disco.stop());
  const subnet = SUBNETS[environment]!;
  const { dir, files } = helloStack(environment, subnet);
  cleanups.push(async () => {
    await scs(['down', '--volumes', ...files]).exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const respawner = new Respawner(
    [verb, ...(verb === 'up' ? ['--no-logs'] : []), ...files, '--disco', disco.address],
    join(dir, 'agents.log'),
    undefined,
    { dns: dnsAt ?? `${pinnedSubnet(subnet).gateway}:53` },
  );
  cleanups.push(() => respawner.stop());
  respawner.start();
  const state = await agentUp(respawner, 150_000);
  const web = state.services.find((s) => s.service === 'web')!.provides[0]!;
  const [host, port] = disco.address.split(':');
  const watcher = await DiscoClient.connect({ host: host!, port: Number(port), logger: quietLogger });
  cleanups.push(() => watcher.close());
  const events: WatchEvent[] = [];
  const watch = await watcher.require({ name: web.name }, (event) => events.push(event));
  expect(watch.endpoints.map((e) => `${e.host}:${e.port}`)).toEqual([web.address]);
  const log = () => readFileSync(join(dir, 'agents.log'), 'utf8');
  return { dir, files, respawner, state, events, log, runs: await containerRuns('hello', environment) };
}

/** How long each agent runs before it is killed: the host DNS, in the agent, answers meanwhile. */
const DWELL_MS = 500;

/** Kills the agent the respawner runs, and waits for its successor to have the stack up. */
async function killAndWait(respawner: Respawner): Promise<void> {
  const killed = respawner.pid;
  respawner.kill();
  await eventually(() => respawner.pid !== killed, 10_000, 'the respawn loop to start another agent');
  await agentUp(respawner);
  await sleep(DWELL_MS);
}

describe.skipIf(dockerProblem !== undefined)(
  `an agent restarted by its supervisor${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    it(`is killed ${KILLS} times: no drop seen, no container restarted, no failed request by SCS_REQUIRE_* nor by the host DNS`, async () => {
      const { respawner, state, events, log, runs } = await supervised('agentkill', '10s');
      expect(Object.keys(runs).sort()).toEqual(['client', 'web']);
      const clientId = runs.client!.split('@')[0]!;
      const upstream = (await engine.inspect(clientId))!.env.SCS_REQUIRE_HTTP!;
      // examples/hello/client/update.sh adds a line to /state/updates at each live update.
      const updates = async () => (await engine.exec(clientId, ['sh', '-c', 'cat /state/updates 2>/dev/null | wc -l'], {})).output.trim();
      const updatesBefore = await updates();
      const byEnv = new Prober(httpProbe(upstream));
      // The host DNS serves on the pinned subnet's gateway, from the sockets the supervisor holds.
      expect(state.dns).toBe(`${pinnedSubnet(SUBNETS.agentkill!).gateway}:53`);
      const byDns = new Prober(digProbe(state.dns!, 'web.hello.agentkill.disco'));
      await eventually(() => byEnv.ok > 0 && byDns.ok > 0, 10_000, 'both clients to get answers');

      for (let kill = 0; kill < KILLS; kill++) await killAndWait(respawner);
      // The last agent lets go of what it did not take over, after it says it is up.
      await sleep(500);
      const env = await byEnv.stop();
      const dns = await byDns.stop();
      console.log(
        `${KILLS} SIGKILLs: ${events.length} watch events; SCS_REQUIRE_* client ${env.failed} failed of ${env.ok + env.failed}; ` +
          `host DNS client ${dns.failed} failed of ${dns.ok + dns.failed} (longest outage ${dns.longestOutageMs} ms, slowest answer ${dns.slowestMs} ms` +
          `${byDns.reasons.length ? `; failures: ${byDns.reasons.join(', ')}` : ''})`,
      );

      expect(respawner.starts).toBe(KILLS + 1);
      expect(log().match(/resuming the disco session/g)).toHaveLength(KILLS);
      expect(log()).not.toContain('that session had ended');
      expect(events).toEqual([]);
      expect(await containerRuns('hello', 'agentkill')).toEqual(runs);
      // The agent's own requirement is the same subscription: its dependent is told nothing.
      expect(await updates()).toBe(updatesBefore);
      expect(env.failed).toBe(0);
      expect(env.ok).toBeGreaterThan(KILLS);
      // Queries sent while no agent runs wait in the socket the supervisor holds, and are answered by the next.
      expect(log()).not.toContain("containers keep Docker's resolver");
      expect(dns.failed).toBe(0);
      expect(dns.ok).toBeGreaterThan(KILLS);
    }, 420_000);

    it('SIGTERM hands over: the agent exits 0, the next resumes its session, nobody sees a drop, no container restarts', async () => {
      const { respawner, events, log, runs } = await supervised('agentterm', '10s', 'agent');
      for (let restart = 0; restart < TERMS; restart++) {
        const stopped = respawner.pid;
        respawner.kill('SIGTERM');
        await eventually(() => respawner.pid !== stopped, 10_000, 'the respawn loop to start another agent');
        await agentUp(respawner);
      }
      await sleep(500);
      expect(respawner.exits).toEqual(Array(TERMS).fill(0));
      expect(log().match(/resuming the disco session/g)).toHaveLength(TERMS);
      expect(log()).not.toContain('that session had ended');
      expect(events).toEqual([]);
      expect(await containerRuns('hello', 'agentterm')).toEqual(runs);
    }, 300_000);

    it('scs down drains the running agent: web dropped at once with a goodbye, the containers gone, the agent exited and not restarted', async () => {
      // A grace far longer than the test: a drop seen came from the goodbye, not from the session running out.
      const { files, respawner, events, runs } = await supervised('agentdown', '120s', 'agent');
      const down = scs(['down', ...files]);
      expect(await down.exited, down.stdout + down.stderr).toBe(0);
      // Told at once: well within a second or two, where the grace would take two minutes.
      await eventually(() => events.length > 0, 2000, 'web to be dropped');
      expect(events.map((e) => [e.add.length, e.drop.length])).toEqual([[0, 1]]);
      expect(await containerRuns('hello', 'agentdown')).toEqual({});
      expect(Object.keys(runs)).toHaveLength(2);
      // Drained, it exits 4, which the supervisor (as systemd's RestartPreventExitStatus) does not start again.
      await eventually(() => respawner.exits.length === 1, 10_000, 'the agent to exit');
      expect(respawner.exits).toEqual([4]);
      await sleep(500);
      expect(respawner.starts).toBe(1);
    }, 300_000);

    it('given DNS sockets that are not on its gateway, says so in one warning and serves the gateway itself', async () => {
      const { state, log } = await supervised('agentelsewhere', '10s', 'agent', '127.0.0.1:0');
      expect(state.dns).toBe(`${pinnedSubnet(SUBNETS.agentelsewhere!).gateway}:53`);
      expect(log()).toMatch(
        /the DNS sockets from the supervisor are at 127\.0\.0\.1:\d+, not at this stack network's gateway 10\.232\.5\.1:53: serving there instead/,
      );
      expect(await digProbe(state.dns!, 'web.hello.agentelsewhere.disco')()).toBe(true);
    }, 300_000);

    it('away longer than the grace: its endpoints drop, and come back when it returns, its containers untouched', async () => {
      const { respawner, events, log, runs } = await supervised('agentaway', '1s');
      respawner.kill();
      // The supervisor here is slow: the agent is back only once the grace is over.
      await respawner.stop();
      await eventually(() => events.some((e) => e.drop.length > 0), 10_000, 'web to be dropped after the grace');
      respawner.start();
      await agentUp(respawner);
      await eventually(() => events.some((e) => e.add.length > 0), 10_000, 'web to be provided again');
      expect(events.map((e) => [e.add.length, e.drop.length])).toEqual([
        [0, 1],
        [1, 0],
      ]);
      expect(log()).toContain('that session had ended');
      expect(await containerRuns('hello', 'agentaway')).toEqual(runs);
    }, 300_000);
  },
);
