// What a running agent tells `scs ps` and `scs down`: written to .scs/state.json beside the stack
// file, replaced atomically so a reader never sees half of it.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  readonly role: string;
  readonly container: string | undefined;
  readonly containerName: string;
  readonly image: string;
  readonly status: string;
  readonly provides: Array<{ name: string; address: string }>;
  readonly requires: RequireRecord[];
  /** The last step the agent took on it, and why: "replace: liveupdate of mysql failed (exit 1)". */
  readonly lastStep?: { readonly at: string; readonly step: string; readonly cause: string; readonly ok: boolean; readonly error?: string };
}

export interface AgentState {
  readonly pid: number;
  readonly phase: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  readonly error?: string;
  readonly stack: string;
  readonly environment: string;
  readonly disco: string;
  readonly dns?: string;
  readonly services: ServiceRecord[];
}

export const stateDirectory = (stackDirectory: string) => join(stackDirectory, '.scs');
const stateFile = (stackDirectory: string) => join(stateDirectory(stackDirectory), 'state.json');

export function writeState(stackDirectory: string, state: AgentState): void {
  mkdirSync(stateDirectory(stackDirectory), { recursive: true });
  const file = stateFile(stackDirectory);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readState(stackDirectory: string): AgentState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(stackDirectory), 'utf8')) as AgentState;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
