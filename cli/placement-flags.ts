// What `scs move`, `scs place` and `scs placement` share: a service named by its label in the stack
// here (`web`) or in full (`web.hello.dev`), and the disco that holds the placement: `--disco`, else
// SCS_DISCO, else the one this host's agent of the stack uses (its embedded disco, with its token),
// else the stack file's `disco:`.

import { existsSync } from 'node:fs';
import { consola } from 'consola';
import { discoTokenFile } from '../src/agent/disco-token.ts';
import type { DiscoClient } from '../src/client/client.ts';
import type { CompiledStack } from '../src/manifest/compiled.ts';
import { ServiceNameSchema } from '../src/protocol/fields.ts';
import { connectDisco, type GlobalFlags, parseWith, UsageError } from './common.ts';
import { agentFolder, compileStack, runningAgent, type StackFlags, stackFiles } from './stack.ts';

export type PlacementFlags = GlobalFlags & StackFlags;

/** The stack here (`-f`, or scs-stack.yaml found from here up), compiled only to read it; none when there is no stack file. */
export function stackHere(flags: PlacementFlags): CompiledStack | undefined {
  if (stackFiles(flags).length === 0) return undefined;
  return compileStack(flags, { hashImages: false });
}

/** `web` (of the stack here) or `web.hello.dev`, as `service.stack.environment`. */
export function serviceName(text: string, stack: CompiledStack | undefined): string {
  if (text.includes('.')) return parseWith(ServiceNameSchema, text, 'service');
  if (!stack) throw new UsageError(`${text}: name its stack and environment (${text}.STACK.ENV), or run this in the stack's folder`);
  if (!stack.services.some((service) => service.name === text))
    throw new UsageError(`${stack.stack} has no service "${text}" (it has: ${stack.services.map((s) => s.name).join(', ')})`);
  return `${text}.${stack.stack}.${stack.environment}`;
}

/** Connects to the disco that holds the stack's placement (see the top of this file). */
export function connectPlacement(flags: PlacementFlags, stack: CompiledStack | undefined, name: string): Promise<DiscoClient> {
  if (flags.disco !== undefined || process.env.SCS_DISCO || !stack) return connectDisco(flags, name);
  const agent = runningAgent(flags);
  if (agent) {
    const token = discoTokenFile(agentFolder(flags));
    // The embedded disco lets its agent's token place; another disco wants the user's own.
    const embedded = existsSync(token) && flags.tokenFile === undefined && !process.env.SCS_TOKEN_FILE && !process.env.SCS_TOKEN;
    consola.debug(`the disco of this host's agent: ${agent.disco}${embedded ? ' (embedded)' : ''}`);
    return connectDisco({ ...flags, disco: agent.disco, ...(embedded ? { tokenFile: token } : {}) }, name);
  }
  return connectDisco({ ...flags, ...(stack.disco ? { disco: stack.disco } : {}) }, name);
}
