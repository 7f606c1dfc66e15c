// A process's CPU time from /proc, for cost per operation: on a machine shared with other work,
// wall-clock rates follow whatever else runs; the CPU a server spends on a request does not.

import { readdirSync, readFileSync } from 'node:fs';

/**
 * Nanoseconds on a CPU, summed over all threads (JIT, GC and libuv's too), from each thread's
 * schedstat: /proc/PID/stat counts in 10 ms ticks, too coarse for a few hundred small changes.
 * A thread that ended since the last reading takes its time with it; Node's and etcd's threads
 * live as long as the process.
 */
export function cpuNanoseconds(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

/** CPU seconds (user + system, all threads) from /proc/PID/stat, in 10 ms ticks: for long runs. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;
