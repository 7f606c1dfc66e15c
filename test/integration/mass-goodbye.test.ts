// Issue 26 §6, through real sockets: 100 sessions × 1,000 provisions saying bye at once, with DNS
// tombstones on, once left disco answering nothing until every drop was done. Each session's drops
// now take a turn of their own: a well-formed client is answered while they are absorbed.

import { afterEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { WirePeer } from '../helpers/wire.ts';

const SESSIONS = 100;
const EACH = 1000;

let server: DiscoServer | undefined;
let dns: DnsServer | undefined;
const peers: WirePeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await dns?.close();
  await server?.close();
  dns = server = undefined;
});

describe('a mass goodbye', () => {
  it('serves a client while 100 sessions × 1,000 provisions say bye, and buries every name', async () => {
    server = await startDisco({ heartbeatInterval: 5000, heartbeatTimeout: 600_000 });
    const port = server.address().port;
    const started = await startDns(server.registry, { tombstoneMs: 30_000 });
    dns = started.server;
    for (let s = 0; s < SESSIONS; s++) {
      const peer = await WirePeer.session(port);
      peers.push(peer);
      let lines = '';
      for (let p = 1; p <= EACH; p++) {
        lines += `${JSON.stringify({ op: 'provide', id: p, name: `e${p}.s${s}.mass.prod`, host: `10.${s}.${p >> 8}.${p & 255}`, port: 80 })}\n`;
      }
      peer.send(lines);
    }
    for (const peer of peers) expect(await peer.reply(EACH, 120_000)).toMatchObject({ ok: true });
    expect(server.registry.size).toBe(SESSIONS * EACH);

    const client = await WirePeer.session(port);
    peers.push(client);
    for (const peer of peers.slice(0, SESSIONS)) peer.send({ op: 'bye', id: EACH + 1 });
    // What the registry held as each answer came: some answers must come while drops remain.
    const heldAtAnswer: number[] = [];
    for (let id = 1; server.registry.size > 0; id++) {
      client.send({ op: 'list', id, name: '*.s0.mass.prod', limit: 1 });
      await client.reply(id, 120_000);
      heldAtAnswer.push(server.registry.size);
    }
    const meanwhile = heldAtAnswer.filter((held) => held > 0 && held < SESSIONS * EACH);
    expect(meanwhile.length).toBeGreaterThanOrEqual(10);
    for (const peer of peers.slice(0, SESSIONS)) expect(await peer.reply(EACH + 1, 10_000)).toMatchObject({ ok: true });

    // A name that went with every drop is held: NODATA (NOERROR and no answer), not NXDOMAIN.
    const held = await dig(started.port, 'mass.prod.disco', 'A');
    expect(held.status).toBe('NOERROR');
    expect(held.answer).toEqual([]);
  }, 300_000);
});
