// What an agent wrote into its state folder, read as `scs ps` reads it.

import { hostLabel } from '../../src/agent/identity.ts';
import { type AgentState, readState } from '../../src/agent/state.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';

/** The state of the agent of `project` (the host's by default) for `stack`; undefined when there is none. */
export const agentState = (stack: string, project = hostLabel()): AgentState | undefined => readState(stateFolder(project, stack));

/** Its state folder (state.json, agent.log, agent.sock, disco.token, stack-id). */
export const agentFolder = (stack: string, project = hostLabel()): string => stateFolder(project, stack);
