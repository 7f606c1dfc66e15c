// One soak: the world up, the watch on, faults from the seed for N minutes, then the verdict. I4 (every
// acknowledged write still readable) needs a stack that stores something, the blog; hello stores
// nothing, so it is not judged here. I5 compares each process the injector never touched after five
// minutes and at the end, and counts what is left over.

import { writeFileSync } from 'node:fs';
import { harnessLeftovers, namespace } from '../../test/helpers/harness.ts';
import { judge } from './checker.ts';
import { drawFaults, GONE_MS, Injector } from './faults.ts';
import { cpuIdle, pidsInNamespace, type Usage, usageOf } from './machine.ts';
import { checkPartitions, type Rule } from './partition.ts';
import type { Outcome } from './report.ts';
import { BUNDLE, HOSTS, SERVICES, Topology } from './topology.ts';
import { Watch } from './watch.ts';

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
  /** A file to write the whole timeline to (truth, samples, events), to study a violation. */
  readonly record?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Leaks are judged from this point of the run on (I5). */
const SETTLED_MS = 5 * 60_000;

export async function soak({ minutes, seed, log = console.info, record }: SoakOptions): Promise<Outcome> {
  const topology = await Topology.up(log);
  const watch = new Watch(`${topology.dir}/disco.token`);
  const injector = new Injector(topology, watch);
  const cpu = cpuIdle();
  const leaks: Rule = { name: 'I5 no leak (RSS, fds within 10%) and nothing left over', checks: 0, violations: [] };
  let start = Date.now();
  try {
    watch.start();
    // The checks begin once the client uses both webs: the world as brought up, before any fault.
    const ready = Date.now() + 60_000;
    while (Date.now() < ready) {
      const last = watch.samples.filter((s) => s.observer === 'client@h2').at(-1);
      if (last?.endpoints?.length === 2 && watch.truth.at(-1)?.healthy.length === 2) break;
      await sleep(250);
    }
    start = Date.now();
    log(`soaking for ${minutes} min, seed ${seed}`);
    const next = drawFaults(seed);
    const end = start + minutes * 60_000;
    let settled: Map<string, Usage> | undefined;
    while (Date.now() < end) {
      const draw = next();
      await injector.inject(draw);
      log(`t+${((Date.now() - start) / 1000).toFixed(0)}s ${draw.kind} ${draw.host}: ${injector.events.at(-1)?.what}`);
      // Leaks are judged on runs that go on at least five minutes past the first five.
      if (!settled && minutes >= 10 && Date.now() - start >= SETTLED_MS) settled = snapshot(topology.processes());
      await sleep(draw.gapMs);
    }
    // Let the last fault's differences run out their bounds before the verdict.
    await sleep(GONE_MS + 2000);
    if (settled) {
      const now = snapshot(topology.processes());
      for (const [name, before] of settled) {
        const after = now.get(name);
        if (!after || after.pid !== before.pid || injector.hit.has(before.pid)) continue;
        leaks.checks++;
        if (after.rssKb > before.rssKb * 1.1 || after.fds > before.fds * 1.1)
          leaks.violations.push({
            at: Date.now(),
            what: `${name} (pid ${before.pid}) went from ${before.rssKb} kB and ${before.fds} fds at 5 min to ${after.rssKb} kB and ${after.fds} fds`,
          });
      }
    }
    for (const host of HOSTS) {
      leaks.checks++;
      // `scs agent` under its supervisor: its command line is NUL-separated.
      const agents = pidsInNamespace(namespace(host), `${BUNDLE}\0agent\0`);
      if (agents.length !== 1)
        leaks.violations.push({ at: Date.now(), what: `${host} runs ${agents.length} agents (${agents.join(', ')}), not one` });
      const containers = watch.containers.get(host) ?? [];
      const expected = SERVICES[host];
      if (containers.length !== 1 || containers[0]!.service !== expected || !containers[0]!.running)
        leaks.violations.push({
          at: Date.now(),
          what: `${host} has ${containers.map((c) => `${c.service} (${c.running ? 'running' : 'not running'})`).join(', ') || 'no container'}, not one running ${expected}`,
        });
    }
  } finally {
    cpu.stop();
    await watch.stop();
    await topology.down();
  }
  leaks.checks++;
  const left = harnessLeftovers();
  if (left.length > 0) leaks.violations.push({ at: Date.now(), what: `left after the harness went down: ${left.join('; ')}` });
  const verdict = judge(
    watch.truth.filter((truth) => truth.at >= start),
    watch.samples.filter((sample) => sample.at >= start),
    injector.excuses,
    { listedMs: 2000, goneMs: GONE_MS, dependentMs: GONE_MS + 1000 },
  );
  if (record)
    writeFileSync(
      record,
      JSON.stringify({ start, truth: watch.truth, samples: watch.samples, events: injector.events, excuses: injector.excuses }),
    );
  const rules = checkPartitions(injector.cuts, watch.history, watch.samples, injector.writes);
  return { seed, minutes, start, events: injector.events, verdict, rules, extra: [leaks], cpuIdle: cpu.shares };
}

function snapshot(processes: Map<string, number>): Map<string, Usage> {
  const usage = new Map<string, Usage>();
  for (const [name, pid] of processes) {
    const found = usageOf(pid);
    if (found) usage.set(name, found);
  }
  return usage;
}
