// What the soak reads of the machine: CPU idle (so a violation means a bug, not starvation), and the
// RSS and open files of the processes it judges for leaks (I5).

import { readdirSync, readFileSync, statSync } from 'node:fs';

function cpuTimes(): { idle: number; total: number } {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const fields = line!.trim().split(/\s+/).slice(1).map(Number);
  // idle and iowait are both time the CPUs had nothing to run.
  return { idle: fields[3]! + (fields[4] ?? 0), total: fields.reduce((sum, value) => sum + value, 0) };
}

/** Samples CPU idle every `everyMs`: each figure is the idle share (0–100) over one interval. */
export function cpuIdle(everyMs = 5000) {
  const shares: number[] = [];
  let before = cpuTimes();
  const timer = setInterval(() => {
    const now = cpuTimes();
    const total = now.total - before.total;
    if (total > 0) shares.push((100 * (now.idle - before.idle)) / total);
    before = now;
  }, everyMs);
  return { shares, stop: () => clearInterval(timer) };
}

export interface Usage {
  readonly pid: number;
  readonly rssKb: number;
  readonly fds: number;
}

/** A process's resident memory and open file descriptors, or undefined once it is gone. */
export function usageOf(pid: number): Usage | undefined {
  try {
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { pid, rssKb: Number(rss ?? 0), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** The pids in a network namespace whose command line (NUL-separated) `matches`. */
export function pidsInNamespace(namespace: string, matches: (command: string) => boolean): number[] {
  const found: number[] = [];
  let inode: number;
  try {
    inode = statSync(`/run/netns/${namespace}`).ino;
  } catch {
    return found;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}/ns/net`).ino !== inode) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (matches(command)) found.push(Number(entry));
    } catch {}
  }
  return found;
}
