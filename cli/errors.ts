// The errors and exit codes of every command: src/errors.ts, shared with the application layer.

export { EXIT, type ExitCode, exitCodeOf, flag, restated, UsageError, UserError } from '../src/errors.ts';
