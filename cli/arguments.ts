// Reading the command line before cac does: which command to load (only that one is), the global
// `-f`/`-p` spelled long so that a verb's own `-f` (`logs -f`) keeps its meaning, and flags with a
// dash in their name spelled as cac's parser knows them.

import { commandWord, GLOBAL_OPTIONS_WITH_VALUE } from './command-word.ts';
import { COMMANDS } from './commands.ts';

/** Options of every deploy command, and the global ones, that take a value: the word after them is not SERVICE. */
const VALUED_EVERYWHERE = ['-f', '--file', '-p', '--project-name', '--profile', '--disco', '--ansi'];

/**
 * Verbs that run a command after their SERVICE (`scs exec web ls -la`), each with its options that
 * take a value (test/unit/exec-run.test.ts checks them against what the verbs register).
 */
export const VERBS_WITH_A_COMMAND: Readonly<Record<string, ReadonlySet<string>>> = {
  exec: new Set([...VALUED_EVERYWHERE, '--instance', '-e', '--env', '-u', '--user', '-w', '--workdir']),
  run: new Set([
    ...VALUED_EVERYWHERE,
    '-e',
    '--env',
    '-u',
    '--user',
    '-w',
    '--workdir',
    '--entrypoint',
    '--name',
    '--tls-ca',
    '--tls-cert',
    '--tls-key',
    '--token-file',
  ]),
};

/**
 * The arguments with `--` put after SERVICE for the verbs that run a command, so that what follows
 * reaches the command untouched, as `docker exec` passes it: `scs exec web ls -la` must not take
 * `-la` for its own, nor `scs exec web ps -p 1` its `-p` for the project. A `--` already there
 * (`scs exec web -- ls -la`) is kept as the one separator.
 */
export function separateCommand(args: readonly string[]): string[] {
  let valued: ReadonlySet<string> | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (valued === undefined) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
      else if (!arg.startsWith('-')) {
        if (!Object.hasOwn(VERBS_WITH_A_COMMAND, arg)) break;
        valued = VERBS_WITH_A_COMMAND[arg]!;
      }
      continue;
    }
    if (valued.has(arg)) i++;
    else if (!arg.startsWith('-')) {
      const rest = args.slice(i + 1);
      if (rest.length === 0) break;
      return [...args.slice(0, i + 1), '--', ...(rest[0] === '--' ? rest.slice(1) : rest)];
    }
  }
  return [...args];
}

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

/**
 * The arguments with each flag of `flags` (`--dry-run`) spelled as cac's parser knows it (`--dryRun`).
 * cac tells its parser (mri) which options are flags by their camelCase names only, so a flag with a
 * dash in its name is taken for an option with a value and swallows the word after it: `scs up
 * --dry-run web` would run web for real (cacjs/cac#169). What follows `--` is left alone.
 */
export function spellFlagsForParser(args: readonly string[], flags: ReadonlyMap<string, string>): string[] {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  return [...options.map((arg) => flags.get(arg) ?? arg), ...(end < 0 ? [] : args.slice(end))];
}

/** A flag's spelling with a dash in its name (`--dry-run`), to its camelCase spelling (`--dryRun`). */
export function dashedFlags(options: ReadonlyArray<{ readonly rawName: string; readonly isBoolean?: boolean }>): Map<string, string> {
  const flags = new Map<string, string>();
  for (const option of options) {
    if (!option.isBoolean) continue;
    for (const name of option.rawName.split(',').map((part) => part.trim())) {
      const dashed = /^--((?!no-)[a-z0-9]+(?:-[a-z0-9]+)+)$/.exec(name)?.[1];
      if (dashed) flags.set(name, `--${dashed.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())}`);
    }
  }
  return flags;
}
