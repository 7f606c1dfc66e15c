import { PassThrough } from 'node:stream';
import { createConsola } from 'consola';
import { describe, expect, it } from 'vitest';
import { formatLogLine, useTimestampedLog } from '../../src/agent/timestamped-log.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

describe('agent.log lines', () => {
  it('carry the time, level and tag, without ANSI escapes, on every line of a message', () => {
    const date = new Date('2026-11-25T01:02:03.456Z');
    expect(formatLogLine({ date, type: 'info', tag: 'up', args: ['web is \u001b[32mready\u001b[39m'] })).toBe(
      '2026-11-25T01:02:03.456Z info    [up] web is ready',
    );
    expect(formatLogLine({ date, type: 'error', tag: '', args: ['failed:\n  | boom', 2] }).split('\n')).toEqual([
      '2026-11-25T01:02:03.456Z error   failed:',
      '2026-11-25T01:02:03.456Z error     | boom 2',
    ]);
  });

  it('reach the loggers tagged from it', async () => {
    const root = createConsola({ level: 3 });
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    useTimestampedLog(root, out);
    root.withTag('build').info('step 1/2: FROM scs-base:busybox');
    root.withTag('up').success('hello is up');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(ISO);
    expect(lines[0]).toContain('[build] step 1/2: FROM scs-base:busybox');
    expect(lines[1]).toContain('[up] hello is up');
  });

  it('of errors and warnings go to stderr, the others to stdout', () => {
    const root = createConsola({ level: 3 });
    const [out, err] = [new PassThrough(), new PassThrough()];
    const text = { out: '', err: '' };
    out.on('data', (chunk: Buffer) => (text.out += chunk.toString()));
    err.on('data', (chunk: Buffer) => (text.err += chunk.toString()));
    useTimestampedLog(root, out, err);
    root.info('starting');
    root.warn('slow');
    root.error('cannot reach the Docker Engine');
    expect(text.out).toMatch(/info +starting\n$/);
    expect(
      text.err
        .trimEnd()
        .split('\n')
        .map((line) => line.slice(25)),
    ).toEqual(['warn    slow', 'error   cannot reach the Docker Engine']);
  });
});
