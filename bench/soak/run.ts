// One soak: the world up, the watch on, faults from the seed for N minutes, then the verdict. I4 (every
// acknowledged write still readable) needs a stack that stores something, the blog: with --blog, a
// writer posts to WordPress all along and every acknowledged post is read back at the end; without
// it, I4 is not run. I5 compares each process the injector never touched after five minutes and at
// the end, and counts what is left over.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harnessLeftovers, namespace } from '../../test/helpers/harness.ts';
import { BLOG_SERVICES, BlogWriter } from './blog.ts';
import { judge } from './checker.ts';
import { drawFaults, GONE_MS, Injector } from './faults.ts';
import { cpuIdle, pidsInNamespace, type Usage, usageOf } from './machine.ts';
import { checkPartitions, type Rule } from './partition.ts';
import { I4_NAME } from './posts.ts';
import type { Outcome } from './report.ts';
import { BUNDLE, HOSTS, SERVICES, type Stack, Topology } from './topology.ts';
import { Watch } from './watch.ts';

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  /** Runs the blog too (db on h1, backup on h2, web on h3) with a writer, and judges I4. */
  readonly blog?: boolean;
  readonly log?: (line: string) => void;
  /** A file to write the whole timeline to (truth, samples, events), to study a violation. */
  readonly record?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Leaks are judged from this point of the run on (I5). */
const SETTLED_MS = 5 * 60_000;

export async function soak({ minutes, seed, blog = false, log = console.info, record }: SoakOptions): Promise<Outcome> {
  // A recorded run keeps every daemon's and agent's log beside the record, to study a violation.
  const topology = await Topology.up(log, { blog, ...(record ? { logs: `${record}.logs` } : {}) });
  const watch = new Watch(`${topology.dir}/disco.token`);
  const injector = new Injector(topology, watch);
  const cpu = cpuIdle();
  const leaks: Rule = { name: 'I5 no leak (RSS, fds within 10%) and nothing left over', checks: 0, violations: [] };
  const writer = blog ? new BlogWriter({ prefix: `soak ${seed} post` }) : undefined;
  let posts: Rule = { name: I4_NAME, checks: 0, violations: [], skipped: 'not run (--blog off)' };
  let start = Date.now();
  try {
    watch.start();
    writer?.start();
    // The checks begin once the client uses both webs: the world as brought up, before any fault.
    const ready = Date.now() + 60_000;
    while (Date.now() < ready) {
      const last = watch.samples.filter((s) => s.observer === 'client@h2').at(-1);
      if (last?.endpoints?.length === 2 && watch.truth.at(-1)?.healthy.length === 2) break;
      await sleep(250);
    }
    await writer?.firstPost();
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
    const stacks: Stack[] = blog ? ['hello', 'blog'] : ['hello'];
    for (const host of HOSTS) {
      for (const stack of stacks) {
        leaks.checks++;
        // `scs agent` under its supervisor: its command line is NUL-separated, starts with node and the
        // bundle (the supervisor's own names them too, later), and names its stack file.
        const file = stack === 'blog' ? join(topology.dir, 'blog', 'scs-stack.yaml') : join(topology.dir, 'scs-stack.yaml');
        const agents = pidsInNamespace(
          namespace(host),
          (command) => command.startsWith(`${process.execPath}\0${BUNDLE}\0agent\0`) && command.includes(`\0${file}\0`),
        );
        const whose = blog ? `${stack} agents` : 'agents';
        if (agents.length !== 1)
          leaks.violations.push({ at: Date.now(), what: `${host} runs ${agents.length} ${whose} (${agents.join(', ')}), not one` });
        const containers = (stack === 'blog' ? watch.blogContainers : watch.containers).get(host) ?? [];
        const expected = stack === 'blog' ? BLOG_SERVICES[host] : SERVICES[host];
        if (containers.length !== 1 || containers[0]!.service !== expected || !containers[0]!.running)
          leaks.violations.push({
            at: Date.now(),
            what: `${host} has ${containers.map((c) => `${c.service} (${c.running ? 'running' : 'not running'})`).join(', ') || `no ${blog ? `${stack} ` : ''}container`}, not one running ${expected}`,
          });
      }
    }
    if (writer) {
      await writer.stop();
      log(`reading back the ${writer.posts.length} posts WordPress acknowledged`);
      posts = await writer.judge(start);
    }
  } finally {
    await writer?.stop();
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
      JSON.stringify({
        start,
        truth: watch.truth,
        samples: watch.samples,
        events: injector.events,
        excuses: injector.excuses,
        ...(writer ? { posts: writer.posts, failedPosts: writer.failed } : {}),
      }),
    );
  const rules = checkPartitions(injector.cuts, watch.history, watch.samples, injector.writes);
  return { seed, minutes, start, events: injector.events, verdict, rules, extra: [posts, leaks], cpuIdle: cpu.shares };
}

function snapshot(processes: Map<string, number>): Map<string, Usage> {
  const usage = new Map<string, Usage>();
  for (const [name, pid] of processes) {
    const found = usageOf(pid);
    if (found) usage.set(name, found);
  }
  return usage;
}
