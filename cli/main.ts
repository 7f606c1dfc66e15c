// The `scs` entry point: global flags, only the command named loaded (cli/commands.ts), one-sentence
// errors, and the exit code each kind of failure has (cli/common.ts `exitCodeOf`, docs/cli.md).

import { cac } from 'cac';
import { ANSI_MODES, type AnsiMode, applyAnsiMode, colourWanted } from '../src/colour.ts';
import { EXIT, exitCodeOf, UsageError } from '../src/errors.ts';
import { commandFor, dashedFlags, separateCommand, spellFlagsForParser, spellGlobalsLong } from './arguments.ts';
import { registerCommand, registerEveryCommand } from './commands.ts';
import { tidyHelp } from './help.ts';

// A reader that goes away (`scs ps | head -1`) ends the command quietly, as it would a C program.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}

const args = spellGlobalsLong(separateCommand(process.argv.slice(2)));
/** What scs reads as its own: what follows `--` belongs to a command (`scs exec web sh --debug`). */
const ownArgs = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
const cli = cac('scs');
cli.option('--disco <host:port,...>', 'Disco server address, or several sharing one registry (env SCS_DISCO)', { default: undefined });
cli.option('--ansi <when>', 'Colour and other terminal escapes: auto, never or always (NO_COLOR=1 is never)');
cli.option('--debug', 'Verbose logs and stack traces');
cli.option('-v, --version', 'Print the version, and the git commit scs was built from');

const debug = ownArgs.includes('--debug');

/** consola, loaded once something may log: help and the version print without it, sooner. */
async function logger() {
  const { consola, createConsola } = await import('consola');
  // Explicit, so that output does not change with the environment (consola goes quiet under test runners).
  consola.level = debug ? 5 : 3;
  // Where CI is set consola picks its plain reporter, which never colours: colour asked for wins.
  if (colourWanted()) consola.setReporters(createConsola({ fancy: true }).options.reporters);
  return consola;
}

/** `--ansi` is read before anything that colours is loaded: consola decides once, when it loads. */
function ansiMode(): AnsiMode {
  const at = ownArgs.findIndex((arg) => arg === '--ansi' || arg.startsWith('--ansi='));
  if (at < 0) return 'auto';
  const value = ownArgs[at]!.includes('=') ? ownArgs[at]!.slice('--ansi='.length) : ownArgs[at + 1];
  if (!ANSI_MODES.includes(value as AnsiMode)) throw new UsageError(`--ansi: expected auto, never or always, not "${value ?? ''}"`);
  return value as AnsiMode;
}

/**
 * Runs the command. A function, not top-level await: the bundle is CommonJS (scripts/bundle.ts), so
 * that bin/scs.js can hand V8 a code cache for it (cli/start.ts).
 */
async function main(): Promise<void> {
  try {
    applyAnsiMode(ansiMode());
    const command = commandFor(args);
    if (command === undefined) {
      await registerEveryCommand(cli);
      // Listed here only: each deploy command has them too, and `logs` gives `-f` after the verb its own meaning.
      cli.option(
        '-f, --file <file>',
        'Stack file, before the verb; repeat to add overlays (env SCS_FILE, a:b; default: scs-stack.yaml here or above)',
      );
      cli.option('-p, --project-name <name>', "This agent's part of the stack (env SCS_PROJECT_NAME; default: the host's name)");
      cli.option('--profile <name>', 'Also run the services of this profile; repeat for several (env SCS_PROFILES, a,b; * for every one)');
    } else {
      await registerCommand(cli, command);
    }
    cli.help(tidyHelp(cli));
    const flags = dashedFlags([cli.globalCommand, ...cli.commands].flatMap((each) => each.options));
    cli.parse(['', '', ...spellFlagsForParser(args, flags)], { run: false });
    if (!cli.matchedCommand && cli.args.length > 0) {
      throw new UsageError(`unknown command "${cli.args[0]}"; see scs --help`);
    }
    if (cli.matchedCommand) {
      await logger();
      await cli.runMatchedCommand();
      // Commands that hold sockets close them themselves; nothing else should keep us alive.
    } else if (cli.options.version && !cli.options.help) {
      (await import('./version.ts')).printVersion();
    } else if (!cli.options.help) {
      cli.outputHelp();
    }
  } catch (error) {
    const consola = await logger();
    if (debug) consola.error(error);
    else consola.error((error as Error).message);
    process.exitCode = exitCodeOf(error);
  }
}

void main();
