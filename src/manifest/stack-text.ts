// `scs config`: the stack as scs reads it (overlays merged, variables substituted, defaults filled in,
// only the services its profiles run), as text: YAML for people, JSON for programs.

import { dump } from 'js-yaml';
import type { Stack } from './schema.ts';

export const CONFIG_FORMATS = ['yaml', 'json'] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

/** The whole stack, ending in a newline. */
export function stackText(stack: Stack, format: ConfigFormat): string {
  if (format === 'json') return `${JSON.stringify(stack, null, 2)}\n`;
  // No anchors (a value shared twice is written twice, as read), no folding of long lines, and an
  // absent optional key left out rather than refused.
  return dump(stack, { noRefs: true, lineWidth: -1, skipInvalid: true });
}

/** Names, one a line: the services, or the profiles. */
export function linesText(names: Iterable<string>): string {
  return [...names].map((name) => `${name}\n`).join('');
}

/** The stack with only the services named (none named: all of them). */
export function onlyServices(stack: Stack, names: readonly string[]): Stack {
  if (names.length === 0) return stack;
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return { ...stack, services: Object.fromEntries(Object.entries(stack.services).filter(([name]) => wanted.has(name))) };
}
