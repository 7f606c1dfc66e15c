// The Docker Engine the integration tests use, and why they cannot run when it does not answer.

import { Engine } from '../../src/docker/engine.ts';

export const engine = new Engine();

/** Undefined when the daemon answers; else what went wrong, for the skip message. */
export const dockerProblem = await engine.ping().then(
  () => undefined,
  (error: Error) => error.message,
);
