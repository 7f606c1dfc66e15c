// What ends an agent, and how (src/agent/ending.ts): a signal hands the stack over unless the process
// drains on it (Ctrl-C of a foreground `scs up`); `scs down` drains.

import { describe, expect, it } from 'vitest';
import { draining, endingFor, handingOver } from '../../../src/agent/ending.ts';

describe('endingFor', () => {
  it('hands over on SIGTERM and SIGINT by default, as `scs agent` does', () => {
    expect(endingFor('SIGTERM')).toEqual(handingOver('SIGTERM'));
    expect(endingFor('SIGINT')).toEqual(handingOver('SIGINT'));
  });

  it('drains on the signals named (SIGINT in a foreground scs up), and hands over on the others', () => {
    expect(endingFor('SIGINT', ['SIGINT'])).toEqual({ drain: true, why: 'SIGINT', volumes: false });
    expect(endingFor('SIGTERM', ['SIGINT'])).toEqual({ drain: false, why: 'SIGTERM' });
  });

  it('hands over when told to stop without a signal named', () => {
    expect(endingFor(undefined)).toEqual(handingOver('asked to stop'));
    expect(draining('scs down', true)).toEqual({ drain: true, why: 'scs down', volumes: true });
  });
});
