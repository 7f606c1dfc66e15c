// Loading a stack for the deploy commands: `-f` files (repeatable, overlays in order) → a plan.

import { ConfigError } from '../src/config/yaml.ts';
import { compile, type Plan } from '../src/manifest/compile.ts';
import { loadStack } from '../src/manifest/load.ts';
import { UserError } from './common.ts';

export interface StackFlags {
  file?: string | string[];
}

export function stackFiles(flags: StackFlags): string[] {
  return flags.file === undefined ? [] : (Array.isArray(flags.file) ? flags.file : [flags.file]).map(String);
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
