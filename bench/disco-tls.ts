// npm run bench:disco-tls — what TLS and tokens cost the disco protocol: sessions opened per second
// (connect, handshake, hello) and provides per second on one session, over plain TCP, over TLS, and
// over TLS with client certificates and a token. The server runs in this process, on loopback, with
// certificates made by openssl for the run.

import { consola } from 'consola';
import { DiscoClient, type DiscoClientOptions } from '../src/client/client.ts';
import { DiscoServer, type DiscoServerOptions } from '../src/server/server.ts';
import { makeCertificates } from '../test/helpers/certs.ts';
import { printTable, summarize } from './lib/stats.ts';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const PROVIDES = Number(process.env.BENCH_PROVIDES ?? 5000);
const TOKEN = 'bench-token-0123456789abcdef';
const quiet = consola.create({ level: -999 });

interface Setup {
  name: string;
  server: Partial<DiscoServerOptions>;
  client: Partial<DiscoClientOptions>;
}

async function measure(setup: Setup): Promise<Array<string | number>> {
  const server = new DiscoServer({ host: '127.0.0.1', port: 0, logger: quiet, ...setup.server });
  const { port } = await server.listen();
  const options = { host: '127.0.0.1', port, logger: quiet, ...setup.client };
  try {
    // Sessions one after another: each pays the whole connect, handshake and hello.
    const times: number[] = [];
    const started = performance.now();
    for (let i = 0; i < SESSIONS; i++) {
      const t0 = performance.now();
      const client = await DiscoClient.connect(options);
      times.push(performance.now() - t0);
      await client.close();
    }
    const sessionsPerSecond = SESSIONS / ((performance.now() - started) / 1000);
    const open = summarize(times.sort((a, b) => a - b));

    const client = await DiscoClient.connect(options);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PROVIDES }, (_, i) => client.provide({ name: `e${i}.db.blog.prod`, host: '10.0.0.1', port: 1 + (i % 60000) })),
    );
    const providesPerSecond = PROVIDES / ((performance.now() - t0) / 1000);
    await client.close();
    return [setup.name, Math.round(sessionsPerSecond), open.p50.toFixed(2), open.p99.toFixed(2), Math.round(providesPerSecond)];
  } finally {
    await server.close();
  }
}

const certs = makeCertificates();
try {
  const { pem } = certs;
  const tls = { cert: pem.serverCert, key: pem.serverKey };
  const setups: Setup[] = [
    { name: 'plain TCP', server: {}, client: {} },
    { name: 'TLS', server: { tls }, client: { tls: { ca: pem.ca } } },
    {
      name: 'TLS + client cert + token',
      server: { tls: { ...tls, ca: pem.ca }, tokens: [{ token: TOKEN, provide: ['*.db.blog.prod'], require: ['*.*.blog.prod'] }] },
      client: { tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey }, token: TOKEN },
    },
  ];
  const rows: Array<Array<string | number>> = [];
  for (const setup of setups) rows.push(await measure(setup));
  printTable(
    `disco protocol: ${SESSIONS} sessions opened one by one, then ${PROVIDES} provides on one session (loopback, one process)`,
    ['transport', 'sessions/s', 'open p50 ms', 'open p99 ms', 'provides/s'],
    rows,
  );
} finally {
  certs.remove();
}
