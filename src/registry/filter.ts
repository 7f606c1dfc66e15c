import type { AttributeFilter, Attributes } from './types.ts';

export type AttributeMatcher = (attributes: Attributes) => boolean;

const matchAll: AttributeMatcher = () => true;

function valueMatcher(pattern: string): (value: string) => boolean {
  // Stryker disable next-line ConditionalExpression,StringLiteral: without this shortcut the glob path (escaped, anchored) matches exactly the same strings, only more slowly
  if (!pattern.includes('*')) return (value) => value === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

/** Compiles a filter once, so matching a provision costs one test per filtered key. */
export function compileFilter(filter: AttributeFilter): AttributeMatcher {
  const tests = Object.entries(filter).map(([key, pattern]) => [key, valueMatcher(pattern)] as const);
  if (tests.length === 0) return matchAll;
  return (attributes) => {
    for (const [key, test] of tests) {
      const value = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      if (value === undefined || !test(value)) return false;
    }
    return true;
  };
}
