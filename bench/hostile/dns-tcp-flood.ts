// One DNS-over-TCP connection sends 10,000 queries and reads none of the answers: what the server
// holds for it (bytes read and not answered, answers not sent) and how much the process grows.

import { connect } from 'node:net';
import { consola } from 'consola';
import { DnsServer } from '../../src/dns/server.ts';
import { Registry } from '../../src/registry/registry.ts';
import { framed, wireQuery } from '../../test/helpers/dns.ts';
import type { Attack } from './attack.ts';

const QUERIES = 10_000;
const HELD_TARGET = 512 * 1024;

const attack: Attack = {
  name: 'dns-tcp-flood',
  replays: `one TCP connection sends ${QUERIES.toLocaleString('en')} queries for a name of 60 endpoints and reads nothing`,
  before: '+400 MiB for one connection with 10,000 unread queries',
  target: 'at most 512 KiB held for the connection',
  async run() {
    const registry = new Registry();
    for (let i = 0; i < 60; i++) {
      registry.provide({
        name: 'mysql.db.big.prod',
        address: { host: `10.0.1.${i}`, port: 3306, protocol: 'tcp' },
        attributes: {},
        owner: 'b',
      });
    }
    const server = new DnsServer(registry, { host: '127.0.0.1', port: 0, logger: consola.create({ level: -999 }) });
    const { tcp } = await server.listen();
    const rssBefore = process.memoryUsage().rss;
    const socket = connect({ host: '127.0.0.1', port: tcp.port });
    socket.on('error', () => {});
    socket.pause();
    await new Promise((resolve) => socket.once('connect', resolve));
    const query = framed(wireQuery('_mysql._tcp.db.big.prod.disco', 33, { id: 1 }));
    socket.write(Buffer.concat(Array.from({ length: QUERIES }, () => query)));
    let held = 0;
    let rss = 0;
    // Three seconds: far longer than answering all 10,000 takes when nothing stops the server.
    for (let sample = 0; sample < 300; sample++) {
      held = Math.max(held, server.tcpLoad.heldBytes);
      rss = Math.max(rss, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    socket.destroy();
    await server.close();
    const grew = (rss - rssBefore) / 2 ** 20;
    return {
      figure: `${Math.round(held / 1024)} KiB held at most; process +${grew.toFixed(0)} MiB`,
      met: held <= HELD_TARGET,
    };
  },
};

export default attack;
