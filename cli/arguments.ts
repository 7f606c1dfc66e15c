// Reading the command line before cac does: which command to load (only that one is), and the
// global `-f`/`-p` spelled long so that a verb's own `-f` (`logs -f`) keeps its meaning.

import { COMMANDS } from './commands.ts';

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
