// TLS on the protocol listener, with certificates the test makes with openssl: the client verifies
// the server, the server verifies client certificates when it has a CA, and a client that
// expects TLS at a plain server (or the reverse) fails with one sentence, at once.

import { writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DiscoClient, type DiscoClientOptions, DiscoError } from '../../src/client/client.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { certificatesForThisFile } from '../helpers/certs.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { quietLogger } from '../helpers/logging.ts';
import { eventually } from '../helpers/wait.ts';

const NAME = 'mysql.db.blog.prod';
const DB_TOKEN = 'db-token-0123456789abcdef';
const READER_TOKEN = 'reader-token-0123456789abcdef';
const certs = certificatesForThisFile();

async function server(options: { clientCa?: boolean; plain?: boolean } = {}): Promise<DiscoServer> {
  const { pem } = certs;
  const tls = options.plain ? undefined : { cert: pem.serverCert, key: pem.serverKey, ...(options.clientCa ? { ca: pem.ca } : {}) };
  const started = await startDisco(tls ? { tls } : {});
  onCleanup(() => started.close());
  return started;
}

async function connect(port: number, options: Partial<DiscoClientOptions> = {}): Promise<DiscoClient> {
  const client = await DiscoClient.connect({ host: '127.0.0.1', port, name: 'tls-test', logger: quietLogger, ...options });
  onCleanup(() => client.close());
  return client;
}

/** The error `connect` fails with. */
async function refusal(port: number, options: Partial<DiscoClientOptions>): Promise<DiscoError> {
  const error = await connect(port, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DiscoError);
  return error as DiscoError;
}

describe('TLS', () => {
  it('carries provide and require over TLS, the client verifying the server against its CA', async () => {
    const { port } = (await server()).address();
    const provider = await connect(port, { tls: { ca: certs.pem.ca } });
    const subscriber = await connect(port, { tls: { ca: certs.pem.ca } });
    const events: string[] = [];
    const watch = await subscriber.require({ name: NAME }, (event) => events.push(...event.add.map((e) => `${e.host}:${e.port}`)));
    expect(watch.endpoints).toEqual([]);
    await provider.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    await expect.poll(() => events).toEqual(['10.0.0.5:3306']);
    expect((await subscriber.list()).map((e) => e.name)).toEqual([NAME]);
  });

  it('refuses a server whose certificate another CA signed, saying so, even when told to wait for the server', async () => {
    const { port } = (await server()).address();
    const error = await refusal(port, { tls: { ca: certs.pem.otherCa }, waitForServer: true });
    expect(error.code).toBe('tls');
    expect(error.message).toMatch(/^cannot connect to disco at 127\.0\.0\.1:\d+: its certificate is not trusted \(.+\); check --tls-ca$/);
  });

  it('with a client CA, admits a client with a certificate it signed', async () => {
    const { port } = (await server({ clientCa: true })).address();
    const { pem } = certs;
    const client = await connect(port, { tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey } });
    await client.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    expect((await client.list()).map((e) => e.host)).toEqual(['10.0.0.5']);
  });

  it('with a client CA, refuses a client without a certificate, and keeps serving the others', async () => {
    const disco = await server({ clientCa: true });
    const { port } = disco.address();
    const { pem } = certs;
    const error = await refusal(port, { tls: { ca: pem.ca } });
    expect(error.code).toBe('tls');
    expect(error.message).toBe(
      `disco at 127.0.0.1:${port} refused the connection: it requires a client certificate; ` +
        'give --tls-cert and --tls-key (or SCS_TLS_CERT and SCS_TLS_KEY) with a certificate its CA signed',
    );
    expect(disco.sessionCount).toBe(0);
    const admitted = await connect(port, { tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey } });
    expect(admitted.connected).toBe(true);
  });

  it('with a client CA, refuses a client whose certificate another CA signed', async () => {
    const disco = await server({ clientCa: true });
    const { port } = disco.address();
    const { pem } = certs;
    const error = await refusal(port, { tls: { ca: pem.ca, cert: pem.strangerCert, key: pem.strangerKey } });
    expect(error.code).toBe('tls');
    expect(error.message).toMatch(
      /^disco at 127\.0\.0\.1:\d+ refused the connection: it does not trust the client certificate \(.+\); give --tls-cert/,
    );
    expect(disco.sessionCount).toBe(0);
  });

  it('tells a plain client that the server speaks only TLS', async () => {
    const { port } = (await server()).address();
    const error = await refusal(port, { waitForServer: true });
    expect(error.code).toBe('tls');
    expect(error.message).toBe(
      `disco at 127.0.0.1:${port} speaks only TLS; give --tls-ca (or SCS_TLS_CA) with the CA that signed its certificate`,
    );
  });

  it('tells a TLS client that the server speaks no TLS, and the plain server keeps serving', async () => {
    const disco = await server({ plain: true });
    const { port } = disco.address();
    const error = await refusal(port, { tls: { ca: certs.pem.ca }, waitForServer: true });
    expect(error.code).toBe('tls');
    expect(error.message).toBe(
      `cannot connect to disco at 127.0.0.1:${port}: it did not answer a TLS handshake (is it running without --tls-cert? then leave out --tls-ca)`,
    );
    expect((await connect(port)).connected).toBe(true);
  });
});

describe('a TLS server at its connection limit', () => {
  it('closes a TLS client it refuses at once, before any handshake, and keeps its connected client', async () => {
    const { pem } = certs;
    const disco = await startDisco({ tls: { cert: pem.serverCert, key: pem.serverKey }, maxConnections: 1 });
    onCleanup(() => disco.close());
    const { port } = disco.address();
    const first = await connect(port, { tls: { ca: pem.ca } });
    const refused = connectTls({ host: '127.0.0.1', port, ca: pem.ca });
    let secured = false;
    refused.once('secureConnect', () => (secured = true));
    refused.on('error', () => {});
    const line = await new Promise<string>((resolve) => {
      let text = '';
      refused.on('data', (chunk: Buffer) => (text += chunk.toString()));
      refused.on('close', () => resolve(text));
    });
    expect({ line, secured }).toEqual({ line: '', secured: false });
    await first.provide({ name: NAME, host: '10.0.0.5', port: 3306 });
    expect(first.connected).toBe(true);
  });
});

describe('closing a TLS server', () => {
  it('does not wait for a client stuck in its handshake, whose hello timeout is a minute away', async () => {
    const { pem } = certs;
    const disco = await startDisco({ tls: { cert: pem.serverCert, key: pem.serverKey }, helloTimeout: 60_000 });
    const stuck = connectTcp({ host: '127.0.0.1', port: disco.address().port });
    stuck.on('error', () => {});
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
    stuck.write(Buffer.from([0x16, 0x03, 0x01])); // The start of a ClientHello, and no more.
    const closedSocket = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    const outcome = await Promise.race([
      disco.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 20 s'), 20_000).unref()),
    ]);
    expect(outcome).toBe('closed');
    await closedSocket;
  });
});

describe('scs disco with TLS and tokens, and the commands that talk to it', () => {
  const start = (args: string[], env: Record<string, string> = {}) => {
    const process = scs(args, env);
    onCleanup(() => process.child.kill('SIGKILL'));
    return process;
  };

  it('serves provide and ls over TLS with client certificates, to the tokens of disco.yaml', async () => {
    const { files } = certs;
    writeFileSync(join(certs.dir, 'db.token'), `${DB_TOKEN}\n`);
    // Paths in disco.yaml are relative to it: the token file and the certificates sit beside it.
    const config = join(certs.dir, 'disco.yaml');
    writeFileSync(
      config,
      [
        'tls: { cert: server.pem, key: server.key, ca: ca.pem }',
        'tokens:',
        '  - tokenFile: db.token',
        '    provide: ["*.db.blog.prod"]',
        `  - token: ${READER_TOKEN}`,
        '    require: ["*.*.blog.prod"]',
        '',
      ].join('\n'),
    );
    const disco = start(['disco', '--config', config, '--listen', '127.0.0.1:0', '--dns', 'off']);
    const output = () => disco.stdout + disco.stderr;
    const port = await eventually(
      () => /listening on tcp 127\.0\.0\.1:(\d+) \(TLS, client certificates required, 2 token\(s\)\)/.exec(output())?.[1],
      15_000,
      'disco to listen',
    );
    const address = `127.0.0.1:${port}`;
    const client = ['--tls-ca', files.ca, '--tls-cert', files.clientCert, '--tls-key', files.clientKey];

    const provider = start([
      'provide',
      'mysql.db.blog.prod',
      '10.0.0.5:3306',
      '--disco',
      address,
      ...client,
      '--token-file',
      join(certs.dir, 'db.token'),
    ]);
    await eventually(() => provider.stdout.includes('providing'), 15_000, `the provider; it said ${provider.stderr}`);

    // The same settings from the environment; the token itself in SCS_TOKEN.
    const env = { SCS_DISCO: address, SCS_TLS_CA: files.ca, SCS_TLS_CERT: files.clientCert, SCS_TLS_KEY: files.clientKey };
    const listed = start(['ls', '*.*.blog.prod', '--json'], { ...env, SCS_TOKEN: READER_TOKEN });
    expect(await listed.exited).toBe(0);
    expect(JSON.parse(listed.stdout).map((e: { host: string }) => e.host)).toEqual(['10.0.0.5']);

    const everything = start(['ls'], { ...env, SCS_TOKEN: READER_TOKEN });
    expect(await everything.exited).toBe(1);
    expect(everything.stderr).toContain("this session's token may not list *.*.*.* (it may require *.*.blog.prod)");

    const unknown = start(['ls'], { ...env, SCS_TOKEN: 'guess-0123456789abcdef' });
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr).toContain('disco refused the session: the token in "hello" is not one this disco server knows');

    const plain = start(['ls', '--disco', address]);
    expect(await plain.exited).toBe(1);
    expect(plain.stderr.trim()).toMatch(
      new RegExp(`disco at ${address} speaks only TLS; give --tls-ca \\(or SCS_TLS_CA\\) with the CA that signed its certificate$`),
    );

    const noCertificate = start(['ls', '--disco', address, '--tls-ca', files.ca], { SCS_TOKEN: READER_TOKEN });
    expect(await noCertificate.exited).toBe(1);
    expect(noCertificate.stderr).toContain('refused the connection: it requires a client certificate');
  });
});
