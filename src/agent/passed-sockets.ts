// Sockets a supervisor binds and hands to each agent it starts (systemd's socket activation, sd_listen_fds(3)):
// LISTEN_PID names the process they are for, LISTEN_FDS how many there are, from file descriptor 3 on,
// and LISTEN_FDNAMES their names, colon-separated. The supervisor holds them across restarts, so a DNS
// query sent while the agent is away waits in the socket for the next agent instead of being refused.
// Read once, then taken out of the environment, so that no process the agent starts reads them too.

import * as v from 'valibot';
import type { PassedDnsSockets } from '../dns/sockets.ts';

/** The first passed descriptor: 0 to 2 are stdin, stdout and stderr. */
export const FIRST_PASSED_FD = 3;
/** The name scs-agent@STACK.socket gives the host DNS's sockets (FileDescriptorName=). */
export const DNS_SOCKETS = 'dns';
/** More than any unit of scs passes: a larger count is a mistake, not sockets to take. */
const MAX_PASSED = 16;

const Count = v.pipe(v.string(), v.regex(/^\d{1,2}$/, 'is not a count of sockets'), v.transform(Number), v.maxValue(MAX_PASSED));
const Pid = v.pipe(v.string(), v.regex(/^\d{1,10}$/), v.transform(Number));
const ListenEnv = v.object({ LISTEN_PID: Pid, LISTEN_FDS: Count, LISTEN_FDNAMES: v.optional(v.string()) });

export interface PassedSocket {
  readonly fd: number;
  /** Its FileDescriptorName=; `unknown` when the supervisor names none (as sd_listen_fds_with_names). */
  readonly name: string;
}

/**
 * The sockets passed to process `pid` by this environment; none when it passes none, or passes them
 * to another process (a LISTEN_PID that is not ours: they were for a parent). Pure.
 */
export function passedSockets(env: Readonly<Record<string, string | undefined>>, pid: number): PassedSocket[] {
  if (env.LISTEN_FDS === undefined) return [];
  const parsed = v.safeParse(ListenEnv, env);
  if (!parsed.success) {
    throw new Error(
      `LISTEN_FDS=${env.LISTEN_FDS} with LISTEN_PID=${env.LISTEN_PID ?? ''} is not a supervisor's sockets (a count up to ${MAX_PASSED}, and a process id)`,
    );
  }
  const { LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES } = parsed.output;
  if (LISTEN_PID !== pid) return [];
  const names = LISTEN_FDNAMES?.split(':') ?? [];
  return Array.from({ length: LISTEN_FDS }, (_, at) => ({ fd: FIRST_PASSED_FD + at, name: names[at] || 'unknown' }));
}

/**
 * The host DNS's sockets among them, those named `dns`: a datagram socket, then a stream socket (the
 * socket unit lists ListenDatagram= before ListenStream=). Undefined when none is named so.
 */
export function dnsSockets(passed: readonly PassedSocket[]): PassedDnsSockets | undefined {
  const named = passed.filter((socket) => socket.name === DNS_SOCKETS);
  if (named.length === 0) return undefined;
  if (named.length !== 2) {
    throw new Error(
      `the supervisor passed ${named.length} socket(s) named ${DNS_SOCKETS}; the host DNS takes two, UDP then TCP (ListenDatagram= before ListenStream=)`,
    );
  }
  return { udp: named[0]!.fd, tcp: named[1]!.fd };
}

/** This process's passed sockets, read once; the variables are then removed from its environment. */
export function takePassedSockets(): PassedSocket[] {
  const passed = passedSockets(process.env, process.pid);
  for (const name of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) delete process.env[name];
  return passed;
}
