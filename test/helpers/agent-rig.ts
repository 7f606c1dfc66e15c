// An agent on an in-memory engine and disco, for the agent's fast tests (test/unit/agent/): each
// rig's agent is brought down after its test by \`afterEach(downAgents)\`.

import { join } from 'node:path';
import { Agent } from '../../src/agent/agent.ts';
import type { SpreadHere } from '../../src/agent/spread-here.ts';
import { readState } from '../../src/agent/state.ts';
import type { CompiledService } from '../../src/manifest/compiled.ts';
import { compiledStack } from './compiled.ts';
import { FakeEngine } from './fake-engine.ts';
import { quietLogger } from './logging.ts';
import { MemoryDisco } from './memory-disco.ts';

export interface Rig {
  engine: FakeEngine;
  disco: MemoryDisco;
  agent: Agent;
  directory: string;
}

const agents: Agent[] = [];

/** Its test brings it down itself, or it "died": not brought down after the test. */
export function forget(agent: Agent): void {
  const at = agents.indexOf(agent);
  if (at >= 0) agents.splice(at, 1);
}

export async function downAgents(): Promise<void> {
  for (const agent of agents.splice(0)) await agent.down();
}

export function rig(
  services: CompiledService[],
  {
    engine = new FakeEngine(),
    disco = new MemoryDisco(engine.calls),
    debounceMs = 20,
    waitTimeoutMs = 2000,
    holdMs = 300,
    project = 'one',
    directory = undefined as string | undefined,
    logger = quietLogger,
    spread = undefined as SpreadHere | undefined,
  } = {},
): Rig {
  const compiled = { ...compiledStack(services), ...(directory ? { directory } : {}) };
  const agent = new Agent(compiled, {
    engine,
    client: disco,
    advertise: '192.0.2.1',
    waitTimeoutMs,
    debounceMs,
    holdMs,
    logger,
    disco: 'memory',
    project,
    // Each rig's own, beside its stack: the agents of one file share a stack name.
    stateFolder: join(compiled.directory, 'state', project),
    ...(spread ? { spread } : {}),
  });
  agents.push(agent);
  return { engine, disco, agent, directory: compiled.directory };
}

export const state = (directory: string, project = 'one') => readState(join(directory, 'state', project))!;
export const envOf = (engine: FakeEngine, name: string) => engine.byService(name)!.spec.env;
