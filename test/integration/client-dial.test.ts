// The client's TLS dial against TLS servers that are not disco's own, as a TLS-terminating proxy
// in front of disco would be: one that picks its certificate by the name the client sends (SNI),
// and one that asks for a client certificate in the handshake and turns a client without one down
// with an alert. (A certificate it does not trust, Node's TLS server answers by closing, with no
// alert to name; the words for that alert are tested in test/unit/client-inbound.test.ts.)

import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer, type Server, type TlsOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DiscoClient } from '../../src/client/client.ts';
import { describeSocketError, dialTls, tlsProblem } from '../../src/client/dial.ts';
import { certificatesForThisFile } from '../helpers/certs.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { quietLogger } from '../helpers/logging.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';
import { eventually } from '../helpers/wait.ts';

const certs = certificatesForThisFile();
async function tlsServer(options: TlsOptions): Promise<{ port: number; names: Array<string | false | null> }> {
  const names: Array<string | false | null> = [];
  const server: Server = createServer(options, (socket) => {
    names.push(socket.servername);
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, names };
}

describe('the TLS dial', () => {
  it('names the host it dials for SNI, so a server that picks its certificate by name finds ours', async () => {
    const context = createSecureContext({ cert: certs.pem.serverCert, key: certs.pem.serverKey });
    // Only for the right name: any other, or none, gets no certificate and no handshake.
    const { port, names } = await tlsServer({
      SNICallback: (name, done) => (name === 'localhost' ? done(null, context) : done(new Error(`no certificate for ${name}`))),
    });
    const socket = await dialTls({ host: 'localhost', port }, { ca: certs.pem.ca });
    await eventually(() => names.length > 0, 3000, 'the server to see the handshake');
    socket.destroy();
    expect(names).toEqual(['localhost']);
  });

  it('sends no name for an IP address, which SNI cannot carry', async () => {
    const { port, names } = await tlsServer({ cert: certs.pem.serverCert, key: certs.pem.serverKey });
    const socket = await dialTls({ host: '127.0.0.1', port }, { ca: certs.pem.ca });
    await eventually(() => names.length > 0, 3000, 'the server to see the handshake');
    socket.destroy();
    expect(names).toEqual([false]);
  });

  it('calls a port where nothing listens refused, not a server that speaks no TLS', async () => {
    const port = portOutsideEphemeral();
    const dialling = dialTls({ host: '127.0.0.1', port }, { ca: certs.pem.ca });
    await expect(dialling).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const failure = await dialling.catch((error: Error) => error);
    expect(describeSocketError(failure as Error, { host: '127.0.0.1', port })).toBe('connection refused (is `scs disco` running there?)');
    expect(tlsProblem(failure as Error)).toBeUndefined();
  });
});

describe('a server that asks for a client certificate in its handshake', () => {
  const asking = () =>
    tlsServer({ cert: certs.pem.serverCert, key: certs.pem.serverKey, ca: certs.pem.ca, requestCert: true, rejectUnauthorized: true });
  const connect = (port: number, tls: { ca: string; cert?: string; key?: string }) =>
    DiscoClient.connect({ host: '127.0.0.1', port, name: 'dial-test', logger: quietLogger, tls });

  it('turns down a client without one, and the client says what to give', async () => {
    const { port } = await asking();
    await expect(connect(port, { ca: certs.pem.ca })).rejects.toMatchObject({
      name: 'DiscoError',
      code: 'tls',
      message: `cannot connect to disco at 127.0.0.1:${port}: it requires a client certificate; give --tls-cert and --tls-key (or SCS_TLS_CERT and SCS_TLS_KEY)`,
    });
  });
});
