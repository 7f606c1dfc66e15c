// Loading a stack for the deploy commands: `-f` files (repeatable, overlays in order) → a plan.

import type { Command } from 'cac';
import { isAlive, readState } from '../src/agent/state.ts';
import { ConfigError } from '../src/config/yaml.ts';
import { compile, type Plan } from '../src/manifest/compile.ts';
import { loadStack } from '../src/manifest/load.ts';
import { repeated, UserError } from './common.ts';

export interface StackFlags {
  file?: string | string[];
}

export function stackFiles(flags: StackFlags): string[] {
  return repeated(flags.file);
}

/** The `-f` option every deploy command takes. */
export function withStackFile(command: Command): Command {
  return command.option('-f, --file <file>', 'Stack file; repeat to add overlays (default scs-stack.yaml)');
}

/** Refuses to start a stack whose agent is still running. */
export function refuseIfUp(directory: string): void {
  const previous = readState(directory);
  if (previous && isAlive(previous.pid) && previous.pid !== process.pid && previous.phase !== 'stopped') {
    throw new UserError(`the stack in ${directory} is already up (agent pid ${previous.pid}); scs down first`);
  }
}

export function loadPlan(flags: StackFlags): Plan {
  try {
    return compile(loadStack(stackFiles(flags)));
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}

/** Keeps the named roles (for `scs up web db`), checking that each exists. */
export function selectServices(plan: Plan, roles: string[]): Plan {
  if (roles.length === 0) return plan;
  const known = new Set(plan.services.map((s) => s.role));
  for (const role of roles) {
    if (!known.has(role.toLowerCase())) throw new UserError(`no service "${role}" in the stack (it has: ${[...known].join(', ')})`);
  }
  const wanted = new Set(roles.map((r) => r.toLowerCase()));
  return { ...plan, services: plan.services.filter((s) => wanted.has(s.role)) };
}
