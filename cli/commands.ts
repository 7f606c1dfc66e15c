// Every command, each loaded only when it is the one that runs: `scs ls` never loads Docker's client,
// and in the bundle each command is its own chunk. The list of commands (`scs --help`) needs only
// their usage and description: the bundle carries those, recorded at build time, and loads none.

import { cac, type CAC } from 'cac';

type Register = (cli: CAC) => void;

export interface CommandSummary {
  readonly usage: string;
  readonly description: string;
}

/** Set by scripts/bundle.ts (esbuild `define`) from summarizeCommands(); not defined when the sources run. */
declare const SCS_COMMAND_SUMMARIES: readonly CommandSummary[] | undefined;

export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  disco: async () => (await import('./disco.ts')).registerDisco,
  provide: async () => (await import('./provide.ts')).registerProvide,
  require: async () => (await import('./require.ts')).registerRequire,
  ls: async () => (await import('./ls.ts')).registerLs,
  compile: async () => (await import('./compile.ts')).registerCompile,
  build: async () => (await import('./build.ts')).registerBuild,
  up: async () => (await import('./up.ts')).registerUp,
  down: async () => (await import('./down.ts')).registerDown,
  ps: async () => (await import('./ps.ts')).registerPs,
  logs: async () => (await import('./logs.ts')).registerLogs,
  version: async () => (await import('./version.ts')).registerVersion,
};

/** Registers these commands; for every command, only what lists them when the bundle recorded it. */
export async function registerCommands(cli: CAC, names: readonly string[]): Promise<void> {
  if (names.length > 1 && typeof SCS_COMMAND_SUMMARIES !== 'undefined') {
    for (const { usage, description } of SCS_COMMAND_SUMMARIES) cli.command(usage, description);
    return;
  }
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(cli);
}

/** The usage and description of every command, as they register themselves. */
export async function summarizeCommands(): Promise<CommandSummary[]> {
  const cli = cac('scs');
  await registerCommands(cli, Object.keys(COMMANDS));
  return cli.commands.map((command) => ({ usage: command.rawName, description: command.description }));
}

/** Global options that take a value: the word after them is that value, not a command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--disco']);

/**
 * The commands to load for these arguments (what follows `scs`): the one they name, `version` for a
 * bare `--version`, or every command when they name none they know (help, or an unknown word that
 * cac then reports with the full list at hand).
 */
export function commandsFor(args: readonly string[]): string[] {
  const word = commandWord(args);
  if (word !== undefined && Object.hasOwn(COMMANDS, word)) return [word];
  if (word === undefined && (args.includes('--version') || args.includes('-v')) && !args.includes('--help') && !args.includes('-h')) return ['version'];
  return Object.keys(COMMANDS);
}

/** The first argument that is neither an option nor a global option's value. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined; // what follows is arguments, never a command
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
