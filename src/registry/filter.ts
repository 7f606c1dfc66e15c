import { compileGlob } from './glob.ts';
import type { AttributeFilter, Attributes } from './types.ts';

export type AttributeMatcher = (attributes: Attributes) => boolean;

/** What an empty filter compiles to: callers may skip the test for it. */
export const matchAll: AttributeMatcher = () => true;

/** Compiles a filter once, so matching a provision costs one test per filtered key. */
export function compileFilter(filter: AttributeFilter): AttributeMatcher {
  const tests = Object.entries(filter).map(([key, pattern]) => [key, compileGlob(pattern)] as const);
  if (tests.length === 0) return matchAll;
  return (attributes) => {
    for (const [key, test] of tests) {
      const value = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      if (value === undefined || !test(value)) return false;
    }
    return true;
  };
}
