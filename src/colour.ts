// Whether output may carry colour and other terminal escapes: `--ansi` decides, else NO_COLOR
// (https://no-color.org) and FORCE_COLOR, else whether a terminal reads it. The choice is kept in
// the environment, where consola, Docker's build output and a background agent all find it.

export const ANSI_MODES = ['auto', 'never', 'always'] as const;
export type AnsiMode = (typeof ANSI_MODES)[number];

/** Records `--ansi` in `env` (never: NO_COLOR, always: FORCE_COLOR); `auto` leaves the environment's word. */
export function applyAnsiMode(mode: AnsiMode, env: NodeJS.ProcessEnv = process.env): void {
  if (mode === 'never') {
    env.NO_COLOR = '1';
    delete env.FORCE_COLOR;
  } else if (mode === 'always') {
    env.FORCE_COLOR = '1';
    delete env.NO_COLOR;
  }
}

/** Colour for output read by `tty`: never with NO_COLOR set (even empty, as consola reads it), always with FORCE_COLOR. */
export function colourWanted(env: NodeJS.ProcessEnv = process.env, tty = Boolean(process.stdout.isTTY && process.stderr.isTTY)): boolean {
  if (env.NO_COLOR !== undefined) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return tty;
}
