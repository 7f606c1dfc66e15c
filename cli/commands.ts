// Every command, each loaded only when it is the one that runs: `scs ls` never loads Docker's client,
// and in the bundle each command is its own chunk. The list of commands (`scs --help`) needs only
// their usage and description: the bundle carries those, recorded at build time, and loads none.

import { type CAC, cac } from 'cac';

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
  stop: async () => (await import('./lifecycle.ts')).registerStop,
  start: async () => (await import('./lifecycle.ts')).registerStart,
  restart: async () => (await import('./lifecycle.ts')).registerRestart,
  images: async () => (await import('./images.ts')).registerImages,
  version: async () => (await import('./version.ts')).registerVersion,
};

/** Registers one command, loading only its module. */
export async function registerCommand(cli: CAC, name: string): Promise<void> {
  (await COMMANDS[name]!())(cli);
}

/**
 * Registers every command so that cac can list them, or refuse an unknown one: from what the bundle
 * recorded when there is a record (nothing loads), else by loading each.
 */
export async function registerEveryCommand(cli: CAC): Promise<void> {
  if (typeof SCS_COMMAND_SUMMARIES === 'undefined') {
    await loadEveryCommand(cli);
    return;
  }
  for (const { usage, description } of SCS_COMMAND_SUMMARIES) cli.command(usage, description);
}

async function loadEveryCommand(cli: CAC): Promise<void> {
  const registers = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  for (const register of registers) register(cli);
}

/** The usage and description of every command, as they register themselves. */
export async function summarizeCommands(): Promise<CommandSummary[]> {
  const cli = cac('scs');
  await loadEveryCommand(cli);
  return cli.commands.map((command) => ({ usage: command.rawName, description: command.description }));
}

/** Global options that take a value: the word after them is that value, not a command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--disco', '--ansi', '-f', '--file', '-p', '--project-name']);

/** Short global options, as `docker compose -f x.yml logs -f web` has them: before the verb, `-f` is the file. */
const SHORT_GLOBAL_OPTIONS: Readonly<Record<string, string>> = { '-f': '--file', '-p': '--project-name' };

/** Verbs whose own `-f` is not the file: `logs -f` is --follow, as in Compose. */
const VERBS_WITH_THEIR_OWN_F = new Set(['logs']);

/**
 * The arguments with `-f` and `-p` spelled `--file` and `--project-name`: before the verb always,
 * so that after it a verb's own `-f` keeps its meaning (`scs -f x.yaml logs -f web`: the file,
 * then --follow); after it too, for the verbs whose `-f` is the file. One spelling, because the
 * parser keeps only one of `--file a -f b`, not both.
 */
export function spellGlobalsLong(args: readonly string[]): string[] {
  const out: string[] = [];
  let verb: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    if (verb === undefined && !arg.startsWith('-')) verb = arg;
    const long = verb !== undefined && VERBS_WITH_THEIR_OWN_F.has(verb) && arg === '-f' ? undefined : SHORT_GLOBAL_OPTIONS[arg];
    out.push(long ?? arg);
    // A value is never the verb, nor spelled anew (a file may be called `-p`).
    if ((long !== undefined || (verb === undefined && GLOBAL_OPTIONS_WITH_VALUE.has(arg))) && i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}

/**
 * The one command to load for these arguments (what follows `scs`): the one they name, or `version`
 * for a bare `--version`. None when they name no command we know: help lists them all, and cac
 * refuses an unknown word with all of them at hand.
 */
export function commandFor(args: readonly string[]): string | undefined {
  const word = commandWord(args);
  if (word !== undefined) return Object.hasOwn(COMMANDS, word) ? word : undefined;
  const help = args.includes('--help') || args.includes('-h');
  return !help && (args.includes('--version') || args.includes('-v')) ? 'version' : undefined;
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
