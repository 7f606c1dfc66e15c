// The `scs` entry point: global flags, only the command named loaded (cli/commands.ts), one-sentence errors.

import { cac } from 'cac';
import { commandFor, registerCommand, registerEveryCommand } from './commands.ts';

const cli = cac('scs');
cli.option('--disco <host:port,...>', 'Disco server address, or several sharing one registry (env SCS_DISCO)', { default: undefined });
cli.option('--debug', 'Verbose logs and stack traces');
cli.option('-v, --version', 'Print the version, and the git commit scs was built from');

const debug = process.argv.includes('--debug');

/** consola, loaded once something may log: help and the version print without it, sooner. */
async function logger() {
  const { consola } = await import('consola');
  // Explicit, so that output does not change with the environment (consola goes quiet under test runners).
  consola.level = debug ? 5 : 3;
  return consola;
}

try {
  const command = commandFor(process.argv.slice(2));
  await (command === undefined ? registerEveryCommand(cli) : registerCommand(cli, command));
  cli.help();
  cli.parse(process.argv, { run: false });
  if (!cli.matchedCommand && cli.args.length > 0) {
    throw new Error(`unknown command "${cli.args[0]}"; see scs --help`);
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
  process.exitCode = 1;
}
