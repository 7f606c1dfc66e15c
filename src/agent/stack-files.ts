// Loading a stack for the deploy commands: `-f` files (repeatable, overlays in order), else
// SCS_FILE, else the stack found here or in a folder above → a compiled stack; and finding this project's agent.

import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { consola } from 'consola';
import { ConfigError } from '../config/yaml.ts';
import { flag, UsageError, UserError } from '../errors.ts';
import { type CompileOptions, compile } from '../manifest/compile.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { type LoadedStack, loadStack, STACK_FILE } from '../manifest/load.ts';
import { EVERY_PROFILE, parseProfiles, withProfiles } from '../manifest/profiles.ts';
import { isLabel } from '../names.ts';
import { projectName } from './identity.ts';
import { type AgentState, agentProcessOf, readState } from './state.ts';
import { legacyNotice, stateFolder, stateRoot } from './state-folder.ts';

export interface StackFlags {
  file?: string | string[];
  projectName?: string;
  /**
   * For the commands that take no stack file of their own (ps, logs, down, stop, start, restart):
   * in each folder looked in, the files this project's agent was started with from there come first
   * (they carry its overlays, and its first file need not be called scs-stack.yaml).
   */
  remembered?: boolean;
  /** `--profile`, any number of times (each may list several, comma-separated); else SCS_PROFILES, from the environment or `.env`. */
  profile?: string | string[];
  /** The services named on the command line: each runs whatever its profiles (`scs up debugtool`). */
  named?: readonly string[];
  /**
   * The variables the stack files read, in place of this process's environment: what `scs up` tells
   * a running agent, so that the agent reads the files as the command did.
   */
  variables?: Readonly<Record<string, string>>;
}

/** SCS_FILE's separator, as COMPOSE_FILE's on Linux. */
const FILE_SEPARATOR = ':';

/**
 * The stack files: named by `-f` (before or after the verb), else by SCS_FILE, else found from
 * `cwd` upwards (the filesystem root is the last folder looked in), as Compose v1 looked: in each
 * folder, the files an agent was started with from there (only when `remembered`), then
 * scs-stack.yaml. None: nothing was named and nothing found.
 */
export function stackFiles(flags: StackFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const given = flags.file === undefined ? [] : (Array.isArray(flags.file) ? flags.file : [flags.file]).map(String);
  if (given.length > 0) return given;
  const listed = (env.SCS_FILE ?? '').split(FILE_SEPARATOR).filter((file) => file !== '');
  if (listed.length > 0) return listed;
  const name = flags.remembered ? project(flags) : '';
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const remembered = flags.remembered ? rememberedFiles(dir, name, env) : undefined;
    if (remembered) return remembered;
    const file = join(dir, STACK_FILE);
    if (existsSync(file)) return [file];
    if (dirname(dir) === dir) return [];
  }
}

/**
 * The files an agent of `project` was started with from `dir` (its first file is there): a state
 * copied along with a folder, or left by a stack elsewhere, never names files here.
 */
function rememberedFiles(dir: string, project: string, env: NodeJS.ProcessEnv): string[] | undefined {
  const root = join(stateRoot(env), project);
  let stacks: string[];
  try {
    stacks = readdirSync(root);
  } catch {
    return undefined;
  }
  const found = stacks.flatMap((stack) => {
    const state = readState(join(root, stack));
    return state && state.files.length > 0 && dirname(state.files[0]!) === dir ? [state] : [];
  });
  if (found.length <= 1) return found[0] && [...found[0].files];
  const plain = found.find((state) => state.files[0] === join(dir, STACK_FILE));
  if (plain) return [...plain.files];
  throw new UsageError(
    `agents of project ${project} run several stacks from ${dir} (${found.map((state) => state.stack).join(', ')}); name one with -f`,
  );
}

export function project(flags: StackFlags): string {
  return flag('project-name', () => projectName(flags.projectName));
}

/** The files to load, refused in one sentence when there are none. */
export function filesToLoad(flags: StackFlags): string[] {
  const files = stackFiles(flags);
  if (files.length === 0) throw new UsageError(`no ${STACK_FILE} in ${process.cwd()} or any folder above it; give one with -f or SCS_FILE`);
  return files;
}

/** The state folder of this project's agent of the stack the flags name (its name read from the files). */
export function agentFolder(flags: StackFlags): string {
  return stateFolder(project(flags), loaded(() => loadFiles(flags)).stack.name);
}

/** This project's agent of that stack, when it is running (one that failed is on its way out, and takes no requests). */
export function runningAgent(flags: StackFlags): AgentState | undefined {
  const state = readState(agentFolder(flags));
  return state && isRunning(state) ? state : undefined;
}

/** Whether the agent that wrote `state` runs, and is not this process. */
export const isRunning = (state: AgentState) =>
  state.pid !== process.pid && agentProcessOf(state) === 'agent' && state.phase !== 'stopped' && state.phase !== 'failed';

/** One sentence when the agent was started with other stack files than `files`; undefined when they are the same. */
export function otherFiles(state: AgentState, files: readonly string[]): string | undefined {
  const given = files.map((file) => resolve(file));
  if (given.length === state.files.length && given.every((file, i) => file === state.files[i])) return undefined;
  return `the agent of ${state.stack} (project ${state.project}, pid ${state.pid}) was started with ${state.files.join(', ')}, not ${given.join(', ')}`;
}

/**
 * Refuses, in one sentence, a stack file that is not below `directory` once links are followed: the
 * agent's control socket takes only the files of the stack it was started for.
 */
export function checkFilesBelow(directory: string, files: readonly string[]): void {
  const root = realpathSync(directory);
  for (const file of files) {
    let real: string;
    try {
      real = realpathSync(resolve(root, file));
    } catch {
      throw new UserError(`cannot read the stack file ${file}`);
    }
    const path = relative(root, real);
    if (path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path))
      throw new UserError(`the agent takes only stack files below ${directory}, the folder it was started for; ${file} is not`);
  }
}

/** The stack as scs reads it: overlays merged, variables substituted, checked, and only the services its profiles run. */
export interface ReadStack {
  readonly stack: LoadedStack;
  /** The active profiles (`--profile`, else SCS_PROFILES). */
  readonly profiles: readonly string[];
  /** Every profile a service of the files names, active or not, in the order of the files. */
  readonly declared: readonly string[];
}

export function readStack(flags: StackFlags): ReadStack {
  return loaded(() => {
    const read = loadFiles(flags);
    const profiles = activeProfiles(flags, read);
    const declared = [...new Set(Object.values(read.stack.services).flatMap((service) => service.profiles ?? []))];
    return { stack: withProfiles(read, profiles, flags.named), profiles, declared };
  });
}

/** The files merged and checked, every service kept; an unset variable warned of once a process. */
function loadFiles(flags: StackFlags): LoadedStack {
  const read = loadStack(filesToLoad(flags), flags.variables ? { environment: flags.variables } : {});
  for (const name of read.unset) warnOnce(`the variable ${name} is not set: the stack files read it as the empty string`);
  return read;
}

/** `--profile` (several, or a comma-separated list), else SCS_PROFILES as the stack files see it: the environment's, else `.env`'s. */
function activeProfiles(flags: StackFlags, read: LoadedStack): string[] {
  const given = flags.profile === undefined ? [] : (Array.isArray(flags.profile) ? flags.profile : [flags.profile]).map(String);
  const profiles = given.length > 0 ? given.flatMap(parseProfiles) : parseProfiles(read.variable('SCS_PROFILES') ?? '');
  for (const profile of profiles) {
    if (profile !== EVERY_PROFILE && !isLabel(profile))
      throw new UsageError(`${given.length > 0 ? '--profile' : 'SCS_PROFILES'}: expected a profile name like "debug", not "${profile}"`);
  }
  return [...new Set(profiles)];
}

export function compileStack(flags: StackFlags, options?: CompileOptions): CompiledStack {
  const { stack } = readStack(flags);
  const compiled = loaded(() => compile(stack, options));
  warnOfLegacyState(compiled.directory, project(flags));
  return compiled;
}

function loaded<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}

const warned = new Set<string>();

/** Said once a process: a command loads the stack several times. */
function warnOnce(notice: string): void {
  if (warned.has(notice)) return;
  warned.add(notice);
  consola.warn(notice);
}

function warnOfLegacyState(directory: string, project: string): void {
  const notice = legacyNotice(directory, project);
  if (notice) warnOnce(notice);
}

/** Keeps the named services (for `scs up web db`), checking that each exists. */
export function selectServices(compiled: CompiledStack, names: string[]): CompiledStack {
  if (names.length === 0) return compiled;
  checkServices(compiled, names);
  const wanted = new Set(names.map((r) => r.toLowerCase()));
  return { ...compiled, services: compiled.services.filter((s) => wanted.has(s.name)) };
}

export function checkServices(compiled: { readonly services: ReadonlyArray<{ readonly name: string }> }, names: readonly string[]): void {
  const known = new Set(compiled.services.map((s) => s.name));
  for (const name of names) {
    if (!known.has(name.toLowerCase())) throw new UsageError(`no service "${name}" in the stack (it has: ${[...known].join(', ')})`);
  }
}
