// Every wait of the CLI on its agent is bounded, and says what it waited for when it gives up (exit 124).

import { describe, expect, it } from 'vitest';
import { agentBudgetMs, BUILD_ALLOWANCE_MS, waitedFor } from '../../../src/agent/cli-wait.ts';
import { EXIT, exitCodeOf } from '../../../src/errors.ts';

describe('a wait of the CLI on the agent', () => {
  it('gives up, naming what it waited for, with exit 124', async () => {
    const never = new Promise<void>(() => {});
    const error = await waitedFor(never, 20, 'the agent (pid 42) to bring the stack up').catch((e: Error) => e);
    expect((error as Error).message).toBe('gave up after 0 s waiting for the agent (pid 42) to bring the stack up');
    expect(exitCodeOf(error)).toBe(EXIT.timeout);
  });

  it('passes on what the agent answered, or its error, when it answers in time', async () => {
    expect(await waitedFor(Promise.resolve('up'), 1000, 'x')).toBe('up');
    await expect(waitedFor(Promise.reject(new Error('refused')), 1000, 'x')).rejects.toThrow('refused');
  });

  it('allows the builds, then each service its --wait-timeout', () => {
    expect(agentBudgetMs(60_000, 2)).toBe(BUILD_ALLOWANCE_MS + 180_000);
  });
});
