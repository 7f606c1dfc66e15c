// Issue 26 §5, through real sockets: the DNS server made over a registry that already holds 20,000
// provisions builds its zone views in slices. A disco client is answered while they are built, and
// a dig asked meanwhile gets the whole answer once they are. Told by order, never by time.

import { afterEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../src/dns/server.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { dig, startDns } from '../helpers/dns.ts';
import { WirePeer } from '../helpers/wire.ts';

const ENDPOINTS = 20_000;

let server: DiscoServer | undefined;
let dns: DnsServer | undefined;
const peers: WirePeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await dns?.close();
  await server?.close();
  dns = server = undefined;
});

describe('zone views built while clients are served', () => {
  it('answers a disco client between the slices, and a question asked meanwhile from the whole view', async () => {
    server = await startDisco({ heartbeatInterval: 5000, heartbeatTimeout: 600_000 });
    for (let i = 0; i < ENDPOINTS; i++) {
      const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      server.registry.provide({
        name: `http.s${i % 1000}.big.prod`,
        address: { host, port: 80, protocol: 'tcp' },
        attributes: {},
        owner: 't',
      });
    }
    const client = await WirePeer.session(server.address().port);
    peers.push(client);
    // 200 slices of 100 provisions, each in a turn of its own.
    const started = await startDns(server.registry, { viewSlice: 100 });
    dns = started.server;
    let whole = false;
    void dns.ready().then(() => {
      whole = true;
    });
    const asked = dig(started.port, 's7.big.prod.disco', 'A');
    const wholeAtReply: boolean[] = [];
    for (let id = 1; id <= 3; id++) {
      await client.request({ op: 'list', id, name: '*.s7.big.prod', limit: 1 });
      wholeAtReply.push(whole);
    }
    expect(wholeAtReply).toEqual([false, false, false]);
    const answer = await asked;
    expect(answer.status).toBe('NOERROR');
    expect(answer.answer).toHaveLength(ENDPOINTS / 1000);
  }, 120_000);
});
