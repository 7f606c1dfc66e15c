// disco.yaml is checked at the edge like the manifests: every mistake names the file, the line,
// the key path and what was expected, at the top level as well as below it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadYamlFile } from '../../src/config/yaml.ts';
import { DiscoConfigSchema } from '../../src/server/config.ts';

function load(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'scs-disco-config-')), 'disco.yaml');
  writeFileSync(file, text);
  return () => loadYamlFile(file, DiscoConfigSchema);
}

describe('disco.yaml', () => {
  it('reads a full config', () => {
    const config = load(
      'listen: 127.0.0.1:9640\nheartbeat: { interval: 1s, timeout: 3s }\ngrace: 10s\ndns:\n  listen: "off"\n  negativeTtl: 1s\n  tombstone: 30s\n  zones:\n    - name: disco\n',
    )();
    expect(config).toEqual({
      listen: { host: '127.0.0.1', port: 9640 },
      heartbeat: { interval: 1000, timeout: 3000 },
      grace: 10_000,
      dns: { listen: 'off', negativeTtl: 1000, tombstone: 30_000, zones: [{ name: 'disco' }] },
    });
  });

  it('reads where DNS askers are, by network', () => {
    const config = load(
      'dns:\n  places:\n    - { network: 10.1.0.0/16, zone: us-east-1a, dc: east }\n    - { network: "fd00::/8", dc: west }\n',
    )();
    expect(config.dns?.places).toEqual([
      { network: { address: '10.1.0.0', prefix: 16, family: 'ipv4' }, zone: 'us-east-1a', dc: 'east' },
      { network: { address: 'fd00::', prefix: 8, family: 'ipv6' }, dc: 'west' },
    ]);
  });

  it('reads a bare number as seconds, as Compose does', () => {
    expect(load('grace: 10\nheartbeat: { interval: "1.5", timeout: 1m30s }\n')()).toMatchObject({
      grace: 10_000,
      heartbeat: { interval: 1500, timeout: 90_000 },
    });
  });

  it.each([
    ['an unknown top-level key', 'listen: 127.0.0.1:9640\ngrase: 10s\n', /disco\.yaml:2 grase: unknown key \(did you mean "grace"\?\)$/],
    ['an unknown top-level key with nothing like it', 'upstream: 127.0.0.1:53\n', /disco\.yaml:1 upstream: unknown key$/],
    [
      'an unknown key under heartbeat',
      'heartbeat:\n  interval: 1s\n  timout: 3s\n',
      /disco\.yaml:3 heartbeat\.timout: unknown key \(did you mean "timeout"\?\)$/,
    ],
    [
      'an unknown key in a zone',
      'dns:\n  zones:\n    - name: disco\n      filtr: { az: a }\n',
      /disco\.yaml:4 dns\.zones\.0\.filtr: unknown key \(did you mean "filter"\?\)$/,
    ],
    ['a list at the top level', '- listen: 127.0.0.1:9640\n', /disco\.yaml: expected keys and values at the top level, found a list$/],
    [
      'text at the top level',
      'listen 127.0.0.1:9640\n',
      /disco\.yaml: expected keys and values at the top level, found the text "listen 127\.0\.0\.1:9640"$/,
    ],
  ])('refuses %s', (_, text, message) => {
    expect(load(text)).toThrow(message);
  });

  // Values that parse as YAML but not as what the key wants: the parser's own words reach the user,
  // with the file, the line and the key path.
  it.each([
    ['an address without a port', 'listen: 127.0.0.1\n', /disco\.yaml:1 listen: "127\.0\.0\.1" is not an address like 127\.0\.0\.1:9640/],
    ['a duration that is not a number', 'grace: [10]\n', /disco\.yaml:1 grace: expected a duration like "5s"/],
    [
      'a duration in words',
      'grace: ten seconds\n',
      /disco\.yaml:1 grace: "ten seconds" is not a duration like 500ms, 5s, 2m or 1h30m \(a bare number is seconds\)/,
    ],
    [
      'a recursion network that is not one',
      'dns:\n  recursion:\n    allow: [10.0.0.0/33]\n',
      /disco\.yaml:3 dns\.recursion\.allow\.0: "10\.0\.0\.0\/33" has a prefix length that is not a whole number from 0 to 32/,
    ],
    ['a recursor on port 0', 'dns:\n  recursors: ["127.0.0.1:0"]\n', /disco\.yaml:2 dns\.recursors\.0: "127\.0\.0\.1:0"/],
    ['no connections at all', 'limits:\n  connections: 0\n', /disco\.yaml:2 limits\.connections: expected 1 or more/],
    ['half a connection', 'limits:\n  connectionsPerSource: 1.5\n', /disco\.yaml:2 limits\.connectionsPerSource: expected a whole number/],
    [
      'a zone name with a space',
      'dns:\n  zones:\n    - name: my zone\n',
      /disco\.yaml:3 dns\.zones\.0\.name: expected a zone name like "disco" or "east\.disco"/,
    ],
    ['no zones', 'dns:\n  zones: []\n', /disco\.yaml:2 dns\.zones: expected at least one zone/],
    [
      'an etcd URL with a path',
      'etcd: ["http://127.0.0.1:2379/v3"]\n',
      /disco\.yaml:1 etcd\.0: expected a URL like http:\/\/127\.0\.0\.1:2379 \(scheme, host and port, no path\)/,
    ],
    ['no etcd URL', 'etcd: []\n', /disco\.yaml:1 etcd: expected at least one etcd URL/],
    ['a short token', 'tokens:\n  - token: abc\n', /disco\.yaml:2 tokens\.0\.token: expected a token of at least 16 characters/],
    [
      'a token given twice',
      'tokens:\n  - token: 0123456789abcdef\n    tokenFile: /run/token\n',
      /disco\.yaml:2 tokens\.0: expected exactly one of "token" and "tokenFile"/,
    ],
    [
      'a token given by neither',
      'tokens:\n  - provide: ["*.db.blog.prod"]\n',
      /disco\.yaml:2 tokens\.0: expected exactly one of "token" and "tokenFile"/,
    ],
    ['an empty certificate path', 'tls: { cert: "", key: key.pem }\n', /disco\.yaml:1 tls\.cert: expected a file path/],
  ])('refuses %s', (_, text, message) => {
    expect(load(text)).toThrow(message);
  });

  // A value of the wrong type: the message says what the key takes.
  it.each([
    ['listen', 'listen: 9640\n', 'listen: expected an address like 127.0.0.1:8600'],
    ['dns.listen', 'dns:\n  listen: 8600\n', 'dns.listen: expected an address like 127.0.0.1:8600, or "off"'],
    ['limits.connections', 'limits:\n  connections: many\n', 'limits.connections: expected a number'],
    ['a zone name', 'dns:\n  zones:\n    - name: 5\n', 'dns.zones.0.name: expected a zone name like "disco"'],
    ['an etcd URL', 'etcd: [2379]\n', 'etcd.0: expected a URL like http://127.0.0.1:2379'],
    ['etcd', 'etcd: http://127.0.0.1:2379\n', 'etcd: expected a list of etcd URLs, or { endpoints, ca, cert, key, user, passwordFile }'],
    ['a recursion network', 'dns:\n  recursion:\n    allow: [8]\n', 'dns.recursion.allow.0: expected a network like "10.0.0.0/8"'],
    [
      'recursion.allow',
      'dns:\n  recursion:\n    allow: 10.0.0.0/8\n',
      'dns.recursion.allow: expected a list of networks like ["10.0.0.0/8", "127.0.0.0/8"]',
    ],
    ['dns.recursors', 'dns:\n  recursors: 127.0.0.1:53\n', 'dns.recursors: expected a list of addresses like ["127.0.0.1:53"]'],
    ['dns.zones', 'dns:\n  zones: disco\n', 'dns.zones: expected a list of zones'],
    [
      'dns.places',
      'dns:\n  places: 10.0.0.0/8\n',
      'dns.places: expected a list like [{ network: "10.1.0.0/16", zone: "us-east-1a", dc: "east" }]',
    ],
    ['a place without zone or dc', 'dns:\n  places: [{ network: 10.0.0.0/8 }]\n', 'dns.places.0: expected a zone, a dc, or both'],
    ['a place key', 'dns:\n  places: [{ network: 10.0.0.0/8, rack: r1 }]\n', 'dns.places.0.rack: unknown key'],
    ['a certificate path', 'tls: { cert: 5, key: key.pem }\n', 'tls.cert: expected a file path'],
    ['a token', 'tokens:\n  - token: 5\n', 'tokens.0.token: expected a token'],
    [
      'tokens',
      'tokens: abc\n',
      'tokens: expected a list of tokens like [{ tokenFile: ..., provide: [...], require: [...], observe: [...] }]',
    ],
    [
      "a token's provide",
      'tokens:\n  - tokenFile: /run/t\n    provide: "*.db.blog.prod"\n',
      'tokens.0.provide: expected a list of names or patterns like ["*.db.blog.prod"]',
    ],
  ])('says what %s takes when given another type', (_, text, message) => {
    expect(load(text)).toThrow(new RegExp(`disco\\.yaml:\\d+ ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it.each(['disco', 'east.disco', 'a.b.disco', 'x', 'dc-1.disco.', 'a1-b2.z'])('takes the zone name %s', (name) => {
    expect(load(`dns:\n  zones:\n    - name: ${name}\n`)().dns?.zones).toEqual([{ name }]);
  });

  it.each(['-b.disco', 'east-.disco', 'disco-', 'a..disco', `${'a'.repeat(64)}.disco`, 'dis co'])('refuses the zone name %s', (name) => {
    expect(load(`dns:\n  zones:\n    - name: "${name}"\n`)).toThrow(
      /dns\.zones\.0\.name: expected a zone name like "disco" or "east\.disco"/,
    );
  });

  it.each(['http://127.0.0.1:2379', 'https://etcd-1.internal:2379'])('takes the etcd URL %s', (url) => {
    expect(load(`etcd: ["${url}"]\n`)().etcd).toEqual([url]);
  });

  it.each(['xhttp://127.0.0.1:2379', 'ftp://127.0.0.1:2379', 'http://', 'http://a b:2379'])('refuses the etcd URL %s', (url) => {
    expect(load(`etcd: ["${url}"]\n`)).toThrow(
      /etcd\.0: expected a URL like http:\/\/127\.0\.0\.1:2379 \(scheme, host and port, no path\)/,
    );
  });

  it('lets DNS listen on any port, 0 included, as the server does', () => {
    expect(load('dns:\n  listen: 127.0.0.1:0\n')().dns?.listen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('turns every address, duration and network into its parts', () => {
    const config = load(
      'listen: "[::1]:0"\nlimits: { connections: 2, helloTimeout: 500ms, lineTimeout: 2m }\ndns:\n  listen: 127.0.0.1:8600\n  ttl: 0s\n  recursors: ["127.0.0.1:53"]\n  recursion: { allow: [10.0.0.0/8] }\n',
    )();
    expect(config.listen).toEqual({ host: '::1', port: 0 });
    expect(config.limits).toEqual({ connections: 2, helloTimeout: 500, lineTimeout: 120_000 });
    expect(config.dns?.listen).toEqual({ host: '127.0.0.1', port: 8600 });
    expect(config.dns?.ttl).toBe(0);
    expect(config.dns?.recursors).toEqual([{ host: '127.0.0.1', port: 53 }]);
    expect(config.dns?.recursion?.allow).toHaveLength(1);
    expect(config.dns?.recursion?.allow[0]).not.toBe('10.0.0.0/8');
  });
});
