// A session handed from one client process to the next (an agent killed and restarted by its
// supervisor): the successor resumes it from the record its predecessor kept, takes over what it
// provided and required, and lets go of the rest. Against a real server, over real sockets.

import { createConnection, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, type SessionRecord, type WatchEvent } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually, sleep } from '../helpers/wait.ts';

const WEB = { name: 'http.web.hello.dev', host: '10.0.0.5', port: 8080, attrs: { zone: 'a', az: 'b' } };
const OLD = { name: 'http.old.hello.dev', host: '10.0.0.6', port: 8080 };

/** A client whose process can be "killed": its socket dies and it never dials again, so it never says goodbye. */
async function killable(server: DiscoServer, options: Partial<DiscoClientOptions> = {}) {
  let dead = false;
  let socket: Socket | undefined;
  const client = await DiscoClient.connect({
    host: '127.0.0.1',
    port: server.address().port,
    logger: quietLogger,
    backoffMinMs: 20,
    backoffMaxMs: 50,
    dial: (target) =>
      dead
        ? Promise.reject(new Error('killed'))
        : new Promise((resolve, reject) => {
            const opened = createConnection(target.port, target.host);
            opened.once('connect', () => resolve((socket = opened)));
            opened.once('error', reject);
          }),
    ...options,
  });
  onCleanup(() => client.close());
  return {
    client,
    kill: async () => {
      dead = true;
      socket?.destroy();
      await eventually(() => client.state === 'backing-off' || client.state === 'connecting', 2000, 'the client to lose its connection');
    },
  };
}

async function watcher(server: DiscoServer, name: string) {
  const events: WatchEvent[] = [];
  const client = await DiscoClient.connect({ host: '127.0.0.1', port: server.address().port, logger: quietLogger });
  onCleanup(() => client.close());
  const watch = await client.require({ name }, (event) => events.push(event));
  return { events, watch };
}

describe('a session handed to a successor', () => {
  it('keeps provisions and subscriptions: nobody watching sees a drop or an add, and what is not taken over is let go', async () => {
    const server = await startDisco({ grace: 5000 });
    const records: SessionRecord[] = [];
    const first = await killable(server, { onRecord: (record) => records.push(record) });
    const web = await first.client.provide(WEB);
    await first.client.provide(OLD);
    const upstream = await first.client.require({ name: WEB.name });
    expect(upstream.endpoints).toHaveLength(1);
    const seen = await watcher(server, WEB.name);
    const seenOld = await watcher(server, OLD.name);

    const record = records.at(-1)!;
    expect(record.session).toBe(first.client.sessionId);
    expect(Object.values(record.provisions)).toEqual([WEB, OLD]);
    expect(Object.values(record.watches)).toEqual([{ name: WEB.name }]);
    await first.kill();

    const next: SessionRecord[] = [];
    const second = await killable(server, { resume: record, onRecord: (r) => next.push(r) });
    expect(second.client.sessionId).toBe(record.session);
    // The same spec, its attributes in another order: the same provision.
    const again = await second.client.provide({ ...WEB, attrs: { az: 'b', zone: 'a' } });
    expect(again.id).toBe(web.id);
    const events: WatchEvent[] = [];
    const watch = await second.client.require({ name: WEB.name }, (event) => events.push(event));
    expect(watch.endpoints.map((e) => e.id)).toEqual([web.id]);
    // Until released, what was not taken over stays on record, and registered.
    expect(Object.values(next.at(-1)!.provisions)).toEqual(expect.arrayContaining([WEB, OLD]));

    await second.client.releaseUnclaimed();
    await eventually(() => seenOld.events.length > 0, 2000, 'the old endpoint to be dropped');
    expect(seenOld.events).toEqual([{ add: [], drop: [expect.objectContaining({ host: OLD.host })], endpoints: [] }]);
    expect(Object.values(next.at(-1)!.provisions)).toEqual([WEB]);
    expect(Object.values(next.at(-1)!.watches)).toEqual([{ name: WEB.name }]);
    await sleep(200);
    expect(seen.events).toEqual([]);
    expect(events).toEqual([]);
    expect(server.sessionCount).toBe(3);
  });

  it('opens a new session when the one kept ended (away longer than the grace), and provides again', async () => {
    const server = await startDisco({ grace: 200 });
    const records: SessionRecord[] = [];
    const first = await killable(server, { onRecord: (record) => records.push(record) });
    await first.client.provide(WEB);
    const seen = await watcher(server, WEB.name);
    await first.kill();
    await eventually(() => seen.events.length > 0, 3000, 'the endpoint to be dropped after the grace');

    const second = await killable(server, { resume: records.at(-1)! });
    expect(second.client.sessionId).not.toBe(records.at(-1)!.session);
    await second.client.provide(WEB);
    await second.client.releaseUnclaimed();
    await eventually(() => seen.events.length > 1, 2000, 'the endpoint to come back');
    expect(seen.events.map((e) => [e.add.length, e.drop.length])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
});
