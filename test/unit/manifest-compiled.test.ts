// The compiled stack of a stack file that uses every feature, read as expected text: what each
// service's container, image and wiring become. Also the build context's files and where a
// late error points.

import { symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFiles } from '../../src/build-context.ts';
import { compile } from '../../src/manifest/compile.ts';
import { loadStack } from '../../src/manifest/load.ts';
import { deepMerge } from '../../src/manifest/merge.ts';
import { compileAt, project } from '../helpers/project.ts';

const api = [
  'from: scs-base:busybox',
  'build:',
  '  - run: mkdir -p /srv',
  '  - copy: api.sh /srv/api.sh',
  '  - workdir: /srv',
  'env: { LANG: C.UTF-8 }',
  'provides:',
  '  http: { port: 8080 }',
  '  stats: { port: 8125, protocol: udp }',
  'requires:',
  '  db: { liveupdate: [sh, /srv/reload.sh] }',
  '  auth: { liveupdate: sh /srv/reload.sh }',
  '  billing:',
  'volumes: { data: /var/lib/api, cache: /cache, logs: /logs }',
  'healthcheck: { test: wget -q -O- localhost:8080, interval: 5s }',
  'command: sh /srv/api.sh',
  '',
].join('\n');
const db = 'dockerfile: Dockerfile\nprovides:\n  mysql: { port: 3306 }\n';
const stack = [
  'name: shop',
  'environment: prod',
  'services:',
  '  api:',
  '    image: ./api',
  '    config: { MODE: fast }',
  '    env: { LOG: debug }',
  '    network: { method: host }',
  '    restart: always',
  '    provides:',
  '      http: { publish: 80 }',
  '    requires:',
  '      db: { service: db, endpoint: mysql }',
  '      auth: { service: login, stack: sso, environment: prod }',
  '      billing: { service: billing, environment: staging }',
  '    volumes:',
  '      data: { method: named }',
  '      cache: { method: named, name: shared-cache }',
  '      logs: { method: local, path: ./logs }',
  '  db:',
  '    image: ./db',
  '  billing:',
  '    image: ./db',
  '',
].join('\n');

describe('the compiled stack of a stack file that uses everything', () => {
  const dir = project({
    'scs-stack.yaml': stack,
    'api/scs.yaml': api,
    'api/api.sh': 'echo\n',
    'db/scs.yaml': db,
    'db/Dockerfile': 'FROM scs-base:busybox\n',
  });
  // Compiled afresh inside each test: a compile that throws then fails the tests rather than the
  // file, and each test reaches the code it checks (mutation testing runs only those tests).
  const compiled = () => compileAt(dir);
  const byName = (name: string) => compiled().services.find((s) => s.name === name)!;

  it('starts what is required first, and only waits for services of its own stack and environment', () => {
    expect(compiled().services.map((s) => s.name)).toEqual(['db', 'api', 'billing']);
    expect(byName('api').dependsOn).toEqual(['db']);
    expect(compiled()).toMatchObject({ stack: 'shop', environment: 'prod', directory: dir, disco: undefined, advertise: undefined });
  });

  it('generates the Dockerfile, line by line', () => {
    expect(byName('api').image.dockerfile).toBe(
      [
        'FROM scs-base:busybox',
        'ENV MODE="fast"',
        'RUN mkdir -p /srv',
        'COPY api.sh /srv/api.sh',
        'WORKDIR /srv',
        'ENV LANG="C.UTF-8"',
        'EXPOSE 8080/tcp',
        'EXPOSE 8125/udp',
        'VOLUME ["/var/lib/api"]',
        'VOLUME ["/cache"]',
        'VOLUME ["/logs"]',
        'HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD ["/bin/sh","-c","wget -q -O- localhost:8080"]',
        'CMD ["/bin/sh","-c","sh /srv/api.sh"]',
        '',
      ].join('\n'),
    );
    expect(byName('api').image.dockerfilePath).toBe('Dockerfile.scs');
    expect(byName('db').image).toMatchObject({ dockerfile: undefined, dockerfilePath: 'Dockerfile', context: join(dir, 'db') });
  });

  it('runs the container as the stack says', () => {
    expect(byName('api').container).toEqual({
      name: 'scs-shop-prod-api',
      env: { LOG: 'debug', SCS_ENVIRONMENT: 'prod', SCS_STACK: 'shop', SCS_SERVICE: 'api' },
      network: 'host',
      restart: 'always',
      secrets: [],
      volumes: [
        { name: 'data', target: '/var/lib/api', method: 'named', shareable: false, source: 'shop-prod-api-data' },
        { name: 'cache', target: '/cache', method: 'named', shareable: false, source: 'shared-cache' },
        { name: 'logs', target: '/logs', method: 'local', shareable: false, source: join(dir, 'logs') },
      ],
      healthcheck: ['/bin/sh', '-c', 'wget -q -O- localhost:8080'],
    });
    expect(byName('db').container).toMatchObject({ network: 'bridge', restart: 'on-failure', volumes: [], healthcheck: undefined });
  });

  it('names what it provides and requires in full', () => {
    expect(byName('api').provides).toEqual([
      { endpoint: 'http', name: 'http.api.shop.prod', port: 8080, protocol: 'tcp', publish: 80, attributes: {} },
      { endpoint: 'stats', name: 'stats.api.shop.prod', port: 8125, protocol: 'udp', publish: undefined, attributes: {} },
    ]);
    expect(byName('api').requires).toEqual([
      { endpoint: 'db', name: 'mysql.db.shop.prod', filter: {}, liveupdate: ['sh', '/srv/reload.sh'] },
      { endpoint: 'auth', name: 'auth.login.sso.prod', filter: {}, liveupdate: ['/bin/sh', '-c', 'sh /srv/reload.sh'] },
      { endpoint: 'billing', name: 'billing.billing.shop.staging', filter: {}, liveupdate: undefined },
    ]);
  });

  it('tags each image by its stack, service and hash', () => {
    expect(byName('api').image.tag).toBe(`scs/shop-api:${byName('api').image.hash.slice(0, 16)}`);
    expect(byName('api').image.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(byName('billing').image.hash).toBe(byName('db').image.hash);
  });

  it('compiled only to look (scs ps, scs logs), is the same but for an empty tag and hash, and reads no build context', () => {
    const looked = compile(loadStack([join(dir, 'scs-stack.yaml')]), { hashImages: false });
    const hashed = compiled();
    expect(looked.services.map((s) => s.image)).toEqual(hashed.services.map((s) => ({ ...s.image, tag: '', hash: '' })));
    expect({ ...looked, services: [] }).toEqual({ ...hashed, services: [] });
    expect(looked.services.map((s) => ({ ...s, image: undefined }))).toEqual(hashed.services.map((s) => ({ ...s, image: undefined })));
    // A context file that cannot be read fails hashing, and not a compile that does not hash.
    const broken = project({ 'scs-stack.yaml': stack, 'api/scs.yaml': api, 'db/scs.yaml': db, 'db/Dockerfile': 'FROM x\n' });
    symlinkSync(join(broken, 'api', 'gone.sh'), join(broken, 'api', 'dangling.sh'));
    expect(() => compileAt(broken)).toThrow(/ENOENT/);
    expect(compile(loadStack([join(broken, 'scs-stack.yaml')]), { hashImages: false }).services).toHaveLength(3);
  });
});

describe('the build context', () => {
  it('is every file, sorted, in subfolders and through links to files, but not .scs, .git or links to folders', () => {
    const dir = project({
      'scs.yaml': '',
      'b/z.txt': '',
      'b/a.txt': '',
      'a.txt': '',
      '.scs/state.json': '',
      '.git/HEAD': '',
      'sub/.scs/x': '',
    });
    symlinkSync(join(dir, 'a.txt'), join(dir, 'link.txt'));
    symlinkSync(join(dir, 'b'), join(dir, 'linked-dir'));
    expect(contextFiles(dir)).toEqual(['a.txt', 'b/a.txt', 'b/z.txt', 'link.txt', 'scs.yaml']);
  });

  it('shapes the hash: a file moved changes it, .scs and .git do not', () => {
    const files = {
      'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n',
      'web/scs.yaml': 'from: scs-base:busybox\n',
      'web/a': 'x',
    };
    const tag = (dir: string) => compileAt(dir).services[0]!.image.tag;
    const base = tag(project(files));
    expect(tag(project({ ...files, 'web/.scs/state': 'y', 'web/.git/HEAD': 'z' }))).toBe(base);
    expect(tag(project({ ...files, 'web/a': '', 'web/b': 'x' }))).not.toBe(base);
    expect(tag(project({ ...files, 'web/a': 'xy' }))).not.toBe(base);
  });

  it("leaves out what .dockerignore and .scsignore match, with Docker's rules, and itself when asked", () => {
    const dir = project({
      '.dockerignore': '*.log\nnode_modules\n!keep.log\n',
      '.scsignore': 'drafts/**\n.scsignore\n',
      'scs.yaml': '',
      'a.log': '',
      'keep.log': '',
      'sub/b.log': '',
      'node_modules/x/index.js': '',
      'drafts/one.md': '',
      'src/app.js': '',
    });
    expect(contextFiles(dir)).toEqual(['.dockerignore', 'keep.log', 'scs.yaml', 'src/app.js', 'sub/b.log']);
  });

  it("leaves the stack's secrets out of every image, and out of its hash", () => {
    const files = {
      'scs-stack.yaml': 'name: shop\nsecrets:\n  key: { file: ./web/key.pem }\nservices:\n  web:\n    image: ./web\n',
      'web/scs.yaml': 'from: scs-base:busybox\n',
      'web/key.pem': 'secret one',
      'web/a': 'x',
    };
    const image = (dir: string) => compileAt(dir).services[0]!.image;
    const first = project(files);
    expect(image(first).leaveOut).toEqual([join(first, 'web/key.pem')]);
    expect(contextFiles(join(first, 'web'), new Set(image(first).leaveOut))).toEqual(['a', 'scs.yaml']);
    expect(image(project({ ...files, 'web/key.pem': 'secret two' })).tag).toBe(image(first).tag);
    expect(image(project({ ...files, 'web/a': 'y' })).tag).not.toBe(image(first).tag);
  });
});

describe('mistakes found after validation', () => {
  const base = { 'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n' };
  it.each([
    [
      { 'web/scs.yaml': 'build: []\n' },
      /scs-stack\.yaml:4 services\.web\.image: \.\/web\/scs\.yaml needs "from" \(with "build" steps\) or "dockerfile"$/,
    ],
    [
      { 'web/scs.yaml': 'from: x\n', 'over.yaml': 'services:\n  web:\n    provides:\n      http: {}\n' },
      /over\.yaml:4 services\.web\.provides\.http: the image \.\/web does not provide "http" \(it provides: nothing\)$/,
    ],
    [
      { 'web/scs.yaml': 'from: x\nrequires:\n  a:\n  b:\n', 'over.yaml': 'services:\n  web:\n    requires:\n      c: { service: x }\n' },
      /over\.yaml:4 services\.web\.requires\.c: the image \.\/web does not require "c" \(it requires: a, b\)$/,
    ],
    [
      {
        'web/scs.yaml': 'from: x\nprovides:\n  a: { port: 1 }\n  b: { port: 2 }\n',
        'over.yaml': 'services:\n  web:\n    requires:\n      c: { service: x }\n',
      },
      /services\.web\.requires\.c: the image \.\/web does not require "c" \(it requires: nothing\)$/,
    ],
    [
      {
        'web/scs.yaml': 'from: x\nprovides:\n  a: { port: 1 }\n  b: { port: 2 }\n',
        'over.yaml': 'services:\n  web:\n    provides:\n      c: {}\n',
      },
      /the image \.\/web does not provide "c" \(it provides: a, b\)$/,
    ],
    [
      {
        'web/scs.yaml': 'from: x\nvolumes: { data: /d }\n',
        'over.yaml': 'services:\n  web:\n    volumes:\n      dta: { method: named }\n',
      },
      /over\.yaml:4 services\.web\.volumes\.dta: the image \.\/web has no volume "dta"$/,
    ],
  ])('%#: names the file, line and key', (files, message) => {
    const dir = project({ ...base, 'over.yaml': '', ...files });
    expect(() => compileAt(dir, 'scs-stack.yaml', 'over.yaml')).toThrow(message);
  });

  it('points a cycle at the requires of the service that closes it', () => {
    const image = 'from: x\nprovides:\n  http: { port: 80 }\nrequires:\n  http: {}\n';
    const dir = project({
      'scs-stack.yaml':
        'name: loop\nservices:\n  a:\n    image: ./x\n    requires:\n      http: { service: b }\n  b:\n    image: ./x\n    requires:\n      http: { service: a }\n',
      'x/scs.yaml': image,
    });
    expect(() => compileAt(dir)).toThrow(/scs-stack\.yaml:5 services\.a\.requires: dependency cycle: a → b → a$/);
  });

  it('names a stack file it cannot read, and why', () => {
    expect(() => loadStack([join(tmpdir(), 'no-such-dir-scs', 'scs-stack.yaml')])).toThrow(
      /cannot read .*no-such-dir-scs\/scs-stack\.yaml: no such file$/,
    );
    const dir = project({});
    expect(() => loadStack([dir])).toThrow(/cannot read .*: EISDIR: illegal operation on a directory, read$/);
  });

  it('waits for a service of its own stack only when the stack runs it', () => {
    const dir = project({
      'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n    requires:\n      db: { service: elsewhere }\n',
      'web/scs.yaml': 'from: x\nrequires:\n  db:\n',
    });
    const compiled = compileAt(dir);
    expect(compiled.services.map((s) => [s.name, s.dependsOn])).toEqual([['web', ['elsewhere']]]);
  });

  it('takes an empty or blank overlay as no change', () => {
    const dir = project({ ...base, 'web/scs.yaml': 'from: x\n', 'blank.yaml': '  \n\n' });
    expect(compileAt(dir, 'scs-stack.yaml', 'blank.yaml').services.map((s) => s.name)).toEqual(['web']);
  });

  it('points at the last file that set a key, or the nearest key it set', () => {
    const dir = project({
      ...base,
      'web/scs.yaml': 'from: x\n',
      'a.yaml': 'services:\n  web:\n    restart: never\n',
      'b.yaml': '\n\nservices:\n  web:\n    restart: no-way\n',
    });
    expect(() => compileAt(dir, 'scs-stack.yaml', 'a.yaml', 'b.yaml')).toThrow(
      /b\.yaml:5 services\.web\.restart: expected no, on-failure, always or unless-stopped$/,
    );
    const only = project({ ...base, 'web/scs.yaml': 'from: x\n', 'a.yaml': 'services:\n  web:\n    provides:\n      http: {}\n' });
    // The endpoint was set in a.yaml only; the error is about it, and a.yaml is where to fix it.
    expect(() => compileAt(only, 'scs-stack.yaml', 'a.yaml')).toThrow(/a\.yaml:4 services\.web\.provides\.http: /);
    // A key set nowhere (a missing one): the nearest enclosing key that is set.
    const missing = project({ 'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    env: {}\n', 'web/scs.yaml': 'from: x\n' });
    expect(() => compileAt(missing)).toThrow(/scs-stack\.yaml:3 services\.web\.image: /);
  });
});

describe('overlays', () => {
  it('leave the base as it is when absent, and replace a map with a scalar or a scalar with a map', () => {
    expect(deepMerge({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(deepMerge({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(deepMerge({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(deepMerge({ a: { b: 1, c: 2 } }, { a: { c: null, d: 3 } })).toEqual({ a: { b: 1, d: 3 } });
    expect(deepMerge({ a: [1] }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(deepMerge(undefined, { a: 1 })).toEqual({ a: 1 });
  });
});
