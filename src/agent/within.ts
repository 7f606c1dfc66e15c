// Telling disco that something is gone (a drop, an unrequire) must not stall the agent while disco is
// away: the client has already forgotten it and tells disco once it is back, and a session that is not
// resumed takes its provisions with it. So the agent waits a moment for the answer, then moves on.

export const DISCO_CONFIRM_MS = 3000;

/** True when `work` settled within `ms`; a rejection counts as settled and is rethrown. */
export async function settlesWithin(work: Promise<unknown>, ms: number = DISCO_CONFIRM_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
