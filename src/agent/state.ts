// What a running agent tells `scs ps` and `scs down`: written to state.json in its state folder
// (state-folder.ts: each agent of a stack has its own), replaced atomically so a reader never sees
// half of it. Only this user's own file is read, and never through a link: `scs down` signals the
// process it names.

import { closeSync, constants, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOwnFile } from './own-file.ts';
import { isSameProcess, type ProcessIdentity, processIdentity } from './process-identity.ts';

export interface UpdateRecord {
  readonly at: string;
  readonly action: 'liveupdate' | 'restart';
  readonly ok: boolean;
  readonly exitCode?: number;
  readonly output?: string;
  /** The endpoints it was updating to. */
  readonly endpoints: string[];
}

export interface RequireRecord {
  readonly endpoint: string;
  readonly name: string;
  /** What disco says now. */
  readonly current: string[];
  /** What the container was last successfully configured with: differs from `current` while it lags. */
  readonly applied: string[];
  readonly lastUpdate: UpdateRecord | undefined;
}

export interface ServiceRecord {
  readonly service: string;
  /** Which instance of it, from 2 on (src/agent/instances.ts); absent for instance 1. */
  readonly instance?: number;
  readonly container: string | undefined;
  readonly containerName: string;
  readonly image: string;
  readonly status: string;
  /**
   * The same as data: `stopped` (by scs stop) and `lost` (removed outside scs) are the agent's word, which
   * Docker cannot give. Absent in the state of an agent older than it.
   */
  readonly statusKind?: 'waiting' | 'container' | 'stopped' | 'lost' | 'removed' | 'failed';
  /** What the agent's own health check (the stack file's `health:`) says: `healthy`, `unhealthy: 3 failures: status 503`. */
  readonly health?: string;
  /** A drain covers it here (`scs drain`): its container runs, its endpoints are not provided. */
  readonly drained?: boolean;
  readonly provides: Array<{ name: string; address: string }>;
  readonly requires: RequireRecord[];
  /** The last step the agent took on it, and why: "replace: liveupdate of mysql failed (exit 1)". */
  readonly lastStep?: { readonly at: string; readonly step: string; readonly cause: string; readonly ok: boolean; readonly error?: string };
}

export interface AgentState {
  readonly pid: number;
  /** Which process `pid` is (its start time and command line): absent in the state of an agent older than it. */
  readonly agentProcess?: ProcessIdentity;
  /** This agent's part of the stack, and the host it runs on. */
  readonly project: string;
  readonly host: string;
  /** The stack files it was started with, and the services it runs (all when empty). */
  readonly files: readonly string[];
  readonly only: readonly string[];
  /** Where `scs up`, `stop`, `start` and `restart` reach the running agent. */
  readonly control?: string;
  readonly phase: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  readonly error?: string;
  /** The failure was a wait that ran out of --wait-timeout (`scs up -d` then exits 124). */
  readonly timedOut?: boolean;
  readonly stack: string;
  readonly environment: string;
  readonly disco: string;
  readonly dns?: string;
  readonly services: ServiceRecord[];
}

const stateFile = (folder: string) => join(folder, 'state.json');

/** Writes the state into `folder`, the agent's state folder (state-folder.ts). */
export function writeState(folder: string, state: AgentState): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = stateFile(folder);
  // A link left where the temporary file goes is removed, not written through.
  rmSync(`${file}.tmp`, { force: true });
  const fd = openSync(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, `${JSON.stringify(state, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
}

/** The state an agent wrote into `folder`; undefined when there is none this user's CLI may act on. */
export function readState(folder: string): AgentState | undefined {
  // Another user's file, or one others may write, says nothing this user's CLI acts on.
  const text = readOwnFile(stateFile(folder));
  if (text === undefined) return undefined;
  try {
    return renamed(JSON.parse(text));
  } catch {
    return undefined;
  }
}

type OldState = Omit<AgentState, 'only' | 'services'> & {
  only?: string[];
  roles?: string[];
  services: Array<Omit<ServiceRecord, 'service'> & { service?: string; role?: string }>;
};

/** A state file an agent wrote before the rename says `roles` and `role`: read as `only` and `service`. */
function renamed(state: OldState): AgentState {
  return {
    ...state,
    only: state.only ?? state.roles ?? [],
    services: state.services.map(({ role, ...record }) => ({ ...record, service: record.service ?? role ?? '' })),
  };
}

/** This process, as the agent records itself. */
export const ownProcess = (): ProcessIdentity | undefined => processIdentity(process.pid);

/**
 * What the PID a state file names is now: the agent that wrote it, no process, or another process
 * (its PID reused, or a state file that does not say which process it meant): never to be signalled.
 */
export function agentProcessOf(state: AgentState): 'agent' | 'gone' | 'other' {
  if (processIdentity(state.pid) === undefined) return 'gone';
  return state.agentProcess && isSameProcess(state.pid, state.agentProcess) ? 'agent' : 'other';
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
