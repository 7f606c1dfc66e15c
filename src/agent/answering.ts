// Whether the agent a state file names is there to take requests. Its process may outlive its control
// socket for a moment (killed, and not yet gone), and a killed agent leaves its socket file behind:
// either would have `scs up` send its stack to nobody. Neither blocks the agent that comes after it.

import { createConnection } from 'node:net';
import { UserError } from '../errors.ts';
import { runningAgent, type StackFlags } from './stack-files.ts';
import { type AgentState, agentProcessOf } from './state.ts';

/** How long an agent that no longer listens is given to be gone. */
export const DYING_AGENT_WAIT_MS = 5000;

/** Whether something listens on the Unix socket at `path` (a refused or missing socket: nobody). */
export function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * This project's running agent, if it takes requests; undefined when there is none, or when the one
 * on record is dying (its socket refuses) and is gone within `waitMs`. One that stays without
 * listening is reported in one sentence.
 */
export async function answeringAgent(flags: StackFlags, waitMs = DYING_AGENT_WAIT_MS): Promise<AgentState | undefined> {
  const state = runningAgent(flags);
  if (!state?.control || (await listening(state.control))) return state;
  const deadline = Date.now() + waitMs;
  while (agentProcessOf(state) === 'agent') {
    if (Date.now() >= deadline)
      throw new UserError(
        `the agent of ${state.stack} (pid ${state.pid}) does not answer at ${state.control} and has not exited in ${waitMs / 1000} s; stop it (kill ${state.pid}), then scs up again`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}
