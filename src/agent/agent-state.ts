// The agent's state as its state file has it (state.ts): what `scs ps`, `scs down` and the next
// agent read of it. Pure: built from what the agent holds.

import { formatHostPort } from '../address.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { statusRecord } from './facts.ts';
import type { AgentIdentity } from './identity.ts';
import type { ProcessIdentity } from './process-identity.ts';
import type { ServiceRunner } from './runner.ts';
import { addresses } from './spec.ts';
import type { AgentState, RequireRecord } from './state.ts';

export interface AgentHolds {
  readonly identity: AgentIdentity;
  readonly compiled: CompiledStack;
  readonly options: { readonly control?: string; readonly disco: string; readonly dns?: string };
  readonly only: readonly string[];
  readonly phase: AgentState['phase'];
  readonly error: string | undefined;
  readonly timedOut: boolean;
  readonly self: ProcessIdentity | undefined;
  readonly runners: readonly ServiceRunner[];
}

export function agentState(from: AgentHolds): AgentState {
  return {
    pid: process.pid,
    ...(from.self ? { agentProcess: from.self } : {}),
    project: from.identity.project,
    host: from.identity.host,
    files: from.compiled.files,
    only: from.only,
    ...(from.options.control ? { control: from.options.control } : {}),
    phase: from.phase,
    ...(from.error ? { error: from.error } : {}),
    ...(from.timedOut ? { timedOut: true } : {}),
    stack: from.compiled.stack,
    environment: from.compiled.environment,
    disco: from.options.disco,
    ...(from.options.dns ? { dns: from.options.dns } : {}),
    services: from.runners.map(({ facts }) => ({
      service: facts.service.name,
      ...(facts.service.instance ? { instance: facts.service.instance } : {}),
      container: facts.container,
      containerName: facts.service.container.name,
      image: facts.service.image.tag,
      ...statusRecord(facts),
      ...(facts.drained ? { drained: true } : {}),
      provides: facts.provisions.map((handle) => ({
        name: handle.spec.name,
        address: formatHostPort(handle.spec.host, handle.spec.port),
      })),
      requires: facts.requires.map(
        (requirement): RequireRecord => ({
          endpoint: requirement.compiled.endpoint,
          name: requirement.compiled.name,
          current: addresses(requirement.watch?.endpoints ?? []),
          applied: requirement.applied,
          lastUpdate: requirement.lastUpdate,
        }),
      ),
      ...(facts.lastStep ? { lastStep: facts.lastStep } : {}),
    })),
  };
}
