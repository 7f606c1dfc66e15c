// The connection limits without sockets: which connection is refused and why, what a closed one
// gives back, and the refusal log, which a flood must not turn into a flood of log lines.

import { consola } from 'consola';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionLimits } from '../../src/server/connection-limits.ts';

function limitsOf(maxConnections: number, maxConnectionsPerSource: number) {
  const warnings: string[] = [];
  const logger = consola.create({ reporters: [{ log: (entry) => void (entry.type === 'warn' && warnings.push(entry.args.join(' '))) }] });
  return { limits: new ConnectionLimits({ maxConnections, maxConnectionsPerSource }, logger), warnings };
}

describe('connection limits', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses the connection past the total, from any source, and takes one again once one closes', () => {
    const { limits } = limitsOf(2, 10);
    expect(limits.refusal('10.0.0.1')).toBeUndefined();
    limits.opened('10.0.0.1');
    limits.opened('10.0.0.2');
    expect(limits.refusal('10.0.0.3')).toBe('the server holds its maximum of 2 connections');
    limits.closed('10.0.0.1');
    expect(limits.refusal('10.0.0.3')).toBeUndefined();
  });

  it('refuses a source past its own share while others still get in', () => {
    const { limits } = limitsOf(10, 2);
    limits.opened('10.0.0.1');
    expect(limits.refusal('10.0.0.1')).toBeUndefined();
    limits.opened('10.0.0.1');
    expect(limits.refusal('10.0.0.1')).toBe('the server holds its maximum of 2 connections from 10.0.0.1');
    expect(limits.refusal('10.0.0.2')).toBeUndefined();
    limits.closed('10.0.0.1');
    expect(limits.refusal('10.0.0.1')).toBeUndefined();
    // One closed of two: the other still counts.
    limits.opened('10.0.0.1');
    expect(limits.refusal('10.0.0.1')).toBeDefined();
    limits.closed('10.0.0.1');
    limits.closed('10.0.0.1');
    limits.opened('10.0.0.1');
    limits.opened('10.0.0.1');
    expect(limits.refusal('10.0.0.1')).toBeDefined();
  });

  it('logs the first refusal at once, then one line per 10 s that counts those in between', () => {
    const { limits, warnings } = limitsOf(1, 1);
    limits.opened('10.0.0.1');
    limits.refusal('10.0.0.2');
    expect(warnings).toEqual(['refused 1 connection(s); the last because the server holds its maximum of 1 connections']);

    vi.setSystemTime(1_000_000 + 9_999);
    limits.refusal('10.0.0.2');
    limits.refusal('10.0.0.3');
    expect(warnings).toHaveLength(1);

    vi.setSystemTime(1_000_000 + 10_000);
    limits.refusal('10.0.0.4');
    expect(warnings).toEqual([
      'refused 1 connection(s); the last because the server holds its maximum of 1 connections',
      'refused 3 connection(s); the last because the server holds its maximum of 1 connections',
    ]);

    // The count starts again after each line, and the 10 s from the last line, not the first.
    vi.setSystemTime(1_000_000 + 19_999);
    limits.refusal('10.0.0.5');
    expect(warnings).toHaveLength(2);
    vi.setSystemTime(1_000_000 + 20_000);
    limits.refusal('10.0.0.6');
    expect(warnings[2]).toBe('refused 2 connection(s); the last because the server holds its maximum of 1 connections');
  });

  it('logs nothing for a connection it lets in', () => {
    const { limits, warnings } = limitsOf(5, 5);
    for (const source of ['10.0.0.1', '10.0.0.2', '10.0.0.1']) {
      expect(limits.refusal(source)).toBeUndefined();
      limits.opened(source);
    }
    expect(warnings).toEqual([]);
  });
});
