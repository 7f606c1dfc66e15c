// What a test started, stopped once it has finished, passed or failed: vitest runs these steps last
// registered first, and each one even when another has failed.

import { onTestFinished } from 'vitest';

/** Runs `step` (a close, a kill, a stop) once the current test has finished. Call it inside a test, not in a hook. */
export function onCleanup(step: () => unknown): void {
  onTestFinished(async () => {
    await step();
  });
}
