// Loading a stack for the deploy commands: `-f` files (repeatable, overlays in order) → a plan,
// and finding this project's agent, whose remembered files stand in for a missing `-f`.

import { dirname, resolve } from 'node:path';
import type { Command } from 'cac';
import { projectName } from '../src/agent/identity.ts';
import { type AgentState, isAlive, readState } from '../src/agent/state.ts';
import { ConfigError } from '../src/config/yaml.ts';
import { compile, type Plan } from '../src/manifest/compile.ts';
import { loadStack, STACK_FILE } from '../src/manifest/load.ts';
import { flag, repeated, UsageError, UserError } from './common.ts';

export interface StackFlags {
  file?: string | string[];
  projectName?: string;
}

export function stackFiles(flags: StackFlags): string[] {
  return repeated(flags.file);
}

/** The `-f` and `--project-name` options every deploy command takes. */
export function withStackFile(command: Command): Command {
  return command
    .option('-f, --file <file>', 'Stack file; repeat to add overlays (default scs-stack.yaml, or the files the agent was started with)')
    .option('--project-name <name>', "This agent's part of the stack (env SCS_PROJECT_NAME; default: the host's name)");
}

export function project(flags: StackFlags): string {
  return flag('project-name', () => projectName(flags.projectName));
}

/** Where the stack's state lives: beside its first file. */
export function stackDirectory(flags: StackFlags): string {
  return dirname(resolve(stackFiles(flags)[0] ?? STACK_FILE));
}

/** This project's agent in that folder, when it is running. */
export function runningAgent(flags: StackFlags): AgentState | undefined {
  const state = readState(stackDirectory(flags), project(flags));
  return state && isAlive(state.pid) && state.pid !== process.pid && state.phase !== 'stopped' ? state : undefined;
}

/** The files given, or else those this project's agent was last started with. */
export function planFiles(flags: StackFlags): string[] {
  const given = stackFiles(flags);
  if (given.length > 0) return given;
  return [...(readState(stackDirectory(flags), project(flags))?.files ?? [])];
}

export function loadPlan(flags: StackFlags): Plan {
  try {
    return compile(loadStack(planFiles(flags)));
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}

/** Keeps the named roles (for `scs up web db`), checking that each exists. */
export function selectServices(plan: Plan, roles: string[]): Plan {
  if (roles.length === 0) return plan;
  checkRoles(plan, roles);
  const wanted = new Set(roles.map((r) => r.toLowerCase()));
  return { ...plan, services: plan.services.filter((s) => wanted.has(s.role)) };
}

export function checkRoles(plan: Plan, roles: string[]): void {
  const known = new Set(plan.services.map((s) => s.role));
  for (const role of roles) {
    if (!known.has(role.toLowerCase())) throw new UsageError(`no service "${role}" in the stack (it has: ${[...known].join(', ')})`);
  }
}
