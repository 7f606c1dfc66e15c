// The client's views and listings against a scripted server on loopback (fake-disco.ts): replies
// in parts, lines far over 64 KiB, paged lists, and settling after a server restart.

import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';
import { connected, ep, fakeDisco, hosts, many, NAME, watching, within } from './client-fixture.ts';
import type { Message } from './fake-disco.ts';

describe('large replies', () => {
  it('takes a require reply in parts, and a single server line far over 64 KiB', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const endpoints = many(2000);
    const requiring = client.require({ name: NAME });
    const request = await first.op('require');
    const parts = [0, 500, 1000, 1500].map((at, i) => ({
      re: request.id,
      ok: true,
      ...(i === 0 ? { sub: 'r2', seq: 0 } : {}),
      endpoints: endpoints.slice(at, at + 500),
      more: i < 3,
    }));
    first.send(...parts);
    expect((await within(requiring, 'the require')).endpoints).toHaveLength(2000);

    const listing = client.list();
    const oneLine = many(6000, 'q');
    const list = await first.op('list');
    const reply = `${JSON.stringify({ re: list.id, ok: true, endpoints: oneLine })}\n`;
    expect(Buffer.byteLength(reply)).toBeGreaterThan(512 * 1024);
    first.send(reply);
    expect(await within(listing, 'the list')).toHaveLength(6000);
  });

  it('fails a request whose reply line passes 1 MiB, instead of asking again forever, and carries on', async () => {
    const fake = await fakeDisco();
    const { logger, lines } = recordingLogger();
    const { client, first } = await connected(fake, {}, { logger });
    const listing = client.list();
    const list = await first.op('list');
    const reply = `${JSON.stringify({ re: list.id, ok: true, endpoints: many(11_000) })}\n`;
    expect(Buffer.byteLength(reply)).toBeGreaterThan(1024 * 1024);
    first.send(reply);
    await expect(within(listing, 'the list')).rejects.toMatchObject({
      code: 'line_too_long',
      message: 'disco sent a line longer than 1048576 bytes',
    });
    expect(lines('warn')).toEqual(['disco sent a line longer than 1048576 bytes; reconnecting']);
    const second = await fake.connection(1);
    await second.welcome({ resumed: true });
    const again = client.list();
    await second.answer('list', { endpoints: [ep('p1', '10.0.0.5')] });
    expect(hosts(await within(again, 'the second list'))).toEqual(['10.0.0.5']);
    expect(second.received.filter((m) => m.op === 'list')).toHaveLength(1);
    // The stream it gave up on closed after it was given up: that was no second loss.
    expect(lines('debug').filter((line) => line.includes('refused'))).toEqual([]);
    expect(client.transitions.filter((move) => move.startsWith('ready → backing-off'))).toHaveLength(1);
  });

  it('fetches every page of a list, following the cursor', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const all = many(2500);
    const listing = client.list(NAME);
    const pages: Message[] = [];
    pages.push(await first.answer('list', { endpoints: all.slice(0, 1000), next: 'c1' }));
    pages.push(await first.answer('list', { endpoints: all.slice(1000, 2000), next: 'c2' }));
    pages.push(await first.answer('list', { endpoints: all.slice(2000) }));
    expect(pages.map((p) => [p.name, p.after])).toEqual([
      [NAME, undefined],
      [NAME, 'c1'],
      [NAME, 'c2'],
    ]);
    expect((await within(listing, 'the list')).map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it('fetches a 100,000-endpoint registry page by page, each line well under 64 KiB', async () => {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const all = many(100_000);
    const PAGE = 400;
    let longest = 0;
    first.socket.on('data', () => {
      for (const request of first.received.filter((m) => m.op === 'list' && !m.answered)) {
        request.answered = true;
        const at = request.after === undefined ? 0 : Number(request.after);
        const page = {
          re: request.id,
          ok: true,
          endpoints: all.slice(at, at + PAGE),
          ...(at + PAGE < all.length ? { next: String(at + PAGE) } : {}),
        };
        const line = `${JSON.stringify(page)}\n`;
        longest = Math.max(longest, Buffer.byteLength(line));
        first.send(line);
      }
    });
    const listed = await within(client.list(), 'the list', 60_000);
    expect(listed).toHaveLength(100_000);
    expect(listed[99_999]!.id).toBe('p99999');
    expect(first.received.filter((m) => m.op === 'list')).toHaveLength(100_000 / PAGE);
    expect(longest).toBeLessThan(64 * 1024);
  }, 90_000);
});

describe('after a server restart', () => {
  /** A watch of [A, B] on a server that then restarts; returns the new session's connection. */
  async function restarted(grace: number) {
    const fake = await fakeDisco();
    const { client, first } = await connected(fake);
    const watch = await watching(client, first, 'r2', [ep('p1', '10.0.0.5'), ep('p2', '10.0.0.6')]);
    first.destroy();
    const second = await fake.connection(1);
    await second.welcome({ session: 's2', resumed: false, grace });
    return { client, second, ...watch };
  }

  it('holds an endpoint missing from the first snapshot, and tells nothing if it comes back in the grace', async () => {
    const { second, watch, events } = await restarted(5000);
    await second.answer('require', { sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] });
    await sleep(100);
    expect(events).toEqual([]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5', '10.0.0.6']);
    second.send({ op: 'changed', sub: 'r9', seq: 1, add: [ep('q2', '10.0.0.6')], drop: [] });
    await second.op('ack');
    expect(events).toEqual([]);
    expect(watch.endpoints.map((e) => e.id)).toEqual(['q1', 'q2']);
  });

  it('tells the drop of an endpoint that does not come back, once the grace has run out', async () => {
    const grace = 400;
    const { second, watch, events } = await restarted(grace);
    await second.answer('require', { sub: 'r9', seq: 0, endpoints: [ep('q1', '10.0.0.5')] });
    const snapshotAt = Date.now();
    const drop = await eventually(() => events.find((e) => e.drop.length > 0), 5000, 'the drop');
    expect(drop.at - snapshotAt).toBeGreaterThanOrEqual(grace - 10);
    expect(hosts(drop.drop)).toEqual(['10.0.0.6']);
    expect(events.flatMap((e) => e.add)).toEqual([]);
    expect(hosts(watch.endpoints)).toEqual(['10.0.0.5']);
  });
});
