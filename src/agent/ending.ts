// How an agent process ends. Handing over is the default: its containers run on and its disco
// session is left to the server's grace, so that the agent after it (a supervisor's restart, the next
// `scs up -d`) resumes the session and takes the containers over, and nobody sees a restart. Draining
// is asked for: `scs down` (through the control socket), or Ctrl-C of a foreground `scs up`, as
// Compose stops its containers then. It drops each endpoint, removes the containers, says goodbye.

export type Ending =
  | { readonly drain: false; readonly why: string }
  | { readonly drain: true; readonly why: string /** Delete the volumes too (`scs down --volumes`). */; readonly volumes: boolean };

export const handingOver = (why: string): Ending => ({ drain: false, why });
export const draining = (why: string, volumes = false): Ending => ({ drain: true, why, volumes });

/**
 * What a signal means: each signal in `drainOn` drains (a foreground `scs up` passes SIGINT, its
 * Ctrl-C), any other hands over (SIGTERM from a supervisor's stop or restart, a package upgrade, kill).
 */
export function endingFor(signal: unknown, drainOn: readonly string[] = []): Ending {
  const why = typeof signal === 'string' ? signal : 'asked to stop';
  return drainOn.includes(why) ? draining(why) : handingOver(why);
}
