// Who may use disco, as configured: disco.yaml's tls, tokens and dns.recursion checked at the edge;
// the scope rule (which pattern covers which request); and the client flags and environment.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoAccess } from '../../cli/common.ts';
import { CidrSet, parseCidr } from '../../src/cidr.ts';
import { loadYamlFile } from '../../src/config/yaml.ts';
import { type DiscoConfig, DiscoConfigSchema } from '../../src/server/config.ts';
import { discoConfig } from '../../src/server/disco-config.ts';
import { readTokens } from '../../src/server/run-disco.ts';
import { covers, Scope, TokenTable } from '../../src/server/scopes.ts';

/** The tokens of disco.yaml with their files read, as `scs disco` starts with them. */
const serverTokens = (config: DiscoConfig, path: string) => readTokens(discoConfig({}, { path, config }).tokens ?? []);

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scs-access-')), 'disco.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the scope rule', () => {
  it.each([
    ['*.db.blog.prod', 'mysql.db.blog.prod', true],
    ['*.db.blog.prod', '*.db.blog.prod', true],
    ['*.*.blog.prod', '*.db.blog.prod', true],
    ['*.*.*.*', 'a.b.c.d', true],
    ['mysql.db.blog.prod', 'mysql.db.blog.prod', true],
    ['*.db.blog.prod', 'mysql.web.blog.prod', false],
    ['*.db.blog.prod', 'mysql.db.blog.dev', false],
    ['*.*.blog.prod', '*.*.*.prod', false],
    ['mysql.db.blog.prod', '*.db.blog.prod', false],
    ['*.db.blog.prod', 'mysql.db.blogs.prod', false],
    // Not canonical (three labels): never covered by, nor covering, a pattern of four.
    ['*.*.*.*', 'db.blog.prod', false],
    ['*.*.*', 'mysql.db.blog.prod', false],
  ])('%s covers %s: %s', (scope, target, expected) => {
    expect(covers(scope, target)).toBe(expected);
  });

  it('finds a token by its value and nothing by another', () => {
    const table = new TokenTable([{ token: 'a-token-0123456789', provide: ['*.db.blog.prod'], require: [] }]);
    const scope = table.scopeOf('a-token-0123456789');
    expect(scope).toBeInstanceOf(Scope);
    expect(scope!.mayProvide('mysql.db.blog.prod')).toBe(true);
    expect(scope!.mayRequire('mysql.db.blog.prod')).toBe(false);
    expect(table.scopeOf('a-token-012345678')).toBeUndefined();
  });

  it('grants observing apart from requiring: a token that may require everything observes nothing unless told', () => {
    const table = new TokenTable([
      { token: 'ops-token-0123456789', provide: [], require: ['*.*.*.*'] },
      { token: 'watch-token-0123456789', provide: [], require: [], observe: ['*.*.blog.prod'] },
    ]);
    expect(table.scopeOf('ops-token-0123456789')!.mayObserve('*.*.*.*')).toBe(false);
    const watcher = table.scopeOf('watch-token-0123456789')!;
    expect(watcher.mayObserve('*.db.blog.prod')).toBe(true);
    expect(watcher.mayObserve('*.*.*.prod')).toBe(false);
    expect(watcher.mayRequire('*.db.blog.prod')).toBe(false);
  });

  it('grants placing apart from the rest, by service; a claim needs only a provide of some endpoint of the service', () => {
    const table = new TokenTable([
      { token: 'ops-token-0123456789', provide: ['*.*.*.*'], require: ['*.*.*.*'], observe: ['*.*.*.*'] },
      { token: 'move-token-0123456789', provide: [], require: [], place: ['*.*.blog.prod'] },
      { token: 'db-token-0123456789', provide: ['mysql.db.blog.prod'], require: [] },
    ]);
    const ops = table.scopeOf('ops-token-0123456789')!;
    expect(ops.mayPlace('db.blog.prod')).toBe(false);
    expect(ops.mayClaim('db.blog.prod')).toBe(true);
    const mover = table.scopeOf('move-token-0123456789')!;
    expect(mover.mayPlace('db.blog.prod')).toBe(true);
    expect(mover.mayPlace('db.blog.dev')).toBe(false);
    expect(mover.mayClaim('db.blog.prod')).toBe(false);
    const db = table.scopeOf('db-token-0123456789')!;
    expect(db.mayClaim('db.blog.prod')).toBe(true);
    expect(db.mayClaim('web.blog.prod')).toBe(false);
    expect(db.mayClaim('db.blog.dev')).toBe(false);
    // Reading placements: who observes them, or who may provide in every service the pattern picks.
    expect(db.mayReadPlacement('*.db.blog.prod')).toBe(true);
    expect(db.mayReadPlacement('*.*.blog.prod')).toBe(false);
    expect(ops.mayReadPlacement('*.*.blog.prod')).toBe(true);
    expect(mover.mayReadPlacement('*.db.blog.prod')).toBe(false);
    const agent = new TokenTable([{ token: 'agent-token-0123456789', provide: ['*.*.blog.prod'], require: ['*.*.*.*'] }]);
    expect(agent.scopeOf('agent-token-0123456789')!.mayReadPlacement('*.*.blog.prod')).toBe(true);
  });
});

describe('disco.yaml access keys', () => {
  it('reads tls, tokens with canonical patterns, and the recursion ACL; token files beside the file', () => {
    const file = configFile(
      [
        'tls: { cert: d.pem, key: d.key, ca: ca.pem }',
        'tokens:',
        '  - token: inline-token-0123456789',
        '    provide: ["*.DB.blog.prod"]',
        '  - tokenFile: web.token',
        '    require: ["*.*.blog"]',
        '    observe: ["*.*.blog.prod"]',
        'dns:',
        '  recursion: { allow: [10.0.0.0/8, "::1"] }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(file, '..', 'web.token'), '  web-token-0123456789\n');
    const config = loadYamlFile(file, DiscoConfigSchema);
    expect(config.tls).toEqual({ cert: 'd.pem', key: 'd.key', ca: 'ca.pem' });
    expect(config.dns?.recursion?.allow).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
    expect(serverTokens(config, file)).toEqual([
      { token: 'inline-token-0123456789', provide: ['*.db.blog.prod'], require: [], observe: [], place: [] },
      { token: 'web-token-0123456789', provide: [], require: ['*.*.blog.default'], observe: ['*.*.blog.prod'], place: [] },
    ]);
  });

  it.each([
    ['a short token', 'tokens:\n  - token: short\n', /disco\.yaml:2 tokens\.0\.token: expected a token of at least 16 characters/],
    [
      'a token and a file',
      'tokens:\n  - { token: abcdefghijklmnopq, tokenFile: t }\n',
      /tokens\.0: expected exactly one of "token" and "tokenFile"$/,
    ],
    ['a bad pattern', 'tokens:\n  - { token: abcdefghijklmnopq, provide: ["db*.x.y"] }\n', /tokens\.0\.provide\.0: endpoint "db\*"/],
    ['a bad network', 'dns:\n  recursion:\n    allow: [10.0.0.0/40]\n', /dns\.recursion\.allow\.0: "10\.0\.0\.0\/40" has a prefix length/],
    ['a network that is a name', 'dns:\n  recursion:\n    allow: [intranet]\n', /"intranet" is not a network like 10\.0\.0\.0\/8/],
    ['tls without a key', 'tls: { cert: d.pem }\n', /tls\.key: /],
  ])('refuses %s', (_, text, message) => {
    expect(() => loadYamlFile(configFile(text), DiscoConfigSchema)).toThrow(message);
  });

  it('refuses a token file that is missing, too short, or a token listed twice', () => {
    const file = configFile('tokens:\n  - tokenFile: nope\n');
    expect(() => serverTokens(loadYamlFile(file, DiscoConfigSchema), file)).toThrow(
      `the token file ${join(file, '..', 'nope')} does not exist`,
    );
    const short = configFile('tokens:\n  - tokenFile: short\n');
    writeFileSync(join(short, '..', 'short'), 'abc\n');
    expect(() => serverTokens(loadYamlFile(short, DiscoConfigSchema), short)).toThrow(/is shorter than 16 characters/);
    const twice = configFile('tokens:\n  - token: same-token-0123456789\n  - token: same-token-0123456789\n');
    expect(() => serverTokens(loadYamlFile(twice, DiscoConfigSchema), twice)).toThrow('the token in tokens.1 is listed twice');
  });
});

describe('the client flags and environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scs-access-client-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const ca = write('ca.pem', 'CA');
  const cert = write('c.pem', 'CERT');
  const key = write('c.key', 'KEY');
  const token = write('token', '\n tok-0123456789abcdef \n');

  it('reads nothing when nothing is given: plain TCP, no token', () => {
    expect(discoAccess({}, {})).toEqual({});
  });

  it('prefers the flags, then the environment; the token file over SCS_TOKEN', () => {
    expect(discoAccess({ tlsCa: ca, tokenFile: token }, { SCS_TLS_CA: '/nope', SCS_TOKEN: 'other' })).toEqual({
      tls: { ca: 'CA' },
      token: 'tok-0123456789abcdef',
    });
    expect(discoAccess({}, { SCS_TLS_CA: ca, SCS_TLS_CERT: cert, SCS_TLS_KEY: key, SCS_TOKEN: ' env-token ' })).toEqual({
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY' },
      token: 'env-token',
    });
  });

  it('says which file is missing, and that a certificate needs its key', () => {
    expect(() => discoAccess({ tlsCa: join(dir, 'missing.pem') }, {})).toThrow(`--tls-ca: ${join(dir, 'missing.pem')} does not exist`);
    expect(() => discoAccess({ tlsCert: cert }, {})).toThrow('--tls-cert and --tls-key go together: give both, or neither');
    expect(() => discoAccess({ tokenFile: write('empty', '\n') }, {})).toThrow(`--token-file: ${join(dir, 'empty')} is empty`);
  });
});

describe('networks', () => {
  it('tells addresses inside from outside, IPv4 seen through IPv6 included', () => {
    const set = new CidrSet(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8'].map(parseCidr));
    expect(['127.0.0.1', '10.255.0.1', '::ffff:10.1.1.1', 'fd12::1'].map((a) => set.has(a))).toEqual([true, true, true, true]);
    expect(['127.0.0.2', '11.0.0.1', 'fe80::1', '', 'nonsense'].map((a) => set.has(a))).toEqual([false, false, false, false, false]);
  });
});
