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
  status: async () => (await import('./status.ts')).registerStatus,
  events: async () => (await import('./events.ts')).registerEvents,
  compile: async () => (await import('./compile.ts')).registerCompile,
  config: async () => (await import('./config.ts')).registerConfig,
  build: async () => (await import('./build.ts')).registerBuild,
  up: async () => (await import('./up.ts')).registerUp,
  agent: async () => (await import('./agent.ts')).registerAgent,
  down: async () => (await import('./down.ts')).registerDown,
  adopt: async () => (await import('./adopt.ts')).registerAdopt,
  ps: async () => (await import('./ps.ts')).registerPs,
  logs: async () => (await import('./logs.ts')).registerLogs,
  exec: async () => (await import('./exec.ts')).registerExec,
  run: async () => (await import('./run.ts')).registerRun,
  stop: async () => (await import('./lifecycle.ts')).registerStop,
  start: async () => (await import('./lifecycle.ts')).registerStart,
  restart: async () => (await import('./lifecycle.ts')).registerRestart,
  move: async () => (await import('./move.ts')).registerMove,
  place: async () => (await import('./place.ts')).registerPlace,
  placement: async () => (await import('./placement.ts')).registerPlacement,
  scale: async () => (await import('./scale.ts')).registerScale,
  drain: async () => (await import('./drain.ts')).registerDrain,
  undrain: async () => (await import('./drain.ts')).registerUndrain,
  images: async () => (await import('./images.ts')).registerImages,
  version: async () => (await import('./version.ts')).registerVersion,
  // Handed the loader of every command, to read their flags: completion.ts imports nothing of this module.
  completion: async () => (await import('./completion.ts')).completionCommand(loadEveryCommand),
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
