// `scs disco`'s settings (src/server/disco-config.ts): a flag wins over disco.yaml, disco.yaml over
// the default, key by key; every mistake is one sentence naming the flag or the key.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/cidr.ts';
import { UsageError } from '../../src/errors.ts';
import type { DiscoConfig } from '../../src/server/config.ts';
import { type DiscoFlags, discoConfig } from '../../src/server/disco-config.ts';

const file = (config: DiscoConfig) => ({ path: '/etc/scs/disco.yaml', config });

const fromFile: DiscoConfig = {
  listen: { host: '0.0.0.0', port: 9000 },
  heartbeat: { interval: 2000, timeout: 8000 },
  grace: 20_000,
  limits: {
    connections: 50,
    connectionsPerSource: 5,
    helloTimeout: 3000,
    lineTimeout: 4000,
    dnsConnections: 40,
    dnsConnectionsPerSource: 4,
    dnsCacheEntries: 400_000,
    provisionsPerSession: 60,
    provisionsPerToken: 600,
    provisions: 6000,
  },
  dns: {
    listen: { host: '0.0.0.0', port: 53 },
    ttl: 10_000,
    negativeTtl: 2000,
    tombstone: 60_000,
    recursors: [{ host: '10.0.0.2', port: 53 }],
  },
  etcd: ['http://10.0.0.9:2379'],
};

describe('discoConfig', () => {
  it('takes the defaults when neither a flag nor the file says', () => {
    expect(discoConfig({})).toEqual({
      listen: { host: '127.0.0.1', port: 9640 },
      heartbeatInterval: 5000,
      heartbeatTimeout: 15_000,
      grace: 10_000,
      maxConnections: 20_000,
      maxConnectionsPerSource: 1000,
      maxProvisionsPerSession: 10_000,
      maxProvisionsPerToken: 100_000,
      maxProvisions: 1_000_000,
      helloTimeout: 10_000,
      lineTimeout: 10_000,
      dns: {
        listen: { host: '127.0.0.1', port: 8600 },
        ttl: 5,
        negativeTtl: 1,
        tombstoneMs: 30_000,
        recursors: [],
        zones: [{ name: 'disco' }],
        tcpMaxConnections: 1000,
        tcpMaxConnectionsPerSource: 100,
        cacheEntries: 50_000,
      },
    });
  });

  it('takes the file over the defaults', () => {
    // The file listens beyond loopback without tokens: allowed only when the operator says --insecure.
    expect(discoConfig({ insecure: true }, file(fromFile))).toEqual({
      insecure: true,
      listen: { host: '0.0.0.0', port: 9000 },
      heartbeatInterval: 2000,
      heartbeatTimeout: 8000,
      grace: 20_000,
      maxConnections: 50,
      maxConnectionsPerSource: 5,
      maxProvisionsPerSession: 60,
      maxProvisionsPerToken: 600,
      maxProvisions: 6000,
      helloTimeout: 3000,
      lineTimeout: 4000,
      etcd: { endpoints: ['http://10.0.0.9:2379'] },
      dns: {
        listen: { host: '0.0.0.0', port: 53 },
        ttl: 10,
        negativeTtl: 2,
        tombstoneMs: 60_000,
        recursors: [{ host: '10.0.0.2', port: 53 }],
        zones: [{ name: 'disco' }],
        tcpMaxConnections: 40,
        tcpMaxConnectionsPerSource: 4,
        cacheEntries: 400_000,
      },
    });
  });

  it('takes each flag over the file', () => {
    const flags: DiscoFlags = {
      listen: '127.0.0.1:0',
      heartbeatInterval: '1s',
      heartbeatTimeout: 3,
      grace: '500ms',
      maxConnections: '7',
      maxConnectionsPerSource: 2,
      maxProvisionsPerSession: '70',
      maxProvisionsPerToken: 700,
      maxProvisions: '7000',
      helloTimeout: '1s',
      lineTimeout: '2s',
      etcd: 'http://127.0.0.1:2379,http://127.0.0.1:2380',
      dns: '127.0.0.1:0',
      dnsTtl: 0,
      dnsNegativeTtl: '3s',
      dnsTombstone: '0',
      recursor: ['127.0.0.1:5353', '127.0.0.1:5354'],
      dnsRecursionAllow: '10.0.0.0/8',
      dnsMaxConnections: '30',
      dnsMaxConnectionsPerSource: 3,
      dnsCacheEntries: '300000',
    };
    expect(discoConfig(flags, file(fromFile))).toEqual({
      listen: { host: '127.0.0.1', port: 0 },
      heartbeatInterval: 1000,
      heartbeatTimeout: 3000,
      grace: 500,
      maxConnections: 7,
      maxConnectionsPerSource: 2,
      maxProvisionsPerSession: 70,
      maxProvisionsPerToken: 700,
      maxProvisions: 7000,
      helloTimeout: 1000,
      lineTimeout: 2000,
      etcd: { endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:2380'] },
      dns: {
        listen: { host: '127.0.0.1', port: 0 },
        ttl: 0,
        negativeTtl: 3,
        tombstoneMs: 0,
        recursors: [
          { host: '127.0.0.1', port: 5353 },
          { host: '127.0.0.1', port: 5354 },
        ],
        recursionAllow: [parseCidr('10.0.0.0/8')],
        zones: [{ name: 'disco' }],
        tcpMaxConnections: 30,
        tcpMaxConnectionsPerSource: 3,
        cacheEntries: 300_000,
      },
    });
  });

  it('turns DNS off by the flag, or by the file unless a flag gives an address', () => {
    expect(discoConfig({ dns: 'off', insecure: true }, file(fromFile)).dns).toBe('off');
    expect(discoConfig({}, file({ dns: { listen: 'off' } })).dns).toBe('off');
    expect(discoConfig({ dns: '127.0.0.1:5300' }, file({ dns: { listen: 'off' } })).dns).toMatchObject({ listen: { port: 5300 } });
  });

  it('refuses to listen beyond loopback without tokens, in one sentence, unless told --insecure', () => {
    const refusal =
      'disco will not listen on 0.0.0.0:9640 without tokens, as anyone who reaches it could provide any name (give it tokens, see docs/production.md, or say --insecure)';
    expect(() => discoConfig({ listen: '0.0.0.0:9640' })).toThrow(new UsageError(refusal));
    expect(() => discoConfig({}, file({ listen: { host: '10.0.0.5', port: 9640 } }))).toThrow(
      /^disco will not listen on 10\.0\.0\.5:9640 without tokens/,
    );
    expect(() => discoConfig({ listen: '[::]:9640' })).toThrow(/^disco will not listen on \[::\]:9640 without tokens/);
    expect(discoConfig({ listen: '0.0.0.0:9640', insecure: true })).toMatchObject({ insecure: true, listen: { host: '0.0.0.0' } });
    // Tokens, or loopback (a development server, open to local users), need no --insecure.
    const tokens = [{ token: 'inline-token-0123456789', provide: ['*.*.*.*'], require: ['*.*.*.*'], observe: [], place: [] }];
    expect(discoConfig({ listen: '0.0.0.0:9640' }, file({ tokens })).insecure).toBeUndefined();
    for (const listen of ['127.0.0.1:9640', '127.0.0.2:9640', '[::1]:9640', 'localhost:9640']) {
      expect(discoConfig({ listen }).insecure).toBeUndefined();
    }
  });

  it("resolves the file's paths beside it, and keeps the flags' as given", () => {
    const config: DiscoConfig = {
      tls: { cert: 'c.pem', key: 'k.pem', ca: '/abs/ca.pem' },
      tokens: [{ tokenFile: 'web.token', provide: [], require: ['*'], observe: ['*'], place: [] }],
    };
    const settings = discoConfig({}, file(config));
    expect(settings.tls).toEqual({ cert: join('/etc/scs', 'c.pem'), key: join('/etc/scs', 'k.pem'), ca: '/abs/ca.pem' });
    expect(settings.tokens).toEqual([
      { tokenFile: '/etc/scs/web.token', where: '/etc/scs/web.token', provide: [], require: ['*'], observe: ['*'], place: [] },
    ]);
    expect(discoConfig({ tlsCert: 'mine.pem' }, file(config)).tls).toMatchObject({ cert: 'mine.pem', key: '/etc/scs/k.pem' });
    expect(
      discoConfig({}, file({ tokens: [{ token: 'inline-token-0123456789', provide: ['a'], require: [], observe: [], place: [] }] })).tokens,
    ).toEqual([{ token: 'inline-token-0123456789', where: 'tokens.0', provide: ['a'], require: [], observe: [], place: [] }]);
  });

  it.each<[string, DiscoFlags, DiscoConfig, string]>([
    ['a listen address without a port', { listen: '127.0.0.1' }, {}, '--listen: '],
    ['a DNS address that is not one', { dns: 'nowhere' }, {}, '--dns: '],
    ['a duration that is not one', { grace: 'soon' }, {}, '--grace: "soon" is not a duration'],
    ['a DNS TTL that is not a duration', { dnsTtl: '5 seconds' }, {}, '--dns-ttl: '],
    ['a count of none', { maxConnections: '0' }, {}, '--max-connections: expected a whole number of 1 or more, not "0"'],
    ['a count that is not whole', { maxConnectionsPerSource: '1.5' }, {}, '--max-connections-per-source: expected a whole number'],
    ['a provision cap that is not a number', { maxProvisionsPerToken: 'lots' }, {}, '--max-provisions-per-token: expected a whole number'],
    ['a DNS connection cap of none', { dnsMaxConnectionsPerSource: '0' }, {}, '--dns-max-connections-per-source: expected a whole number'],
    ['a DNS cache of no replies', { dnsCacheEntries: '0' }, {}, '--dns-cache-entries: expected a whole number'],
    [
      'a heartbeat timeout within the interval',
      { heartbeatTimeout: '1s' },
      { heartbeat: { interval: 2000 } },
      '--heartbeat-timeout must be longer than --heartbeat-interval',
    ],
    ['an etcd URL with a path', { etcd: 'http://127.0.0.1:2379/v3' }, {}, '--etcd: '],
    ['a recursor that is not an address', { recursor: 'dns.example' }, {}, '--recursor: '],
    ['a network that is not one', { dnsRecursionAllow: '10.0.0.0/40' }, {}, '--dns-recursion-allow: '],
    ['a place of a network that is not one', { dnsPlace: '10.0.0.0/40,zone=a1' }, {}, '--dns-place: '],
    ['a place that names nothing', { dnsPlace: '10.0.0.0/8' }, {}, '--dns-place: "10.0.0.0/8" names no zone and no dc'],
    ['a place with another key', { dnsPlace: '10.0.0.0/8,rack=7' }, {}, '--dns-place: "rack=7" is not zone=NAME or dc=NAME'],
    ['a certificate without its key', { tlsCert: 'c.pem' }, {}, '--tls-cert and --tls-key go together: give both, or neither'],
    ['a key without its certificate', { tlsKey: 'k.pem' }, {}, '--tls-cert and --tls-key go together'],
    ['a CA without a certificate', { tlsCa: 'ca.pem' }, {}, '--tls-ca needs --tls-cert and --tls-key'],
  ])('refuses %s in one sentence naming it', (_, flags, config, message) => {
    let thrown: Error | undefined;
    try {
      discoConfig(flags, file(config));
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.message).toContain(message);
    expect(thrown?.message).not.toContain('\n');
    expect(thrown?.name).toBe('UsageError');
  });
});

describe('where DNS askers are (dns.places, --dns-place)', () => {
  it('reads the flags over disco.yaml: a network, then its zone, its dc, or both', () => {
    const config = { dns: { places: [{ network: parseCidr('10.9.0.0/16'), zone: 'z9' }] } };
    const settings = (flags: DiscoFlags) => {
      const dns = discoConfig(flags, file(config)).dns;
      return dns === 'off' ? undefined : dns.places;
    };
    expect(settings({})).toEqual([{ network: parseCidr('10.9.0.0/16'), zone: 'z9' }]);
    expect(settings({ dnsPlace: ['10.1.0.0/16,zone=us-east-1a,dc=east', 'fd00::/8, dc=west'] })).toEqual([
      { network: parseCidr('10.1.0.0/16'), zone: 'us-east-1a', dc: 'east' },
      { network: parseCidr('fd00::/8'), dc: 'west' },
    ]);
    expect(discoConfig({}, file({}))).not.toHaveProperty('dns.places');
  });
});
