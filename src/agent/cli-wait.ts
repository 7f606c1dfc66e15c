// How long the CLI waits on its agent, and what it says when it gives up: every such wait is bounded,
// names what it waited for, and exits 124 (src/errors.ts EXIT.timeout), as a wait that ran out does.

import { EXIT, UserError } from '../errors.ts';

/** Building images is the agent's one step without a --wait-timeout of its own: this much is allowed for it. */
export const BUILD_ALLOWANCE_MS = 10 * 60_000;

/** How long the CLI waits for an agent to bring `services` services up (or to converge them): the builds, then each one's waits. */
export const agentBudgetMs = (waitTimeoutMs: number, services: number) => BUILD_ALLOWANCE_MS + waitTimeoutMs * (services + 1);

/** After the agent said the stack is up, its state says so at once: this is for a slow disk. */
export const STATE_SETTLE_MS = 10_000;

/** `90 s`, `12 min`: how long a wait was, for its message. */
const formatDuration = (ms: number) => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** `work`, or a rejection saying "waited N for WHAT" (exit 124) once `ms` have passed. */
export async function waitedFor<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`gave up after ${formatDuration(ms)} waiting for ${what}`, EXIT.timeout)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
