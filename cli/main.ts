// The `scs` entry point: global flags, one module per command, one-sentence errors.

import { cac } from 'cac';
import { consola } from 'consola';
import { registerBuild } from './build.ts';
import { registerCompile } from './compile.ts';
import { registerDisco } from './disco.ts';
import { registerDown } from './down.ts';
import { registerImages } from './images.ts';
import { registerLifecycle } from './lifecycle.ts';
import { registerLogs } from './logs.ts';
import { registerPs } from './ps.ts';
import { registerUp } from './up.ts';
import { registerLs } from './ls.ts';
import { registerProvide } from './provide.ts';
import { registerRequire } from './require.ts';

const cli = cac('scs');
cli.option('--disco <host:port>', 'Disco server address (env SCS_DISCO)', { default: undefined });
cli.option('--debug', 'Verbose logs and stack traces');

registerDisco(cli);
registerProvide(cli);
registerRequire(cli);
registerLs(cli);
registerCompile(cli);
registerBuild(cli);
registerUp(cli);
registerDown(cli);
registerLifecycle(cli);
registerPs(cli);
registerLogs(cli);
registerImages(cli);

cli.help();
cli.version('0.1.0');

const debug = process.argv.includes('--debug');
// Explicit, so that output does not change with the environment (consola goes quiet under test runners).
consola.level = debug ? 5 : 3;

try {
  cli.parse(process.argv, { run: false });
  if (!cli.matchedCommand && cli.args.length > 0) {
    throw new Error(`unknown command "${cli.args[0]}"; see scs --help`);
  }
  if (!cli.matchedCommand && !cli.options.help && !cli.options.version) cli.outputHelp();
  await cli.runMatchedCommand();
  // Commands that hold sockets close them themselves; nothing else should keep us alive.
} catch (error) {
  if (debug) consola.error(error);
  else consola.error((error as Error).message);
  process.exitCode = 1;
}
