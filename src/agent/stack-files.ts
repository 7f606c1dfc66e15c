// Loading a stack for the deploy commands: `-f` files (repeatable, overlays in order), else
// SCS_FILE, else the stack found here or in a folder above → a compiled stack; and finding this project's agent.

import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../config/yaml.ts';
import { flag, UsageError, UserError } from '../errors.ts';
import { compile } from '../manifest/compile.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { loadStack, STACK_FILE } from '../manifest/load.ts';
import { projectName } from './identity.ts';
import { type AgentState, agentProcessOf, readState } from './state.ts';

export interface StackFlags {
  file?: string | string[];
  projectName?: string;
}

/** SCS_FILE's separator, as COMPOSE_FILE's on Linux. */
const FILE_SEPARATOR = ':';

/**
 * The stack files: named by `-f` (before or after the verb), else by SCS_FILE, else found from
 * `cwd` upwards (the filesystem root is the last folder looked in), as Compose v1 looked. In each
 * folder, the files this project's agent there was started with come first (they carry its
 * overlays, and its first file need not be called scs-stack.yaml), then scs-stack.yaml. None:
 * nothing was named and nothing found.
 */
export function stackFiles(flags: StackFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const given = flags.file === undefined ? [] : (Array.isArray(flags.file) ? flags.file : [flags.file]).map(String);
  if (given.length > 0) return given;
  const listed = (env.SCS_FILE ?? '').split(FILE_SEPARATOR).filter((file) => file !== '');
  if (listed.length > 0) return listed;
  const name = project(flags);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const remembered = readState(dir, name)?.files ?? [];
    if (remembered.length > 0) return [...remembered];
    const file = join(dir, STACK_FILE);
    if (existsSync(file)) return [file];
    if (dirname(dir) === dir) return [];
  }
}

export function project(flags: StackFlags): string {
  return flag('project-name', () => projectName(flags.projectName));
}

/** Where the stack's state lives: beside its first file. */
export function stackDirectory(flags: StackFlags): string {
  return dirname(resolve(stackFiles(flags)[0] ?? STACK_FILE));
}

/** The files to load, refused in one sentence when there are none. */
export function filesToLoad(flags: StackFlags): string[] {
  const files = stackFiles(flags);
  if (files.length === 0) throw new UsageError(`no ${STACK_FILE} in ${process.cwd()} or any folder above it; give one with -f or SCS_FILE`);
  return files;
}

/** This project's agent in that folder, when it is running (one that failed is on its way out, and takes no requests). */
export function runningAgent(flags: StackFlags): AgentState | undefined {
  const state = readState(stackDirectory(flags), project(flags));
  return state && state.pid !== process.pid && agentProcessOf(state) === 'agent' && state.phase !== 'stopped' && state.phase !== 'failed'
    ? state
    : undefined;
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

export function compileStack(flags: StackFlags): CompiledStack {
  const files = filesToLoad(flags);
  try {
    return compile(loadStack(files));
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}

/** Keeps the named services (for `scs up web db`), checking that each exists. */
export function selectServices(compiled: CompiledStack, names: string[]): CompiledStack {
  if (names.length === 0) return compiled;
  checkServices(compiled, names);
  const wanted = new Set(names.map((r) => r.toLowerCase()));
  return { ...compiled, services: compiled.services.filter((s) => wanted.has(s.name)) };
}

export function checkServices(compiled: CompiledStack, names: string[]): void {
  const known = new Set(compiled.services.map((s) => s.name));
  for (const name of names) {
    if (!known.has(name.toLowerCase())) throw new UsageError(`no service "${name}" in the stack (it has: ${[...known].join(', ')})`);
  }
}
