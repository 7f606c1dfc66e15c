// 8,000 queries for names outside the zones, forwarded to an upstream on loopback that never
// answers: the descriptors disco opens for them, and how many are answered SERVFAIL at once.

import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { consola } from 'consola';
import { POOL_SOCKETS } from '../../src/dns/forward.ts';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { wireQuery } from '../../test/helpers/dns.ts';
import type { Attack } from './attack.ts';

const QUERIES = 8000;
const openFds = () => readdirSync('/proc/self/fd').length;

const attack: Attack = {
  name: 'forward-flood',
  replays: `${QUERIES.toLocaleString('en')} forwarded queries to a silent upstream on loopback`,
  before: '8,028 descriptors for 8,000 forwards; disco clients refused under ulimit 1024',
  target: `at most ${POOL_SOCKETS} descriptors for the forwards; SERVFAIL at once past the cap`,
  async run() {
    const upstream = createSocket('udp4');
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    const server = new DnsServer(new Registry(), {
      host: '127.0.0.1',
      port: 0,
      logger: consola.create({ level: -999 }),
      recursors: [{ host: '127.0.0.1', port: upstream.address().port }],
    });
    const { udp } = await server.listen();
    const client = createSocket('udp4');
    let servFails = 0;
    client.on('message', (reply) => void ((reply[3]! & 0x0f) === 2 && servFails++));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    const before = openFds();
    let most = 0;
    for (let id = 0; id < QUERIES; id++) {
      client.send(wireQuery(`host${id}.example.test`, 1, { id }), udp.port, '127.0.0.1');
      if (id % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, openFds() - before);
    }
    // Within the 2 s forward timeout: what SERVFAILs by now came at once, past the cap.
    await new Promise((resolve) => setTimeout(resolve, 500));
    most = Math.max(most, openFds() - before);
    const { inFlight } = server.forwardLoad;
    await server.close();
    client.close();
    upstream.close();
    return {
      figure: `${most} descriptors opened at most; ${inFlight} waiting, ${servFails.toLocaleString('en')} SERVFAIL within 0.5 s`,
      met: most <= POOL_SOCKETS,
    };
  },
};

export default attack;
