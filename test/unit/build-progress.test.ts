import { describe, expect, it } from 'vitest';
import { BuildProgress } from '../../src/agent/build.ts';

// What the classic builder streams for a build whose second step fails, event by event.
const events = [
  'Step 1/3 : FROM scs-base:busybox',
  '---> 5f1c3b2a9d0e',
  'Step 2/3 : RUN echo compiling && echo -e "\u001b[31mfatal: no such thing\u001b[0m" && false',
  '---> Running in 0d9a7c1e22b4',
  'compiling',
  '\u001b[31mfatal: no such thing\u001b[0m',
];
const reason = "building scs/shop-web:0123 failed: The command '/bin/sh -c echo compiling && false' returned a non-zero code: 1";

describe('build progress', () => {
  it('says each step as it starts, and nothing else', () => {
    const progress = new BuildProgress(true);
    expect(events.map((text) => progress.feed(text)).filter(Boolean)).toEqual([
      'step 1/3: FROM scs-base:busybox',
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
      'step 2/3: RUN echo compiling && echo -e "\u001b[31mfatal: no such thing\u001b[0m" && false'.replace(/\u001b\[\d+m/g, ''),
    ]);
  });

  it('shows the failing step and its own output, without ANSI escapes for a file', () => {
    const progress = new BuildProgress(true);
    for (const text of events) progress.feed(text);
    const message = progress.failure('scs/shop-web:0123', reason);
    expect(message).toMatch(/^building scs\/shop-web:0123 failed at step 2\/3: RUN echo compiling/);
    expect(message).toContain("The command '/bin/sh -c echo compiling && false' returned a non-zero code: 1");
    expect(message).toContain('  | compiling\n  | fatal: no such thing');
    expect(message).not.toContain('\u001b');
    expect(message).not.toContain('5f1c3b2a9d0e');
  });

  it('keeps the escapes for a terminal', () => {
    const progress = new BuildProgress(false);
    for (const text of events) progress.feed(text);
    expect(progress.failure('scs/shop-web:0123', reason)).toContain('\u001b[31mfatal: no such thing');
  });

  it('forgets the output of the steps that passed', () => {
    const progress = new BuildProgress(true);
    for (const text of ['Step 1/2 : RUN echo first-step-output', 'first-step-output', 'Step 2/2 : RUN false']) progress.feed(text);
    expect(progress.failure('t', 'building t failed: returned a non-zero code: 1')).not.toContain('| first-step-output');
  });

  it('keeps only the last lines of a long step', () => {
    const progress = new BuildProgress(true);
    progress.feed('Step 1/1 : RUN seq 1000');
    progress.feed(Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n'));
    const message = progress.failure('t', 'failed');
    expect(message).toContain('| line 1000');
    expect(message).not.toContain('| line 900\n');
  });
});
