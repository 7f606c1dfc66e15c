// Rules of the manifests that a plausible slip in src/manifest would break without any other
// test noticing: what goes into an image's hash, what a stack's wiring carries into the compiled stack,
// and which documents are refused, and how.

import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { describeIssue } from '../../src/config/yaml.ts';
import { manifestJsonSchemas } from '../../src/manifest/json-schema.ts';
import { ImageManifestSchema, StackSchema } from '../../src/manifest/schema.ts';
import { schemaProblems } from '../helpers/json-schema.ts';
import { compileAt, project } from '../helpers/project.ts';

const tagOf = (dir: string, name: string, ...files: string[]) => compileAt(dir, ...files).services.find((s) => s.name === name)!.image.tag;

const web = 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: httpd -f -p 8080\n';
const own = 'dockerfile: Dockerfile\nprovides:\n  http: { port: 8080 }\n';

describe('image hash', () => {
  it.each([
    ['a generated Dockerfile', web],
    ['the folder’s own Dockerfile', own],
  ])('changes with build-time config, with %s', (_, manifest) => {
    const dir = project({
      'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n    config: { MODE: fast }\n',
      'web/scs.yaml': manifest,
      'web/Dockerfile': 'FROM scs-base:busybox\n',
      'slow.yaml': 'services:\n  web:\n    config: { MODE: slow }\n',
    });
    expect(tagOf(dir, 'web', 'scs-stack.yaml', 'slow.yaml')).not.toBe(tagOf(dir, 'web'));
  });

  it('stays the same when only run-time env or attributes change', () => {
    const dir = project({
      'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n    config: { MODE: fast }\n',
      'web/scs.yaml': web,
      'run.yaml': 'services:\n  web:\n    env: { LOG: debug }\n    attributes: { az: b }\n    restart: always\n',
    });
    expect(tagOf(dir, 'web', 'scs-stack.yaml', 'run.yaml')).toBe(tagOf(dir, 'web'));
  });
});

describe('wiring carried into the compiled stack', () => {
  const stack = [
    'name: shop',
    'services:',
    '  db:',
    '    image: ./db',
    '    attributes: { az: us-east-1a, tier: gold }',
    '    provides:',
    '      mysql: { attributes: { az: us-east-1b } }',
    '  app:',
    '    image: ./app',
    '    requires:',
    '      mysql: { service: db, filter: { az: "us-east-*", tier: gold } }',
    '',
  ].join('\n');
  const files = {
    'scs-stack.yaml': stack,
    'db/scs.yaml': 'from: scs-base:busybox\nprovides:\n  mysql: { port: 3306 }\n',
    'app/scs.yaml': 'from: scs-base:busybox\nrequires:\n  mysql: {}\n',
  };

  it('keeps the filter of each requirement', () => {
    const app = compileAt(project(files)).services.find((s) => s.name === 'app')!;
    expect(app.requires).toEqual([
      { endpoint: 'mysql', name: 'mysql.db.shop.default', filter: { az: 'us-east-*', tier: 'gold' }, liveupdate: undefined },
    ]);
  });

  it('reaches another stack by stack (and environment), and does not wait for it', () => {
    const app = compileAt(
      project({
        ...files,
        'over.yaml': 'services:\n  app:\n    requires:\n      mysql: { service: login, stack: sso }\n',
      }),
      'scs-stack.yaml',
      'over.yaml',
    ).services.find((s) => s.name === 'app')!;
    expect(app.requires[0]!.name).toBe('mysql.login.sso.default');
    expect(app.dependsOn).toEqual([]);
  });

  it("lets an endpoint's attributes override its service's, key by key", () => {
    const db = compileAt(project(files)).services.find((s) => s.name === 'db')!;
    expect(db.provides[0]!.attributes).toEqual({ az: 'us-east-1b', tier: 'gold' });
  });
});

describe('documents refused, naming file, line, key path and what was expected', () => {
  const stack = 'name: shop\nservices:\n  web:\n    image: ./web\n';

  it.each([
    ['an unknown top-level key', `${web}comand: true\n`, /web\/scs\.yaml:5 comand: unknown key \(did you mean "command"\?\)/],
    [
      'an unknown key in an endpoint',
      'from: scs-base:busybox\nprovides:\n  http: { port: 8080, protocl: tcp }\n',
      /web\/scs\.yaml:3 provides\.http\.protocl: unknown key \(did you mean "protocol"\?\)/,
    ],
    [
      'an unknown key in the healthcheck',
      `${web}healthcheck:\n  test: "true"\n  intervall: 5s\n`,
      /web\/scs\.yaml:7 healthcheck\.intervall: unknown key \(did you mean "interval"\?\)/,
    ],
    [
      'an unknown key in a build step',
      'from: scs-base:busybox\nbuild:\n  - { run: "true", user: root }\n',
      /web\/scs\.yaml:3 build\.0: expected a build step/,
    ],
    ['a list at the top level', '- from: scs-base:busybox\n', /web\/scs\.yaml: expected keys and values at the top level, found a list$/],
    [
      'an endpoint name over 63 characters',
      `from: scs-base:busybox\nprovides:\n  ${'h'.repeat(64)}: { port: 1 }\n`,
      /web\/scs\.yaml:3 provides\.h{64}: expected a name like "http" of at most 63 characters/,
    ],
  ])('scs.yaml with %s', (_, manifest, message) => {
    const dir = project({ 'scs-stack.yaml': stack, 'web/scs.yaml': manifest });
    expect(() => compileAt(dir)).toThrow(message);
  });

  it.each([
    [
      'an unknown top-level key',
      `${stack}enviroment: prod\n`,
      /scs-stack\.yaml:5 enviroment: unknown key \(did you mean "environment"\?\)/,
    ],
    [
      'an unknown key in a wiring',
      `${stack}    requires:\n      http: { service: db, filtr: {} }\n`,
      /scs-stack\.yaml:6 services\.web\.requires\.http\.filtr: unknown key \(did you mean "filter"\?\)/,
    ],
    ['a list at the top level', '- name: shop\n', /scs-stack\.yaml: expected keys and values at the top level, found a list$/],
    ['text at the top level', 'name shop\n', /scs-stack\.yaml: expected keys and values at the top level, found the text "name shop"$/],
    [
      'the old "role" key of a requirement, with the old "service" naming a stack',
      `${stack}    requires:\n      http: { role: db, service: blog }\n`,
      /^[^\n]*scs-stack\.yaml:6 services\.web\.requires\.http\.role: "role" is now "service" \(and a stack is named by "stack"\)$/,
    ],
    [
      'a service name over 63 characters',
      `name: shop\nservices:\n  ${'w'.repeat(64)}:\n    image: ./web\n`,
      /scs-stack\.yaml:3 services\.w{64}: expected a name like "web" of at most 63 characters/,
    ],
    // A DNS TXT string holds at most 255 bytes: "az=" and 253 more is one too many.
    [
      'an attribute over 255 bytes as key=value',
      `${stack}    attributes: { az: ${'a'.repeat(253)} }\n`,
      /scs-stack\.yaml:5 services\.web\.attributes: attribute "az" is 256 bytes as "key=value" in UTF-8; a DNS TXT string holds at most 255$/,
    ],
  ])('scs-stack.yaml with %s', (_, text, message) => {
    const dir = project({ 'scs-stack.yaml': text, 'web/scs.yaml': web });
    expect(() => compileAt(dir)).toThrow(message);
  });
});

describe('the words of each refusal', () => {
  const img = { from: 'x' };
  const st = (service: object, top: object = {}) => ({ name: 'shop', services: { web: { image: './web', ...service } }, ...top });
  const NAME = '(letters, digits, inner hyphens)';
  it.each([
    [ImageManifestSchema, { from: 7 }, 'from: expected an image like "scs-base:busybox"'],
    [ImageManifestSchema, { ...img, build: 'x' }, 'build: expected a list of build steps'],
    [ImageManifestSchema, { ...img, build: [{ copy: 'onlyone' }] }, 'build.0.copy: expected "SOURCE DESTINATION"'],
    [ImageManifestSchema, { ...img, provides: { Bad_: { port: 1 } } }, `provides.Bad_: expected a name like "http" ${NAME}`],
    [ImageManifestSchema, { ...img, requires: { Bad_: {} } }, `requires.Bad_: expected a name like "mysql" ${NAME}`],
    [ImageManifestSchema, { ...img, volumes: { Bad_: '/x' } }, `volumes.Bad_: expected a name like "data" ${NAME}`],
    [ImageManifestSchema, { ...img, volumes: { data: 'rel' } }, 'volumes.data: expected an absolute path in the container'],
    [ImageManifestSchema, { ...img, env: { '1X': 'a' } }, 'env.1X: expected an environment variable name'],
    [ImageManifestSchema, { ...img, env: { X: [1] } }, 'env.X: expected a string, number or boolean'],
    [ImageManifestSchema, { ...img, env: 'X=1' }, 'env: expected a map of variable names to values'],
    [ImageManifestSchema, { ...img, healthcheck: { test: 'x', interval: [5] } }, 'healthcheck.interval: expected a duration like "5s"'],
    [
      ImageManifestSchema,
      { ...img, healthcheck: { test: 'x', timeout: '5 s' } },
      'healthcheck.timeout: expected a duration like "500ms", "5s", "2m" or "1h30m" (a bare number is seconds)',
    ],
    [StackSchema, st({ image: 7 }), 'services.web.image: expected a folder like "./web"'],
    [StackSchema, st({ provides: { Bad_: {} } }), `services.web.provides.Bad_: expected a name like "http" ${NAME}`],
    [StackSchema, st({ requires: { Bad_: { service: 'db' } } }), `services.web.requires.Bad_: expected a name like "mysql" ${NAME}`],
    [StackSchema, st({ requires: { db: { service: 7 } } }), 'services.web.requires.db.service: expected a name like "db"'],
    [
      StackSchema,
      st({ requires: { db: { role: 'db' } } }),
      'services.web.requires.db.role: "role" is now "service" (and a stack is named by "stack")',
    ],
    [
      StackSchema,
      st({ requires: { db: { service: 'db', stack: 'Bad_' } } }),
      `services.web.requires.db.stack: expected a name like "blog" ${NAME}`,
    ],
    [
      StackSchema,
      st({ requires: { db: { service: 'db', environment: 'Bad_' } } }),
      `services.web.requires.db.environment: expected a name like "prod" ${NAME}`,
    ],
    [
      StackSchema,
      st({ requires: { db: { service: 'db', endpoint: 'Bad_' } } }),
      `services.web.requires.db.endpoint: expected a name like "mysql" ${NAME}`,
    ],
    [StackSchema, st({ volumes: { Bad_: { method: 'named' } } }), `services.web.volumes.Bad_: expected a name like "data" ${NAME}`],
    [StackSchema, st({ volumes: { data: { method: 'named', name: '-x' } } }), 'services.web.volumes.data.name: expected a volume name'],
    [StackSchema, st({ volumes: { data: { method: 'local', path: 7 } } }), 'services.web.volumes.data.path: expected a host path'],
    [
      StackSchema,
      st({ volumes: { data: { method: 'ceph' } } }),
      'services.web.volumes.data.method: expected a volume like {method: named}, {method: local, path: ./data}, {method: nfs, server: ..., path: ...} or {method: aws-ec2-ebs, size: 10}',
    ],
    [StackSchema, st({ network: { method: 'overlay' } }), 'services.web.network.method: expected "bridge", "host" or "aws-ec2-eni"'],
    [StackSchema, st({ restart: 'never' }), 'services.web.restart: expected no, on-failure, always or unless-stopped'],
    [StackSchema, st({}, { name: 'Bad_' }), `name: expected a name like "blog" ${NAME}`],
    [StackSchema, st({}, { environment: 'Bad_' }), `environment: expected a name like "prod" ${NAME}`],
    [StackSchema, { name: 'shop', services: { Bad_: { image: './x' } } }, `services.Bad_: expected a name like "web" ${NAME}`],
    [StackSchema, { name: 'shop', services: 'x' }, 'services: expected a map of service names to services'],
  ] as const)('%#: %s', (schema, document, message) => {
    const parsed = v.safeParse(schema as v.GenericSchema, document);
    expect(parsed.success).toBe(false);
    const { path, message: text } = describeIssue(schema as v.GenericSchema, parsed.issues![0]!);
    expect(`${path.join('.')}: ${text}`).toBe(message);
  });

  it('lower-cases names and fills in defaults', () => {
    const parsed = v.parse(StackSchema, { name: 'Shop', services: { Web: { image: './web', requires: { DB: { service: 'Db' } } } } });
    expect(parsed).toEqual({
      name: 'shop',
      environment: 'default',
      env: {},
      secrets: {},
      services: {
        web: {
          image: './web',
          config: {},
          env: {},
          attributes: {},
          provides: {},
          requires: { db: { service: 'db', filter: {} } },
          volumes: {},
          network: { method: 'bridge' },
          restart: 'on-failure',
          drain: '2s',
          secrets: {},
        },
      },
    });
    expect(
      v.parse(ImageManifestSchema, {
        from: 'x',
        provides: { http: { port: 1 } },
        requires: { db: null },
        env: { N: 1, B: true },
        healthcheck: { test: 'x' },
      }),
    ).toEqual({
      from: 'x',
      build: [],
      provides: { http: { port: 1, protocol: 'tcp' } },
      requires: { db: {} },
      volumes: {},
      env: { N: '1', B: 'true' },
      healthcheck: { test: 'x', interval: '2s', timeout: '2s', retries: 3 },
    });
  });

  it('reads a bare number of a duration as seconds, and keeps the unit for Docker', () => {
    const manifest = v.parse(ImageManifestSchema, { from: 'x', healthcheck: { test: 'x', interval: 5, timeout: '1.5' } });
    expect(manifest.healthcheck).toMatchObject({ interval: '5s', timeout: '1.5s' });
    const stack = v.parse(StackSchema, { name: 'shop', services: { web: { image: './web', drain: 10 } } });
    expect(stack.services.web!.drain).toBe('10s');
    expect(v.safeParse(StackSchema, { name: 'shop', services: { web: { image: './web', drain: '10 s' } } }).success).toBe(false);
  });
});

describe('published JSON Schemas', () => {
  const published = (file: string) => JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8'));
  const image = {
    from: 'scs-base:busybox',
    provides: { http: { port: 8080 } },
    requires: { db: null },
    healthcheck: { test: ['true'], retries: 2 },
  };
  const stack = {
    name: 'shop',
    services: {
      web: {
        image: './web',
        attributes: { az: 'a' },
        provides: { http: { publish: 8080 } },
        requires: { db: { service: 'db', filter: { az: 'a*' } } },
        volumes: { data: { method: 'named' } },
      },
    },
  };

  it('match the valibot schemas (run npm run schemas after changing them)', () => {
    for (const [file, schema] of Object.entries(manifestJsonSchemas()))
      expect(published(file), file).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('accept well-formed manifests, including the example stack', () => {
    expect(schemaProblems(published('scs.schema.json'), image)).toEqual([]);
    expect(schemaProblems(published('scs-stack.schema.json'), stack)).toEqual([]);
    const example = (path: string) => load(readFileSync(new URL(`../../examples/hello/${path}`, import.meta.url), 'utf8'));
    expect(schemaProblems(published('scs-stack.schema.json'), example('scs-stack.yaml'))).toEqual([]);
    for (const image of ['web', 'client'])
      expect(schemaProblems(published('scs.schema.json'), example(`${image}/scs.yaml`)), image).toEqual([]);
  });

  // Regenerating the files cannot make these pass: they fail if the valibot schemas stop refusing.
  it.each([
    ['scs.schema.json', '$.comand: unknown key', { ...image, comand: 'x' }],
    ['scs.schema.json', '$.provides.http.protocl: unknown key', { ...image, provides: { http: { port: 8080, protocl: 'tcp' } } }],
    ['scs.schema.json', '$.healthcheck.intervall: unknown key', { ...image, healthcheck: { test: 'true', intervall: '1s' } }],
    ['scs-stack.schema.json', '$.enviroment: unknown key', { ...stack, enviroment: 'prod' }],
    ['scs-stack.schema.json', '$.services.web.imag: unknown key', { ...stack, services: { web: { ...stack.services.web, imag: './x' } } }],
    [
      'scs-stack.schema.json',
      '$.services.web.requires.db.filtr: unknown key',
      { ...stack, services: { web: { ...stack.services.web, requires: { db: { service: 'db', filtr: {} } } } } },
    ],
    [
      'scs-stack.schema.json',
      '$.services.web.network.mode: unknown key',
      { ...stack, services: { web: { ...stack.services.web, network: { method: 'host', mode: 'x' } } } },
    ],
    [
      'scs-stack.schema.json',
      '$.services.web.requires.db.role: must NOT be valid',
      { ...stack, services: { web: { ...stack.services.web, requires: { db: { role: 'db', service: 'db' } } } } },
    ],
    ['scs-stack.schema.json', '$.name: longer than 63', { ...stack, name: 'n'.repeat(64) }],
    [
      'scs-stack.schema.json',
      '$.services.web.requires.db.service: longer than 63',
      { ...stack, services: { web: { ...stack.services.web, requires: { db: { service: 'r'.repeat(64) } } } } },
    ],
  ])('%s finds "%s"', (file, problem, document) => {
    expect(schemaProblems(published(file), document)).toContain(problem);
  });
});
