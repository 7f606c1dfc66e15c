// A wait bounded by --wait-timeout ran out: its own type, so that `scs up` exits 124 for it; and the
// wait for a required endpoint, which is bounded so.

import type { RequirementFacts } from './facts.ts';

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** Resolves once the requirement's watch has an endpoint; fails with a WaitTimeoutError after `timeoutMs`. */
export function waitForEndpoint(requirement: RequirementFacts, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = setInterval(() => {
      if (requirement.watch!.endpoints.length > 0) {
        clearInterval(check);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(check);
        reject(
          new WaitTimeoutError(
            `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${requirement.compiled.name} (--wait-timeout)`,
          ),
        );
      }
    }, 25);
  });
}
