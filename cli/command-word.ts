// The command a command line names, read without loading any command: cli/arguments.ts picks the
// module to load with it, and cli/start.ts the code cache to compile the bundle with (so this module
// imports nothing: the start-up bundle stays small).

/** Global options that take a value: the word after them is that value, not a command. */
export const GLOBAL_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set([
  '--disco',
  '--ansi',
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--profile',
]);

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
