// `scs completion bash|zsh|fish`: the completion script, from the commands as they register
// themselves (cli/commands.ts), so a verb added later is completed too; and `scs completion
// --services`, which the script runs at completion time: the stack's service names, read from the
// stack file alone (no build context hashed, no disco), and nothing at all when there is none.

import type { CAC, Command } from 'cac';
import { UsageError } from './common.ts';
import { type CompletionTable, completionScript, SHELLS, type Shell } from './completion-scripts.ts';
import { type StackFlags, withStackFile } from './stack.ts';

/** The words a verb's first argument may be, where its usage cannot say them. */
const FIXED_WORDS: Readonly<Record<string, readonly string[]>> = { images: ['prune'], completion: SHELLS };

/** The flags main.ts gives every command, besides those that take a value (cli/command-word.ts). */
const GLOBAL_SWITCHES = ['--debug', '-v', '--version', '-h', '--help'];

/** Registers every command from its module, flags and all (cli/commands.ts `loadEveryCommand`). */
type LoadEveryCommand = (cli: CAC) => Promise<void>;

/** The command's registration, with how to load every command (cli/commands.ts hands it in: no import cycle). */
export function completionCommand(loadEveryCommand: LoadEveryCommand): (cli: CAC) => void {
  return (cli) => registerCompletion(cli, loadEveryCommand);
}

function registerCompletion(cli: CAC, loadEveryCommand: LoadEveryCommand): void {
  withStackFile(cli.command('completion [shell]', 'Print the completion script for bash, zsh or fish (see docs/cli.md to install it)'))
    .option(
      '--services',
      'Print the service names of the stack file found, one a line (what the script asks at each Tab); nothing if there is none',
    )
    .example('source <(scs completion bash)')
    .example('scs completion fish > ~/.config/fish/completions/scs.fish')
    .action(async (shell: string | undefined, flags: StackFlags & { services?: boolean }) => {
      if (flags.services) {
        for (const name of await serviceNames(flags)) process.stdout.write(`${name}\n`);
        return;
      }
      if (shell === undefined || !SHELLS.includes(shell as Shell)) {
        throw new UsageError(`scs completion: give a shell: bash, zsh or fish${shell === undefined ? '' : `, not "${shell}"`}`);
      }
      process.stdout.write(completionScript(shell as Shell, await completionTable(loadEveryCommand)));
    });
}

/** The verbs and flags of every command, read from the commands themselves. */
export async function completionTable(loadEveryCommand: LoadEveryCommand): Promise<CompletionTable> {
  const [{ cac }, { GLOBAL_OPTIONS_WITH_VALUE }] = await Promise.all([import('cac'), import('./command-word.ts')]);
  const cli = cac('scs');
  await loadEveryCommand(cli);
  return {
    verbs: cli.commands.map((command) => ({
      name: command.name,
      description: command.description,
      ...flagsOf(command),
      services: command.args.some((arg) => /service/i.test(arg.value)),
      words: [...(FIXED_WORDS[command.name] ?? [])],
    })),
    globalFlags: [...GLOBAL_OPTIONS_WITH_VALUE, ...GLOBAL_SWITCHES],
    globalValueFlags: [...GLOBAL_OPTIONS_WITH_VALUE],
  };
}

/** Every spelling of the command's flags (`-d, --detach` is two), and those that take a value. */
export function flagsOf(command: Pick<Command, 'options'>): { flags: string[]; valueFlags: string[] } {
  const flags: string[] = [];
  const valueFlags: string[] = [];
  for (const option of command.options) {
    const names = option.rawName.split(/[<[]/)[0]!.match(/-{1,2}[A-Za-z0-9][A-Za-z0-9-]*/g) ?? [];
    flags.push(...names);
    if (/[<[]/.test(option.rawName)) valueFlags.push(...names);
  }
  return { flags, valueFlags };
}

/** The services of the stack file found, or none: at a Tab, an error would only get in the way. */
async function serviceNames(flags: StackFlags): Promise<string[]> {
  try {
    const [{ filesToLoad }, { loadStack }] = await Promise.all([import('./stack.ts'), import('../src/manifest/load.ts')]);
    return Object.keys(loadStack(filesToLoad(flags)).stack.services);
  } catch {
    return [];
  }
}
