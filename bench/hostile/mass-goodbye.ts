// Issue 26 §6: 100 sessions × 1,000 provisions each say `bye` at once, with DNS tombstones on (the
// default). Measures how long the 100,000 drops take to be absorbed (out of the registry, the DNS
// views and the tombstones, all in the same turns) and the longest a well-formed client waits for an
// answer meanwhile; the target is under 1 s for both. The CPU time this process spent meanwhile (the
// peers' side included) is printed too: on a shared machine it says what the wall time cannot. DNS
// is in use: a question is answered before the goodbye, so the zone's view is there to be kept (a
// server never asked once built none before its views were made with it).

import { DnsServer } from '../../src/dns/server.ts';
import { DiscoServer } from '../../src/server/server.ts';
import { rawUdp, wireQuery } from '../../test/helpers/dns.ts';
import { quietLogger } from '../../test/helpers/logging.ts';
import { WirePeer } from '../../test/helpers/wire.ts';
import type { Attack } from './attack.ts';

const SESSIONS = 100;
const EACH = 1000;

const attack: Attack = {
  name: 'mass-goodbye',
  replays: `${SESSIONS} sessions × ${EACH.toLocaleString('en')} provisions say bye at once, DNS tombstones on`,
  before: '47 s serving nothing for 100 × 1,000 byes; 1.6 s once bury was linear',
  target: '100,000 drops absorbed in under 1 s, a client never waiting 1 s',
  async run() {
    const server = new DiscoServer({ host: '127.0.0.1', port: 0, heartbeatInterval: 5000, heartbeatTimeout: 600_000, logger: quietLogger });
    await server.listen();
    const dns = new DnsServer(server.registry, { host: '127.0.0.1', port: 0, logger: quietLogger, tombstoneMs: 30_000 });
    const { udp } = await dns.listen();
    const port = server.address().port;
    const peers: WirePeer[] = [];
    try {
      for (let s = 0; s < SESSIONS; s++) {
        const peer = await WirePeer.session(port);
        let lines = '';
        for (let p = 1; p <= EACH; p++) {
          lines += `${JSON.stringify({ op: 'provide', id: p, name: `e${p}.s${s}.mass.prod`, host: `10.${s}.${p >> 8}.${p & 255}`, port: 80 })}\n`;
        }
        peer.send(lines);
        peers.push(peer);
      }
      for (const peer of peers) await peer.reply(EACH, 600_000);
      const client = await WirePeer.session(port);
      peers.push(client);
      await rawUdp(udp.port, wireQuery('s0.mass.prod.disco', 1, { edns: { size: 1232 } }), 600_000);

      const cpu = process.cpuUsage();
      const start = performance.now();
      for (const peer of peers.slice(0, SESSIONS)) peer.send({ op: 'bye', id: EACH + 1 });
      let longestWait = 0;
      for (let id = 1; server.registry.size > 0; id++) {
        const asked = performance.now();
        client.send({ op: 'list', id, name: '*.s0.mass.prod', limit: 1 });
        await client.reply(id, 600_000);
        longestWait = Math.max(longestWait, performance.now() - asked);
      }
      const absorbed = performance.now() - start;
      const { user, system } = process.cpuUsage(cpu);
      const drops = (SESSIONS * EACH).toLocaleString('en');
      const figure = `${(absorbed / 1000).toFixed(2)} s to absorb ${drops} drops (CPU ${((user + system) / 1e6).toFixed(2)} s); a client waited at most ${longestWait.toFixed(0)} ms`;
      return { figure, met: absorbed < 1000 && longestWait < 1000 };
    } finally {
      for (const peer of peers) peer.destroy();
      await dns.close();
      await server.close();
    }
  },
};

export default attack;
