// Placements on a real disco (memory), over real TCP: set with `place` (all or none, conditional
// entries, who and when), read a page at a time with `placement`, watched (`placed` pushes, after the
// reply), refused by the token's scope, capped in watches, and one clear error for bad input. Then the
// client's functions, a watch surviving a cut connection included.

import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { place, readPlacements, watchPlacements } from '../../src/client/placement.ts';
import { PLACEMENT_LIMITS, type Place, type Placement } from '../../src/protocol/placement.ts';
import type { DiscoServer, DiscoServerOptions } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { eventually } from '../helpers/wait.ts';
import { WirePeer } from '../helpers/wire.ts';

/** A disco whose sessions outlive a loaded machine's pauses (the peers here do not ping). */
async function disco(options: Partial<DiscoServerOptions> = {}): Promise<DiscoServer> {
  const server = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 30_000, grace: 30_000, ...options });
  onCleanup(() => server.close());
  return server;
}

async function peer(server: DiscoServer, hello: { token?: string; client?: string } = {}): Promise<WirePeer> {
  const opened = await WirePeer.open(server.address().port);
  onCleanup(() => opened.destroy());
  const welcome = await opened.request({ op: 'hello', id: 0, version: 1, ...hello });
  expect(welcome.ok).toBe(true);
  return opened;
}

const wish = (service: string, host: string, more: Partial<Place> = {}): Place => ({ service, target: { host }, cause: 'move', ...more });
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('placement', () => {
  it('is set all at once, stamped with who and when, and read back in service name order, picked by pattern', async () => {
    const server = await disco();
    const mover = await peer(server, { client: 'scs move' });
    const placed = await mover.request({
      op: 'place',
      id: 1,
      placements: [wish('web.blog.prod', 'h2', { from: 'h1' }), wish('DB.blog.prod', 'h1', { cause: 'files', files: 'host h1' })],
    });
    expect(placed).toMatchObject({
      re: 1,
      ok: true,
      placements: [
        { service: 'web.blog.prod', target: { host: 'h2' }, from: 'h1', cause: 'move', by: 'scs move', revision: 1 },
        { service: 'db.blog.prod', target: { host: 'h1' }, cause: 'files', files: 'host h1', by: 'scs move', revision: 1 },
      ],
    });
    expect(placed.placements[0].since).toMatch(ISO);

    const observer = await peer(server);
    const all = await observer.request({ op: 'placement', id: 1 });
    expect(all.placements.map((p: Placement) => p.service)).toEqual(['db.blog.prod', 'web.blog.prod']);
    expect(all.next).toBeUndefined();
    expect(all.watch).toBeUndefined();
    // The pattern's first label (the endpoint's) is left aside.
    expect((await observer.request({ op: 'placement', id: 2, name: 'http.web.blog.prod' })).placements).toHaveLength(1);
    expect((await observer.request({ op: 'placement', id: 3, name: '*.*.blog.dev' })).placements).toEqual([]);
    expect((await observer.request({ op: 'placement', id: 4, after: 'db.blog.prod' })).placements).toHaveLength(1);

    // A hello without a client name places as "unknown"; a revision grows by one per change.
    const again = await observer.request({ op: 'place', id: 5, placements: [wish('web.blog.prod', 'h3')] });
    expect(again.placements[0]).toMatchObject({ by: 'unknown', revision: 2 });
  });

  it('is conditional on a revision: a mismatch is one conflict sentence, and the batch sets nothing', async () => {
    const server = await disco();
    const agent = await peer(server, { client: 'agent h1' });
    const claim = wish('db.blog.prod', 'h1', { cause: 'claim', revision: 0 });
    expect((await agent.request({ op: 'place', id: 1, placements: [claim] })).ok).toBe(true);
    const rival = await peer(server, { client: 'agent h2' });
    const lost = await rival.request({
      op: 'place',
      id: 1,
      placements: [wish('web.blog.prod', 'h2'), { ...claim, target: { host: 'h2' } }],
    });
    expect(lost).toEqual({
      re: 1,
      ok: false,
      error: {
        code: 'conflict',
        message:
          'db.blog.prod was not placed: it was expected at revision 0, but it is placed on host h1 now (claim, by agent h1, revision 1)',
      },
    });
    expect((await rival.request({ op: 'placement', id: 2 })).placements.map((p: Placement) => p.service)).toEqual(['db.blog.prod']);
    expect(
      (await rival.request({ op: 'place', id: 3, placements: [wish('db.blog.prod', 'h2', { revision: 1 })] })).placements,
    ).toMatchObject([{ target: { host: 'h2' }, revision: 2 }]);
  });

  it('is pushed to the watches it concerns, after the reply of the place that set it, as a placed event too', async () => {
    const server = await disco();
    const watcher = await peer(server);
    const first = await watcher.request({ op: 'placement', id: 1, name: '*.*.blog.prod', watch: true });
    expect(first).toEqual({ re: 1, ok: true, placements: [], watch: expect.stringMatching(/^w/) });
    const mover = await peer(server, { client: 'scs move' });
    await mover.request({ op: 'place', id: 1, placements: [wish('web.shop.prod', 'h1')] });
    await mover.request({ op: 'place', id: 2, placements: [wish('web.blog.prod', 'h2', { from: 'h1' })] });
    const push = await watcher.next((m) => m.op === 'placed');
    expect(push).toMatchObject({ op: 'placed', watch: first.watch, placements: [{ service: 'web.blog.prod', revision: 1 }] });
    expect(watcher.messages.filter((m) => m.op === 'placed')).toEqual([]);

    // The placer's own watch: the reply comes first.
    await watcher.request({ op: 'placement', id: 2, name: '*.web.blog.prod', watch: true });
    watcher.send({ op: 'place', id: 3, placements: [wish('web.blog.prod', 'h3')] });
    await eventually(() => watcher.messages.length >= 3, 3000, 'the reply and two pushes');
    expect(watcher.messages.map((m) => m.re ?? m.op)).toEqual([3, 'placed', 'placed']);

    const events = server.events.ring.since(0, Date.now()).filter((event) => event.kind === 'placed');
    expect(events.map(({ name, reason, detail, client }) => ({ name, reason, detail, client }))).toEqual([
      { name: 'web.shop.prod', reason: 'move', detail: 'host h1', client: 'scs move' },
      { name: 'web.blog.prod', reason: 'move', detail: 'host h2 (from h1)', client: 'scs move' },
      { name: 'web.blog.prod', reason: 'move', detail: 'host h3', client: 'unknown' },
    ]);
  });

  it(`holds at most ${PLACEMENT_LIMITS.watches} watches a session, and lets them go with its connection`, async () => {
    const server = await disco();
    const watcher = await peer(server);
    for (let id = 1; id <= PLACEMENT_LIMITS.watches; id++) {
      expect((await watcher.request({ op: 'placement', id, watch: true })).ok).toBe(true);
    }
    expect(await watcher.request({ op: 'placement', id: 99, watch: true })).toEqual({
      re: 99,
      ok: false,
      error: { code: 'overloaded', message: `this session holds its maximum of ${PLACEMENT_LIMITS.watches} placement watches` },
    });
    // A read without a watch is still answered.
    expect((await watcher.request({ op: 'placement', id: 100 })).ok).toBe(true);
    expect(server.placements.watchCount).toBe(PLACEMENT_LIMITS.watches);
    watcher.destroy();
    await eventually(() => server.placements.watchCount === 0, 3000, 'the watches to go');
  });

  it('cuts a watcher that reads nothing once its output backs up, rather than buffer for it', async () => {
    const server = await disco({ maxQueueBytes: 64 * 1024 });
    const watcher = await peer(server);
    expect((await watcher.request({ op: 'placement', id: 1, watch: true })).ok).toBe(true);
    watcher.socket.pause();
    const mover = await peer(server);
    // 96 entries of some 600 bytes fit a request's line, and make some 64 KiB of pushes: the socket's buffers fill within a few hundred.
    const batch = Array.from({ length: 96 }, (_, i) => wish(`s${i}.blog.prod`, 'h1', { files: 'x'.repeat(512) }));
    for (let id = 1; id <= 500 && server.placements.watchCount > 0; id++) {
      expect((await mover.request({ op: 'place', id, placements: batch })).ok).toBe(true);
    }
    expect(server.placements.watchCount).toBe(0);
    watcher.socket.resume();
    const cut = await watcher.next((m) => m.re === null, 10_000);
    expect(cut.error).toEqual({
      code: 'overloaded',
      message: 'this connection read too slowly for its placement watches: ask again once reconnected',
    });
    await watcher.waitClosed();
  });

  it('answers bad input with one clear error, and sets nothing', async () => {
    const server = await disco();
    const client = await peer(server);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ placements: [] }, 'bad_request', 'placements: expected at least one placement'],
      [
        { placements: [wish('web', 'h1')] },
        'bad_request',
        'placements.0.service: expected a service name like "db.blog.prod" (service.stack.environment)',
      ],
      [
        { placements: [wish('web.blog.prod', 'H_1')] },
        'bad_request',
        'placements.0.target.host: expected a host name like "h1" (letters, digits and inner hyphens, at most 63)',
      ],
      [
        { placements: [{ ...wish('web.blog.prod', 'h1'), cause: 'whim' }] },
        'bad_request',
        'placements.0.cause: expected one of files, move, claim, rollback',
      ],
      [
        { placements: [wish('web.blog.prod', 'h1'), wish('web.blog.prod', 'h2')] },
        'bad_request',
        'placements: web.blog.prod appears more than once',
      ],
      [
        { placements: [wish('web.blog.prod', 'h1', { revision: -1 })] },
        'bad_request',
        'placements.0.revision: expected a revision (a whole number, 0 for "none stored yet")',
      ],
    ];
    let id = 1;
    for (const [fields, code, message] of cases) {
      expect(await client.request({ op: 'place', id, ...fields }), message).toEqual({ re: id, ok: false, error: { code, message } });
      id++;
    }
    expect((await client.request({ op: 'placement', id, watch: 'yes' })).error.message).toBe('watch: expected "watch" to be true or false');
    expect((await client.request({ op: 'placement', id: id + 1 })).placements).toEqual([]);
  });
});

describe('placement with tokens', () => {
  const tokens = [
    { token: 'mover-token-0123', provide: [], require: [], place: ['*.*.blog.prod'] },
    { token: 'agent-token-0123', provide: ['*.db.blog.prod'], require: [] },
    { token: 'observer-token-0123', provide: [], require: [], observe: ['*.*.*.prod'] },
  ];

  it('is set only where the token may place, or claimed by an agent that may provide the service; read only by an observer', async () => {
    const server = await disco({ tokens });
    const mover = await peer(server, { token: 'mover-token-0123' });
    expect((await mover.request({ op: 'place', id: 1, placements: [wish('web.blog.prod', 'h1')] })).ok).toBe(true);
    expect(await mover.request({ op: 'place', id: 2, placements: [wish('web.blog.prod', 'h1'), wish('web.shop.prod', 'h1')] })).toEqual({
      re: 2,
      ok: false,
      error: { code: 'forbidden', message: "this session's token may not place *.web.shop.prod (it may place *.*.blog.prod)" },
    });
    expect((await mover.request({ op: 'placement', id: 3 })).error.code).toBe('forbidden');

    const agent = await peer(server, { token: 'agent-token-0123' });
    const claim = wish('db.blog.prod', 'h1', { cause: 'claim', revision: 0 });
    // Only a claim of a service nobody placed yet: not a move, not a claim at another revision, not another service.
    for (const [at, refused] of [wish('db.blog.prod', 'h1'), { ...claim, revision: 1 }, { ...claim, service: 'web.blog.prod' }].entries()) {
      const reply = await agent.request({ op: 'place', id: 10 + at, placements: [refused] });
      expect(reply.error, JSON.stringify(refused)).toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(/ \(it may place nothing\)$/),
      });
    }
    expect((await agent.request({ op: 'place', id: 4, placements: [claim] })).placements).toMatchObject([{ revision: 1 }]);

    const observer = await peer(server, { token: 'observer-token-0123' });
    expect((await observer.request({ op: 'placement', id: 1, name: '*.*.blog.prod' })).placements).toHaveLength(2);
    expect((await observer.request({ op: 'placement', id: 2 })).error.code).toBe('forbidden');
    expect((await observer.request({ op: 'place', id: 3, placements: [wish('web.blog.prod', 'h1')] })).error.code).toBe('forbidden');
  });
});

describe('the client functions', () => {
  async function client(port: number, name = 'scs-test'): Promise<DiscoClient> {
    const connected = await DiscoClient.connect({ host: '127.0.0.1', port, name, logger: quietLogger });
    onCleanup(() => connected.close());
    return connected;
  }

  it('place and read every page', async () => {
    const server = await disco();
    const mover = await client(server.address().port, 'mover');
    const services = Array.from({ length: 300 }, (_, i) => `s${String(i).padStart(3, '0')}.blog.prod`);
    for (let at = 0; at < services.length; at += PLACEMENT_LIMITS.perRequest) {
      const batch = services.slice(at, at + PLACEMENT_LIMITS.perRequest).map((service) => wish(service, 'h1', { files: 'x'.repeat(200) }));
      expect((await place(mover, batch)).map((p) => p.by)).toEqual(batch.map(() => 'mover'));
    }
    // More than one page: 300 placements of some 400 bytes each pass a page's 32 KiB.
    const observer = await WirePeer.session(server.address().port);
    onCleanup(() => observer.destroy());
    expect((await observer.request({ op: 'placement', id: 1 })).next).toBeDefined();
    expect((await readPlacements(mover)).map((p) => p.service)).toEqual(services);
    expect(await readPlacements(mover, '*.s001.blog.prod')).toHaveLength(1);
  });

  it('watch: the whole list first, then on each push, and again after a reconnect', async () => {
    const server = await disco({ heartbeatInterval: 100, heartbeatTimeout: 400 });
    const proxy = await CuttableProxy.start(server.address().port);
    onCleanup(() => proxy.close());
    const mover = await client(server.address().port, 'mover');
    await place(mover, [wish('db.blog.prod', 'h1')]);
    const watcher = await client(proxy.port);
    const told: Placement[][] = [];
    const watch = await watchPlacements(watcher, '*.*.blog.prod', (placements) => told.push(placements));
    onCleanup(() => watch.close());
    expect(told.map((list) => list.map((p) => `${p.service}@${p.target.host}`))).toEqual([['db.blog.prod@h1']]);

    await place(mover, [wish('web.blog.prod', 'h2'), wish('web.shop.prod', 'h2')]);
    await eventually(() => told.length === 2, 3000, 'the push');
    expect(watch.current().map((p) => p.service)).toEqual(['db.blog.prod', 'web.blog.prod']);

    // Cut: the session resumes on a new connection, without its watch; the client asks again.
    proxy.cut();
    await eventually(() => server.placements.watchCount === 0, 3000, 'the old watch to go');
    await place(mover, [wish('db.blog.prod', 'h3')]);
    await eventually(() => told.at(-1)?.[0]?.target.host === 'h3', 5000, 'the list read again');
    expect(server.placements.watchCount).toBe(1);
    const count = told.length;
    await place(mover, [wish('web.blog.prod', 'h4')]);
    await eventually(() => told.length === count + 1, 3000, 'a push on the new watch');
    expect(watch.current().map((p) => `${p.service}@${p.target.host}#${p.revision}`)).toEqual(['db.blog.prod@h3#2', 'web.blog.prod@h4#2']);

    watch.close();
    await place(mover, [wish('web.blog.prod', 'h5')]);
    expect((await readPlacements(mover, '*.web.blog.prod'))[0]?.target.host).toBe('h5');
    expect(told.length).toBe(count + 1);
  });
});
