import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher } from '../../src/client/acks.ts';
import { RequestTracker, SessionReset } from '../../src/client/requests.ts';
import { DiscoError } from '../../src/client/types.ts';
import type { Request } from '../../src/protocol/messages.ts';

const ep = (id: string) => ({ id, name: 'mysql.db.blog.prod', host: '10.0.0.5', port: 3306, protocol: 'tcp', attrs: {} });

function tracker(start = 0) {
  let now = start;
  const sent: Request[] = [];
  const requests = new RequestTracker(() => now);
  return { requests, sent, write: (message: Request) => sent.push(message), advance: (ms: number) => (now += ms) };
}

describe('requests', () => {
  it('pairs replies with requests by id, whatever the order of the replies', async () => {
    const { requests, sent, write } = tracker();
    requests.attach(write, true);
    const first = requests.request({ op: 'list' });
    const second = requests.request({ op: 'list', name: 'a.b' });
    expect(sent).toEqual([
      { op: 'list', id: 1 },
      { op: 'list', name: 'a.b', id: 2 },
    ]);
    expect(requests.onReply(2, { re: 2, ok: true, endpoints: [ep('p2')] }, undefined)).toBe(true);
    expect(requests.onReply(1, { re: 1, ok: true, endpoints: [] }, undefined)).toBe(true);
    expect(await first).toMatchObject({ re: 1, endpoints: [] });
    expect(await second).toMatchObject({ re: 2, endpoints: [{ id: 'p2' }] });
    expect(requests.onReply(1, { re: 1, ok: true }, undefined)).toBe(false); // Answered already.
  });

  it('rejects with the error code the server gave', async () => {
    const { requests, write } = tracker();
    requests.attach(write, true);
    const pending = requests.request({ op: 'unprovide', key: 'p1' });
    requests.onReply(1, { re: 1, ok: false }, { code: 'not_found', message: 'no such provision' });
    await expect(pending).rejects.toMatchObject({ name: 'DiscoError', code: 'not_found', message: 'no such provision' });
  });

  it('joins a reply in parts, running its hook once with every endpoint, on the last part', async () => {
    const { requests, write } = tracker();
    requests.attach(write, true);
    const hook = vi.fn();
    const pending = requests.request({ op: 'require', name: 'a.b', attrs: {}, key: 'r1' }, hook);
    requests.onReply(1, { re: 1, ok: true, sub: 'r2', seq: 4, endpoints: [ep('p1')], more: true }, undefined);
    requests.onReply(1, { re: 1, ok: true, endpoints: [ep('p2')], more: true }, undefined);
    expect(hook).not.toHaveBeenCalled();
    requests.onReply(1, { re: 1, ok: true, endpoints: [ep('p3')] }, undefined);
    const reply = await pending;
    expect(hook).toHaveBeenCalledTimes(1);
    expect(hook.mock.calls[0]![0]).toEqual(reply);
    expect(reply).toMatchObject({ sub: 'r2', seq: 4, more: false });
    expect((reply.endpoints as Array<{ id: string }>).map((e) => e.id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('rejects a reply part it cannot read, naming it', async () => {
    const { requests, write } = tracker();
    requests.attach(write, true);
    const pending = requests.request({ op: 'list' });
    requests.onReply(1, { re: 1, ok: true, endpoints: [ep('p1')], more: true }, undefined);
    requests.onReply(1, { re: 1, ok: true, endpoints: 'nope' }, undefined);
    await expect(pending).rejects.toMatchObject({
      code: 'bad_reply',
      message: expect.stringMatching(/^disco sent an unexpected reply part: endpoints: .+/),
    });
  });

  it('rejects a request whose reply hook throws', async () => {
    const { requests, write } = tracker();
    requests.attach(write, true);
    const pending = requests.request({ op: 'list' }, () => {
      throw new DiscoError('bad_reply', 'broken');
    });
    requests.onReply(1, { re: 1, ok: true, endpoints: [] }, undefined);
    await expect(pending).rejects.toThrow('broken');
  });

  it('holds requests made while detached, and sends them once attached', () => {
    const { requests, sent, write } = tracker();
    void requests.request({ op: 'list' });
    expect(sent).toEqual([]);
    expect(requests.size).toBe(1);
    requests.attach(write, true);
    expect(sent).toEqual([{ op: 'list', id: 1 }]);
  });

  it('after a resume, sends every unanswered request again, in the order first sent, with new ids', async () => {
    const { requests, sent, write } = tracker();
    requests.attach(write, true);
    const a = requests.request({ op: 'provide', name: 'a.b', host: 'h', port: 1, protocol: 'tcp', attrs: {}, key: 'p1' });
    const b = requests.request({ op: 'list' });
    requests.onReply(2, { re: 2, ok: true, endpoints: [ep('p1')], more: true }, undefined); // Half a reply, then the drop.
    requests.detach();
    const c = requests.request({ op: 'list', name: 'c.d' });
    sent.length = 0;
    requests.attach(write, true);
    expect(sent.map((m) => [m.op, 'id' in m ? m.id : undefined])).toEqual([
      ['provide', 3],
      ['list', 4],
      ['list', 5],
    ]);
    requests.onReply(3, { re: 3, ok: true, provision: 'p1' }, undefined);
    requests.onReply(4, { re: 4, ok: true, endpoints: [ep('p9')] }, undefined); // The half reply was forgotten.
    requests.onReply(5, { re: 5, ok: true, endpoints: [] }, undefined);
    expect(await a).toMatchObject({ provision: 'p1' });
    expect(await b).toMatchObject({ endpoints: [{ id: 'p9' }] });
    expect(await c).toMatchObject({ endpoints: [] });
  });

  it('after a new session, rejects what changed the old session with SessionReset and sends the rest', async () => {
    const { requests, sent, write } = tracker();
    requests.attach(write, true);
    const ops = ['provide', 'require', 'unprovide', 'unrequire'] as const;
    const bodies = {
      provide: { op: 'provide', name: 'a.b', host: 'h', port: 1, protocol: 'tcp', attrs: {}, key: 'p1' },
      require: { op: 'require', name: 'a.b', attrs: {}, key: 'r1' },
      unprovide: { op: 'unprovide', key: 'p1' },
      unrequire: { op: 'unrequire', key: 'r1' },
    } as const;
    const changing = ops.map((op) => requests.request(bodies[op]));
    const list = requests.request({ op: 'list' });
    requests.detach();
    sent.length = 0;
    requests.attach(write, false);
    for (const pending of changing) await expect(pending).rejects.toBeInstanceOf(SessionReset);
    expect(sent).toEqual([{ op: 'list', id: 6 }]);
    requests.onReply(6, { re: 6, ok: true, endpoints: [] }, undefined);
    await expect(list).resolves.toMatchObject({ re: 6 });
  });

  it('rejects everything, sent or waiting, when closed', async () => {
    const { requests, write } = tracker();
    requests.attach(write, true);
    const sentOne = requests.request({ op: 'list' });
    requests.detach();
    const waiting = requests.request({ op: 'list' });
    requests.rejectAll(new DiscoError('closed', 'the disco client was closed'));
    await expect(sentOne).rejects.toMatchObject({ code: 'closed' });
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect(requests.size).toBe(0);
  });

  it('can reject the requests sent while keeping those not sent yet', async () => {
    const { requests, sent, write } = tracker();
    requests.attach(write, true);
    const sentOne = requests.request({ op: 'list' });
    requests.detach();
    const waiting = requests.request({ op: 'list', name: 'a.b' });
    requests.attach(write, true); // Both in flight now, as ids 2 and 3.
    requests.detach();
    requests.attach(write, true);
    requests.rejectSent(new DiscoError('line_too_long', 'too long'));
    await expect(sentOne).rejects.toMatchObject({ code: 'line_too_long' });
    await expect(waiting).rejects.toMatchObject({ code: 'line_too_long' });
    requests.detach();
    const later = requests.request({ op: 'list' });
    requests.rejectSent(new DiscoError('line_too_long', 'too long'));
    expect(requests.size).toBe(1);
    sent.length = 0;
    requests.attach(write, true);
    expect(sent).toEqual([{ op: 'list', id: 6 }]);
    requests.onReply(6, { re: 6, ok: true, endpoints: [] }, undefined);
    await expect(later).resolves.toMatchObject({ re: 6 });
  });

  it('rejects a request unanswered past its deadline, and says when the next is due', async () => {
    const { requests, write, advance } = tracker(1000);
    requests.attach(write, true);
    const old = requests.request({ op: 'list' });
    advance(400);
    const young = requests.request({ op: 'list', name: 'a.b' });
    expect(requests.expire(1000)).toBe(2000);
    advance(600);
    expect(requests.expire(1000)).toBe(2400);
    await expect(old).rejects.toMatchObject({ code: 'timeout', message: 'disco did not answer a list request within 1000 ms' });
    requests.onReply(2, { re: 2, ok: true, endpoints: [] }, undefined);
    await expect(young).resolves.toMatchObject({ re: 2 });
    expect(requests.expire(1000)).toBeUndefined();
  });
});

describe('acks', () => {
  afterEach(() => vi.useRealTimers());

  it('sends at most one per subscription per delay, with the highest seq', () => {
    vi.useFakeTimers();
    const sent: Array<[string, number]> = [];
    const acks = new AckBatcher(50, (sub, seq) => sent.push([sub, seq]));
    for (let seq = 1; seq <= 100; seq++) acks.add('r1', seq);
    acks.add('r2', 7);
    acks.add('r1', 3); // A replay acked late does not take the ack back.
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([
      ['r1', 100],
      ['r2', 7],
    ]);
    acks.add('r1', 101);
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([
      ['r1', 100],
      ['r2', 7],
      ['r1', 101],
    ]);
  });

  it('forgets what is due when cleared', () => {
    vi.useFakeTimers();
    const sent: Array<[string, number]> = [];
    const acks = new AckBatcher(50, (sub, seq) => sent.push([sub, seq]));
    acks.add('r1', 1);
    acks.clear();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
  });
});
