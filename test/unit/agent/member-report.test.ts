// The agent's member report (src/agent/member-report.ts): changes coalesced to at most one record a
// second, always the latest; nothing sent again that disco already has, unless the session came back;
// a record disco refuses is not sent again until it changes, one it could not take is.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemberReport } from '../../../src/agent/member-report.ts';
import { DiscoError } from '../../../src/client/client.ts';
import type { MemberRecord } from '../../../src/protocol/member.ts';
import { record } from '../../helpers/member.ts';

let phase: MemberRecord['phase'];
let sent: MemberRecord[];
let answer: () => Promise<void>;
let warnings: string[];

function report(): MemberReport {
  return new MemberReport({
    build: () => record({ phase }),
    send: (member) => {
      sent.push(member);
      return answer();
    },
    logger: { warn: (message: string) => void warnings.push(message) },
    intervalMs: 1000,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  phase = 'starting';
  sent = [];
  warnings = [];
  answer = async () => {};
});
afterEach(() => vi.useRealTimers());

describe('MemberReport', () => {
  it('sends the first change at once, then at most one record a second, the latest', async () => {
    const member = report();
    member.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((m) => m.phase)).toEqual(['starting']);
    for (const next of ['running', 'stopping', 'running'] as const) {
      await vi.advanceTimersByTimeAsync(100);
      phase = next;
      member.changed();
    }
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toHaveLength(1);
    phase = 'failed';
    member.changed();
    await vi.advanceTimersByTimeAsync(199);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((m) => m.phase)).toEqual(['starting', 'failed']);
    member.stop();
  });

  it('sends nothing disco already has, but everything again once the session comes back', async () => {
    const member = report();
    member.changed();
    await vi.advanceTimersByTimeAsync(0);
    member.changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(1);
    member.reconnected();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    member.stop();
  });

  it('waits for a send under way, then sends what changed meanwhile', async () => {
    let release!: () => void;
    answer = () => new Promise<void>((resolve) => (release = resolve));
    const member = report();
    member.changed();
    await vi.advanceTimersByTimeAsync(0);
    phase = 'running';
    member.changed();
    await vi.advanceTimersByTimeAsync(3000);
    expect(sent).toHaveLength(1);
    answer = async () => {};
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((m) => m.phase)).toEqual(['starting', 'running']);
    member.stop();
  });

  it('sends again what disco could not take, and not what it refused', async () => {
    answer = async () => {
      throw new DiscoError('unavailable', 'etcd did not answer');
    };
    const member = report();
    member.changed();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    answer = async () => {
      throw new DiscoError('forbidden', "this session's token may not provide http.web.blog.prod");
    };
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(3);
    expect(warnings).toEqual(["disco refused this agent's member record: this session's token may not provide http.web.blog.prod"]);
    phase = 'running';
    member.changed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(4);
    member.stop();
  });

  it('sends nothing once stopped', async () => {
    const member = report();
    member.changed();
    member.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(0);
  });
});
