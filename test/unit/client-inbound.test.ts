// The client's edge: what it makes of each line a server sends, and the sentence it gives for a
// socket or TLS failure. Pure functions, without a server.

import { describe, expect, it } from 'vitest';
import { describeSocketError, tlsProblem } from '../../src/client/dial.ts';
import { parseReply, readServerLine } from '../../src/client/inbound.ts';
import { provideReplySchema } from '../../src/protocol/messages.ts';

const failure = (code: string | undefined, message = 'it failed') => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('a line from the server', () => {
  it('is a reply when it has "re", with its error when not ok', () => {
    expect(readServerLine('{"re":3,"ok":true,"provision":"p1"}')).toEqual({
      kind: 'reply',
      re: 3,
      fields: { re: 3, ok: true, provision: 'p1' },
      error: undefined,
    });
    expect(readServerLine('{"re":null,"ok":false,"error":{"code":"parse_error","message":"line is not valid JSON"}}')).toEqual({
      kind: 'reply',
      re: null,
      fields: { re: null, ok: false, error: { code: 'parse_error', message: 'line is not valid JSON' } },
      error: { code: 'parse_error', message: 'line is not valid JSON' },
    });
  });

  it('is a push otherwise', () => {
    expect(readServerLine('{"op":"shutdown","reason":"bye"}')).toEqual({ kind: 'push', push: { op: 'shutdown', reason: 'bye' } });
  });

  it('is ignored, with a warning that says why, when it is not JSON', () => {
    expect(readServerLine('{"re":1,')).toEqual({ kind: 'unreadable', warning: 'disco sent a line that is not JSON; ignoring it' });
  });

  it('is ignored, with a warning that names the field, when it is neither reply nor push', () => {
    expect(readServerLine('{"re":3,"ok":"yes"}')).toEqual({
      kind: 'unreadable',
      warning: 'disco sent an unexpected message (ok: expected true or false); ignoring it',
    });
    expect(readServerLine('{"op":"what"}')).toMatchObject({
      kind: 'unreadable',
      warning:
        'disco sent an unexpected message (op: expected "changed", "resync", "ping", "pong", "shutdown", "event", "placed", "instances-changed" or "events-end"); ignoring it',
    });
  });

  it('is ignored, not thrown on, when it is JSON but no object', () => {
    for (const line of ['5', 'null', '"re"', '[1]', 'true']) {
      expect(readServerLine(line)).toMatchObject({
        kind: 'unreadable',
        warning: expect.stringMatching(/^disco sent an unexpected message/),
      });
    }
  });
});

describe('a reply of the wrong shape', () => {
  it('fails with bad_reply, naming the field', () => {
    expect(parseReply(provideReplySchema, { provision: 'p1' })).toEqual({ provision: 'p1' });
    expect(() => parseReply(provideReplySchema, { provision: 7 })).toThrow(
      expect.objectContaining({
        name: 'DiscoError',
        code: 'bad_reply',
        message: 'disco sent an unexpected reply: provision: expected a string',
      }),
    );
  });
});

describe('the sentence for a socket that failed', () => {
  const where = { host: 'disco.internal', port: 9640 };

  it('says what a refused connection and an unknown host mean', () => {
    expect(describeSocketError(failure('ECONNREFUSED'), where)).toBe('connection refused (is `scs disco` running there?)');
    expect(describeSocketError(failure('ENOTFOUND'), where)).toBe('unknown host disco.internal');
  });

  it("names a certificate problem, and otherwise gives the system's own words", () => {
    expect(describeSocketError(failure('CERT_HAS_EXPIRED', 'certificate has expired'), where)).toBe(
      'its certificate is not trusted (certificate has expired); check --tls-ca',
    );
    expect(describeSocketError(failure('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.9:9640'), where)).toBe(
      'connect EHOSTUNREACH 10.0.0.9:9640',
    );
    expect(describeSocketError(failure(undefined, 'socket hang up'), where)).toBe('socket hang up');
  });
});

describe('a TLS problem', () => {
  it('is none without an error, or for an error that is not about TLS', () => {
    expect(tlsProblem(undefined)).toBeUndefined();
    expect(tlsProblem(failure('ECONNRESET'))).toBeUndefined();
    expect(tlsProblem(failure(undefined))).toBeUndefined();
  });

  it('names each way a server can turn down our certificate, and only those', () => {
    expect(tlsProblem(failure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toBe(
      'it requires a client certificate; give --tls-cert and --tls-key (or SCS_TLS_CERT and SCS_TLS_KEY)',
    );
    for (const code of [
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      'ERR_SSL_TLSV1_ALERT_CERTIFICATE_UNKNOWN',
      'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
    ]) {
      expect(tlsProblem(failure(code, 'alert'))).toBe('it refused our client certificate (alert)');
    }
    for (const code of ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA_X', 'X_ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_TLSV12_ALERT_UNKNOWN_CA']) {
      expect(tlsProblem(failure(code))).toBeUndefined();
    }
  });

  it('names every kind of untrusted server certificate', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_SIGNATURE_FAILURE',
      'CERT_HAS_EXPIRED',
      'CERT_NOT_YET_VALID',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) {
      expect(tlsProblem(failure(code, 'why'))).toBe('its certificate is not trusted (why); check --tls-ca');
    }
  });
});
