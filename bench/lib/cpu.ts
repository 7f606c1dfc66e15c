// A process's CPU time from /proc, for cost per operation: on a machine shared with other work,
// wall-clock rates follow whatever else runs; the CPU a server spends on a request does not.

import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux build in use). */
const TICKS_PER_SECOND = 100;

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
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15: 12 and 13 after the state (field 3, index 0 here).
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The same in milliseconds (10 ms steps). */
export const cpuMs = (pid: number): number => cpuSeconds(pid) * 1000;
