// 1,000 raw TCP sockets from 20 loopback sources to a TLS disco whose caps are 10 per source and 50
// in total, none of which ever begins a handshake: how many the server still holds once the refused
// ones are closed.

import { connect, type Socket } from 'node:net';
import { consola } from 'consola';
import { DiscoServer } from '../../src/server/server.ts';
import { makeCertificates } from '../../test/helpers/certs.ts';
import type { Attack } from './attack.ts';

const SOCKETS = 1000;
const SOURCES = 20;
const CAPS = { maxConnections: 50, maxConnectionsPerSource: 10 };

const attack: Attack = {
  name: 'tls-sockets',
  replays: `${SOCKETS} raw sockets from ${SOURCES} loopback addresses to a TLS disco with caps of 10 per source and 50 in total`,
  before: '1,000 TLS sockets open past caps of 10 per source, 50 in total',
  target: 'at most 50 sockets held by the server',
  async run() {
    const certs = makeCertificates();
    const server = new DiscoServer({
      host: '127.0.0.1',
      port: 0,
      logger: consola.create({ level: -999 }),
      tls: { cert: certs.pem.serverCert, key: certs.pem.serverKey },
      ...CAPS,
    });
    const { port } = await server.listen();
    const sockets: Socket[] = [];
    try {
      for (let at = 0; at < SOCKETS; at++) {
        const socket = connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${2 + (at % SOURCES)}` });
        socket.on('error', () => {});
        sockets.push(socket);
      }
      await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('connect', resolve).once('close', resolve))));
      // A refused socket is closed at once; give the closes a second to land, well inside the 10 s hello timeout.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const held = await server.openSockets();
      return { figure: `${held} sockets held for ${SOCKETS} opened`, met: held <= CAPS.maxConnections };
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
      certs.remove();
    }
  },
};

export default attack;
