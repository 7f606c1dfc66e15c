// The soak's closing table (pure): faults by kind, each invariant with its checks and violations,
// convergence, and each violation with its time and the events around it.

import { percentile, type Verdict } from './checker.ts';
import { type Event, KINDS } from './faults.ts';
import type { Rule } from './partition.ts';

export interface Outcome {
  readonly seed: number;
  readonly minutes: number;
  readonly start: number;
  readonly events: readonly Event[];
  readonly verdict: Verdict;
  readonly rules: readonly Rule[];
  /** I4 and I5, and anything else judged outside the checker. */
  readonly extra: readonly Rule[];
  readonly cpuIdle: readonly number[];
}

export const violationCount = (outcome: Outcome) =>
  outcome.verdict.violations.length + [...outcome.rules, ...outcome.extra].reduce((sum, rule) => sum + rule.violations.length, 0);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function report(outcome: Outcome): string {
  const { verdict, events, start } = outcome;
  const t = (at: number) => `t+${((at - start) / 1000).toFixed(1)}s`;
  const lines = [`soak: ${outcome.minutes} min, seed ${outcome.seed}`, '', '| fault | injected |', '| --- | --- |'];
  for (const kind of KINDS) {
    lines.push(`| ${kind} | ${countEpisodes(events, kind)} |`);
  }
  lines.push('', '| invariant | checks | violations |', '| --- | --- | --- |');
  const by = (invariant: string) => verdict.violations.filter((v) => v.invariant === invariant).length;
  lines.push(`| I1 listed (protocol and DNS, every server) within 2 s | ${verdict.checks.I1} | ${by('I1')} |`);
  lines.push(`| I2 a dead container's endpoint gone within 6 s | ${verdict.checks.I2} | ${by('I2')} |`);
  lines.push(`| I3 the dependent uses the current endpoints within 7 s | ${verdict.checks.I3} | ${by('I3')} |`);
  for (const rule of [...outcome.extra, ...outcome.rules])
    lines.push(rule.skipped ? `| ${rule.name} | — | ${rule.skipped} |` : `| ${rule.name} | ${rule.checks} | ${rule.violations.length} |`);
  const idle = outcome.cpuIdle;
  lines.push(
    '',
    `convergence: ${verdict.convergenceMs.length} differences, worst ${seconds(Math.max(0, ...verdict.convergenceMs))}, p99 ${seconds(percentile(verdict.convergenceMs, 99))}`,
    `CPU idle (5 s intervals): min ${idle.length ? Math.min(...idle).toFixed(0) : '?'}%, mean ${idle.length ? (idle.reduce((a, b) => a + b, 0) / idle.length).toFixed(0) : '?'}%${idle.some((share) => share < 20) ? ' (below 20% at times: a violation then may be starvation)' : ''}`,
  );
  const around = (at: number) =>
    events
      .filter((event) => event.at >= at - 15_000 && event.at <= at + 2000)
      .map((event) => `    ${t(event.at)} ${event.host} ${event.kind}: ${event.what}`);
  for (const v of verdict.violations) {
    lines.push(
      '',
      `${v.invariant} at ${t(v.at)}: ${v.observer} ${v.difference === 'missing' ? 'lacks' : 'still has'} ${v.endpoint} from ${t(v.began)} (counted from ${t(v.since)}, bound ${seconds(v.boundMs)}; ${v.until ? `until ${t(v.until)}` : 'to the end'})`,
      ...around(v.began),
    );
  }
  for (const rule of [...outcome.extra, ...outcome.rules]) {
    for (const v of rule.violations.slice(0, 5)) lines.push('', `${rule.name.split(' ')[0]} at ${t(v.at)}: ${v.what}`, ...around(v.at));
    if (rule.violations.length > 5) lines.push(`  (and ${rule.violations.length - 5} more like it)`);
  }
  lines.push('', violationCount(outcome) === 0 ? 'no violations' : `${violationCount(outcome)} violations`);
  return lines.join('\n');
}

/** An episode is its first event: each fault notes its injection first. */
function countEpisodes(events: readonly Event[], kind: string): number {
  return events.filter((event) => event.kind === kind && /^(SIGKILL|SIGSTOP|WAN cut)/.test(event.what)).length;
}
