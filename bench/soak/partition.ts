// The partition rule, checked (pure): while the WAN is cut, the minority side (h2, one etcd member of
// three) keeps its containers running, serves reads from its mirror, and answers writes `unavailable`.
// That the majority drops nothing alive is I1 on h1 and h3 all along; that everything converges within
// 2 s of healing is the excuse the checker gives h2's observers, which ends at the heal.

import type { Sample } from './checker.ts';
import type { Seen } from './watch.ts';

export interface Rule {
  readonly name: string;
  checks: number;
  readonly violations: Array<{ at: number; what: string }>;
  /** Why the rule was not judged in this run (the table says so instead of its checks). */
  readonly skipped?: string;
}

export function checkPartitions(
  cuts: ReadonlyArray<{ from: number; to: number }>,
  history: ReadonlyArray<{ at: number; containers: readonly Seen[] }>,
  samples: readonly Sample[],
  writes: ReadonlyArray<{ at: number; ms: number; ok?: boolean; error?: string }>,
): Rule[] {
  const running: Rule = { name: 'P1 minority keeps its containers running', checks: 0, violations: [] };
  const reads: Rule = { name: 'P2 minority serves reads from its mirror', checks: 0, violations: [] };
  const refused: Rule = { name: 'P3 minority answers writes `unavailable`', checks: 0, violations: [] };
  for (const cut of cuts) {
    const during = <T extends { at: number }>(list: readonly T[]) => list.filter((item) => item.at >= cut.from && item.at <= cut.to);
    const before =
      history
        .filter((poll) => poll.at < cut.from)
        .at(-1)
        ?.containers.filter((c) => c.host === 'h2' && c.running) ?? [];
    for (const poll of during(history)) {
      running.checks++;
      for (const container of before) {
        const now = poll.containers.find((c) => c.id === container.id);
        if (!now?.running)
          running.violations.push({ at: poll.at, what: `${container.service} (${container.id.slice(0, 12)}) on h2 is not running` });
      }
    }
    // Every endpoint that stayed healthy through the cut is in the majority, alive: the mirror keeps it.
    // The rule is about sessions already open: a list that first had to open a session asked for a
    // lease, a write that P3 judges (the sampler lost its session before the cut, e.g. to the one before).
    const reading = (s: Sample) => (s.observer === 'list@h2' && !s.opened) || s.observer === 'dns@h2';
    for (const sample of during(samples).filter(reading)) {
      reads.checks++;
      if (!sample.endpoints) reads.violations.push({ at: sample.at, what: `${sample.observer} answered no read: ${sample.error}` });
      else if (sample.endpoints.length === 0) reads.violations.push({ at: sample.at, what: `${sample.observer} listed nothing` });
    }
  }
  for (const write of writes) {
    refused.checks++;
    if (write.error !== 'unavailable')
      refused.violations.push({
        at: write.at,
        what: `a write to h2's disco answered ${write.ok ? 'ok' : write.error} after ${write.ms} ms`,
      });
  }
  return [running, reads, refused];
}
