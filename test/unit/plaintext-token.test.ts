// A token about to cross the network without TLS is warned about; on loopback, or under TLS, it is not.

import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { dialTcp } from '../../src/client/dial.ts';
import { tokenInPlaintext } from '../../src/client/plaintext.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { startDisco } from '../helpers/disco.ts';
import { recordingLogger } from '../helpers/logging.ts';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.200.3.4', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['db.localhost', true],
    ['128.0.0.1', false],
    ['10.0.0.5', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['db.internal', false],
    ['localhost.example.com', false],
    ['0.0.0.0', false],
    ['', false],
  ])('%s: %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});

describe('tokenInPlaintext', () => {
  const token = 'secret';
  it('warns for a token without TLS to any address off this machine, naming them', () => {
    expect(tokenInPlaintext({ host: '10.0.0.5', port: 9640, token })).toMatch(/^the token goes to disco at 10\.0\.0\.5:9640 without TLS/);
    const several = {
      host: '127.0.0.1',
      port: 1,
      addresses: [
        { host: '127.0.0.1', port: 1 },
        { host: 'fd00::5', port: 9640 },
      ],
      token,
    };
    expect(tokenInPlaintext(several)).toContain('at [fd00::5]:9640 without TLS');
  });

  it('says nothing without a token, with TLS, or on loopback', () => {
    expect(tokenInPlaintext({ host: '10.0.0.5', port: 9640 })).toBeUndefined();
    expect(tokenInPlaintext({ host: '10.0.0.5', port: 9640, token, tls: {} })).toBeUndefined();
    expect(tokenInPlaintext({ host: 'localhost', port: 9640, token, addresses: [{ host: '::1', port: 1 }] })).toBeUndefined();
  });
});

describe('a client with a token and no TLS', () => {
  let server: DiscoServer | undefined;
  let client: DiscoClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
  });

  it('warns once when one of its servers is off this machine, before dialling any', async () => {
    server = await startDisco({ tokens: [{ token: 'secret', provide: ['**'], require: ['**'] }] });
    const { logger, lines } = recordingLogger();
    // 192.0.2.1 (TEST-NET-1) is only listed: the dialler refuses anything but loopback, so no packet leaves.
    const addresses = [
      { host: '127.0.0.1', port: server.address().port },
      { host: '192.0.2.1', port: 9640 },
    ];
    const dial = (target: { host: string; port: number }) =>
      isLoopbackHost(target.host) ? dialTcp(target) : Promise.reject(new Error('not dialled in this test'));
    client = await DiscoClient.connect({ ...addresses[0]!, addresses, token: 'secret', logger, dial });
    expect(lines('warn')).toEqual([expect.stringMatching(/^the token goes to disco at 192\.0\.2\.1:9640 without TLS/)]);
  });
});
