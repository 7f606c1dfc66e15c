// How disco reaches etcd: disco.yaml's `etcd` (a list, or endpoints with TLS files and a user) under
// the --etcd* flags, paths beside disco.yaml, and each impossible mix refused in one sentence.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { EtcdConfigSchema, etcdSettings } from '../../src/server/etcd-settings.ts';

const parse = (input: unknown) => v.parse(EtcdConfigSchema, input);

describe('etcd settings', () => {
  it('takes a list of URLs, or endpoints with the files that prove this server to etcd, resolved beside disco.yaml', () => {
    expect(etcdSettings({}, parse(['http://10.0.0.9:2379']), '/etc/scs/disco.yaml')).toEqual({ endpoints: ['http://10.0.0.9:2379'] });
    const secured = parse({
      endpoints: ['https://10.0.0.9:2379'],
      ca: 'etcd/ca.pem',
      cert: 'etcd/disco.pem',
      key: '/keys/disco.key',
      user: 'disco',
      passwordFile: 'etcd/password',
    });
    expect(etcdSettings({}, secured, '/etc/scs/disco.yaml')).toEqual({
      endpoints: ['https://10.0.0.9:2379'],
      ca: '/etc/scs/etcd/ca.pem',
      cert: '/etc/scs/etcd/disco.pem',
      key: '/keys/disco.key',
      user: 'disco',
      passwordFile: '/etc/scs/etcd/password',
    });
  });

  it('takes each flag over disco.yaml, and its paths as given', () => {
    const file = parse({ endpoints: ['https://10.0.0.9:2379'], user: 'disco', passwordFile: 'password' });
    expect(
      etcdSettings(
        { etcd: 'https://127.0.0.1:2379', etcdCa: 'ca.pem', etcdCert: 'c.pem', etcdKey: 'c.key', etcdUser: 'other' },
        file,
        '/etc/scs/disco.yaml',
      ),
    ).toEqual({
      endpoints: ['https://127.0.0.1:2379'],
      ca: 'ca.pem',
      cert: 'c.pem',
      key: 'c.key',
      user: 'other',
      passwordFile: '/etc/scs/password',
    });
    expect(etcdSettings({}, undefined, undefined)).toBeUndefined();
  });

  it.each([
    ['a certificate without its key', { etcd: 'https://127.0.0.1:2379', etcdCert: 'c.pem' }, '--etcd-cert and --etcd-key go together'],
    [
      'a user without a password file',
      { etcd: 'https://127.0.0.1:2379', etcdUser: 'disco' },
      '--etcd-user and --etcd-password-file go together',
    ],
    [
      'a password file without a user',
      { etcd: 'http://127.0.0.1:2379', etcdPasswordFile: 'p' },
      '--etcd-user and --etcd-password-file go together',
    ],
    [
      'TLS files with an http:// URL',
      { etcd: 'https://a:2379,http://b:2379', etcdCa: 'ca.pem' },
      'give etcd URLs that start with https://',
    ],
    ['TLS files without etcd', { etcdCa: 'ca.pem' }, 'need --etcd'],
    ['a bad URL', { etcd: 'https://a:2379/v3' }, '--etcd: 0: expected a URL like'],
  ])('refuses %s', (_, flags, message) => {
    expect(() => etcdSettings(flags, undefined, undefined)).toThrow(UsageError);
    expect(() => etcdSettings(flags, undefined, undefined)).toThrow(message);
  });

  it('says what disco.yaml takes under etcd', () => {
    expect(() => parse('http://127.0.0.1:2379')).toThrow(
      'expected a list of etcd URLs, or { endpoints, ca, cert, key, user, passwordFile }',
    );
    expect(() => parse({ endpoints: ['http://127.0.0.1:2379'], password: 'x' })).toThrow();
    expect(() => parse({ endpoints: [] })).toThrow('expected at least one etcd URL');
  });
});
