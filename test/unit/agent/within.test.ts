import { describe, expect, it } from 'vitest';
import { settlesWithin } from '../../../src/agent/within.ts';

describe('settlesWithin: how long teardown waits for disco', () => {
  it('says whether the work settled in time, and passes a rejection on', async () => {
    expect(await settlesWithin(Promise.resolve(1), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 20)).toBe(false);
    await expect(settlesWithin(Promise.reject(new Error('no')), 50)).rejects.toThrow('no');
  });
});
