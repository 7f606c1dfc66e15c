// The errors a command ends with, and the exit code of each: kept free of consola and Docker, so
// that cli/main.ts can load it before `--ansi` has been applied (consola reads colour once, on load).
// They live in src/ because the application layer (src/agent/up.ts, src/server/run-disco.ts) fails with them.

/** How `scs` exits, by what went wrong (docs/cli.md lists them; scripts rely on them). */
export const EXIT = {
  ok: 0,
  /** The stack, Docker or disco refused or failed. */
  failure: 1,
  /** The command line itself is wrong: an unknown verb or flag, a bad value. */
  usage: 2,
  /** Disco could not be reached. */
  unreachable: 3,
  /** `scs agent` drained by `scs down`: the stack is down, and a supervisor must not start it again (RestartPreventExitStatus). */
  drained: 4,
  /** A wait ran out of time (--wait-timeout), as timeout(1) exits. */
  timeout: 124,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is for the user as it stands: one sentence, no stack, and how to exit. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}

/** The command line is wrong (a flag's value, an unknown verb): exit 2, as getopt-style tools do. */
export class UsageError extends UserError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/**
 * The one place that maps a failure to an exit code: ours say it, cac's own refusals (unknown
 * option, missing argument) are usage errors, a disco that cannot be reached is 3, a wait that
 * ran out of time is 124, and anything else is 1.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UserError) return error.exitCode;
  if ((error as Error | undefined)?.name === 'CACError') return EXIT.usage;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'unreachable') return EXIT.unreachable;
  if ((error as Error | undefined)?.name === 'WaitTimeoutError') return EXIT.timeout;
  return EXIT.failure;
}

/** A failure said again in the user's words (`scs up failed: ...`), keeping its exit code. */
export function restated(message: string, error: unknown): UserError {
  return new UserError(message, exitCodeOf(error));
}

/** Wraps a parse so that its failure reads `--flag: what was wrong`. */
export function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}
