// The stack file's shared keys: top-level `x-` extensions with anchors, a stack-level `env`, and
// secrets from files (mounted read-only, never in the compiled stack beyond their host path).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../src/agent/spec.ts';
import { compileAt, project } from '../helpers/project.ts';

const image = 'from: scs-base:busybox\ncommand: [sleep, "3600"]\n';
const SECRET = 'correct horse battery staple';
const IDENTITY = { stack: 'shop', environment: 'default', project: 'host-1', host: 'host-1' };

describe('top-level x- keys', () => {
  it('hold anchors that services merge in, and are not part of the compiled stack', () => {
    const dir = project({
      'scs-stack.yaml': [
        'name: shop',
        'x-defaults: &defaults',
        '  restart: always',
        '  env: { LOG_LEVEL: debug }',
        'x-note: anything at all',
        'services:',
        '  a:',
        '    <<: *defaults',
        '    image: ./img',
        '  b:',
        '    <<: *defaults',
        '    image: ./img',
        '    restart: "no"',
        '',
      ].join('\n'),
      'img/scs.yaml': image,
    });
    const compiled = compileAt(dir);
    const byName = Object.fromEntries(compiled.services.map((s) => [s.name, s.container]));
    expect(byName.a).toMatchObject({ restart: 'always', env: { LOG_LEVEL: 'debug' } });
    expect(byName.b).toMatchObject({ restart: 'no', env: { LOG_LEVEL: 'debug' } });
    expect(JSON.stringify(compiled)).not.toContain('anything at all');
  });

  it('are the only unknown top-level keys allowed', () => {
    const dir = project({ 'scs-stack.yaml': 'name: shop\nxdefaults: 1\nservices:\n  a:\n    image: ./img\n', 'img/scs.yaml': image });
    expect(() => compileAt(dir)).toThrow(/scs-stack\.yaml:2 xdefaults: unknown key/);
  });
});

describe('stack-level env', () => {
  it('reaches every service, a service’s own env wins, and an overlay can change it', () => {
    const dir = project({
      'scs-stack.yaml':
        'name: shop\nenv: { TZ: UTC, LOG_LEVEL: info }\nservices:\n  a:\n    image: ./img\n  b:\n    image: ./img\n    env: { LOG_LEVEL: debug }\n',
      'prod.yaml': 'env: { TZ: Europe/Paris }\n',
      'img/scs.yaml': image,
    });
    const env = (compiled: ReturnType<typeof compileAt>) => Object.fromEntries(compiled.services.map((s) => [s.name, s.container.env]));
    expect(env(compileAt(dir))).toMatchObject({ a: { TZ: 'UTC', LOG_LEVEL: 'info' }, b: { TZ: 'UTC', LOG_LEVEL: 'debug' } });
    expect(env(compileAt(dir, 'scs-stack.yaml', 'prod.yaml'))).toMatchObject({
      a: { TZ: 'Europe/Paris', LOG_LEVEL: 'info' },
      b: { TZ: 'Europe/Paris', LOG_LEVEL: 'debug' },
    });
  });

  it('cannot override where a service runs: SCS_STACK, SCS_SERVICE and SCS_ENVIRONMENT are scs’s own', () => {
    const dir = project({
      'scs-stack.yaml':
        'name: shop\nenv: { SCS_SERVICE: evil, SCS_STACK: evil, SCS_ENVIRONMENT: evil }\nservices:\n  a:\n    image: ./img\n',
      'img/scs.yaml': image,
    });
    const env = compileAt(dir).services[0]!.container.env;
    expect(env).toMatchObject({ SCS_STACK: 'shop', SCS_SERVICE: 'a', SCS_ENVIRONMENT: 'default' });
    expect(env.SCS_ROLE).toBeUndefined();
  });

  it('is validated like a service’s env', () => {
    const dir = project({ 'scs-stack.yaml': 'name: shop\nenv:\n  9LIVES: x\nservices:\n  a:\n    image: ./img\n', 'img/scs.yaml': image });
    expect(() => compileAt(dir)).toThrow(/scs-stack\.yaml:3 env\.9LIVES: expected an environment variable name/);
  });
});

describe('secrets', () => {
  const stack = [
    'name: shop',
    'secrets:',
    '  db-password: { file: ./secrets/db }',
    'services:',
    '  a:',
    '    image: ./img',
    '  b:',
    '    image: ./img',
    '    secrets:',
    '      api-key: { file: ./secrets/api }',
    '',
  ].join('\n');
  const files = { 'scs-stack.yaml': stack, 'img/scs.yaml': image, 'secrets/db': SECRET, 'secrets/api': 'api-key-value' };

  it('are mounted read-only at /run/secrets/NAME: the stack’s in every service, a service’s own in it alone', () => {
    const dir = project(files);
    const compiled = compileAt(dir);
    const secrets = Object.fromEntries(compiled.services.map((s) => [s.name, s.container.secrets]));
    expect(secrets.a).toEqual([{ name: 'db-password', source: join(dir, 'secrets/db'), target: '/run/secrets/db-password' }]);
    expect(secrets.b).toEqual([
      { name: 'db-password', source: join(dir, 'secrets/db'), target: '/run/secrets/db-password' },
      { name: 'api-key', source: join(dir, 'secrets/api'), target: '/run/secrets/api-key' },
    ]);
    const spec = containerSpec(compiled.services.find((s) => s.name === 'b')!, IDENTITY, new Map());
    expect(spec.mounts).toEqual([
      { type: 'bind', source: join(dir, 'secrets/db'), target: '/run/secrets/db-password', readOnly: true },
      { type: 'bind', source: join(dir, 'secrets/api'), target: '/run/secrets/api-key', readOnly: true },
    ]);
    expect(JSON.stringify(spec.env)).not.toContain(SECRET);
  });

  it('never put their content in the compiled stack, its image hashes or the container’s config hash', () => {
    const dir = project(files);
    const before = compileAt(dir);
    expect(JSON.stringify(before)).not.toContain(SECRET);
    expect(JSON.stringify(before)).not.toContain('api-key-value');
    writeFileSync(join(dir, 'secrets/db'), 'another password');
    const after = compileAt(dir);
    expect(after.services.map((s) => s.image.tag)).toEqual(before.services.map((s) => s.image.tag));
    const hashes = (compiled: typeof before) =>
      compiled.services.map((s) => containerSpec(s, IDENTITY, new Map()).labels['scs.config-hash']);
    expect(hashes(after)).toEqual(hashes(before));
  });

  it('leave image tags as they were without secrets', () => {
    const withSecrets = compileAt(project(files));
    const without = compileAt(
      project({ 'scs-stack.yaml': 'name: shop\nservices:\n  a:\n    image: ./img\n  b:\n    image: ./img\n', 'img/scs.yaml': image }),
    );
    expect(withSecrets.services.map((s) => s.image.tag)).toEqual(without.services.map((s) => s.image.tag));
  });

  it.each([
    ['secrets:\n  db-password: ./secrets/db\n', /over\.yaml:2 secrets\.db-password: expected \{file: PATH, generate\?: true\}/],
    ['secrets:\n  db-password: { path: ./secrets/db }\n', /over\.yaml:2 secrets\.db-password\.path: unknown key/],
    [
      'secrets:\n  db-password: { file: ./secrets/nothing }\n',
      /over\.yaml:2 secrets\.db-password\.file: no such file \.\/secrets\/nothing/,
    ],
    [
      'secrets:\n  db-password: { file: ./secrets }\n',
      /over\.yaml:2 secrets\.db-password\.file: expected a file, but \.\/secrets .* is not one/,
    ],
    [
      'services:\n  b:\n    secrets:\n      api-key: { file: ./none }\n',
      /over\.yaml:4 services\.b\.secrets\.api-key\.file: no such file \.\/none/,
    ],
    ['secrets:\n  "../escape": { file: ./secrets/db }\n', /over\.yaml:2 secrets\.\.\.\/escape: expected a secret name like "db-password"/],
  ])('explain a mistake: %j', (overlay, message) => {
    const dir = project({ ...files, 'over.yaml': overlay });
    expect(() => compileAt(dir, 'scs-stack.yaml', 'over.yaml')).toThrow(message);
  });
});

describe('replicas', () => {
  const stack = (service: string) => ({
    'scs-stack.yaml': `name: shop\nservices:\n  web:\n    image: ./img\n${service}`,
    'img/scs.yaml': `${image}provides:\n  http: { port: 8080 }\n`,
  });

  it('are compiled as asked, and absent when not asked for (one instance)', () => {
    expect(compileAt(project(stack('    replicas: 3\n'))).services[0]!.replicas).toBe(3);
    expect(compileAt(project(stack(''))).services[0]).not.toHaveProperty('replicas');
  });

  it('refuse what only one container on a host can hold, in one sentence', () => {
    expect(() => compileAt(project(stack('    replicas: 2\n    provides:\n      http: { publish: 8080 }\n')))).toThrow(
      /replicas: 2 instances on one host cannot all publish host port 8080: leave publish out, and each gets a port of its own/,
    );
    expect(() => compileAt(project(stack('    replicas: 2\n    network: { method: host }\n')))).toThrow(
      /cannot all listen on the host's network/,
    );
    const withVolume = {
      'scs-stack.yaml':
        'name: shop\nservices:\n  web:\n    image: ./img\n    replicas: 2\n    volumes:\n      data: { method: nfs, server: nfs.internal, path: /exports/web }\n',
      'img/scs.yaml': `${image}volumes:\n  data: /data\n`,
    };
    expect(() => compileAt(project(withVolume))).toThrow(
      /2 instances would all write the NFS export of volume data: mark it shareable: true if they may, or keep one instance/,
    );
    expect(() => compileAt(project(stack('    replicas: 1.5\n')))).toThrow(/expected a whole number of instances/);
    expect(() => compileAt(project(stack('    replicas: 101\n')))).toThrow(/expected at most 100 instances/);
    // One instance may publish, as before.
    expect(compileAt(project(stack('    replicas: 1\n    provides:\n      http: { publish: 8080 }\n'))).services[0]!.replicas).toBe(1);
  });
});

describe('spread', () => {
  const stack = (service: string) => ({
    'scs-stack.yaml': `name: shop\nservices:\n  web:\n    image: ./img\n    replicas: 3\n${service}`,
    'img/scs.yaml': `${image}provides:\n  http: { port: 8080 }\nvolumes:\n  data: /data\n`,
  });

  it('is compiled in its short and its long form, and absent when not asked for', () => {
    expect(compileAt(project(stack('    spread: zone\n'))).services[0]!.spread).toEqual({ by: 'zone' });
    expect(
      compileAt(project(stack('    spread: { by: dc, over: [east, west] }\n    placement: { attributes: { tier: web } }\n'))).services[0]!
        .spread,
    ).toEqual({ by: 'dc', over: ['east', 'west'] });
    expect(compileAt(project(stack(''))).services[0]).not.toHaveProperty('spread');
  });

  it('refuses what a spread could not hold, in one sentence', () => {
    expect(() => compileAt(project(stack('    spread: rack\n')))).toThrow(/expected spread: zone, dc or host, or \{by: zone/);
    expect(() => compileAt(project(stack('    spread: { by: zone, over: [] }\n')))).toThrow(/expected over: to name at least one/);
    expect(() => compileAt(project(stack('    spread: host\n    placement: h1\n')))).toThrow(
      /spread over more than one host cannot hold with placement on host h1: place it by attributes, or leave spread out/,
    );
    expect(() => compileAt(project(stack('    spread: zone\n    volumes:\n      data: { method: named }\n')))).toThrow(
      /its instances would move between hosts without volume data's data: mark the volume shareable: true, or leave spread out/,
    );
    expect(
      compileAt(project(stack('    spread: zone\n    volumes:\n      data: { method: named, shareable: true }\n'))).services[0]!.spread,
    ).toEqual({ by: 'zone' });
  });
});
