import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/yaml.ts';
import { deepMerge } from '../../src/manifest/merge.ts';
import { compileAt, project } from '../helpers/project.ts';

const web = 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: httpd -f -p 8080\n';
const app =
  'from: scs-base:busybox\nbuild:\n  - copy: app.sh /app.sh\nrequires:\n  http: { liveupdate: sh /reload.sh }\ncommand: [sh, /app.sh]\n';
const stack =
  'name: shop\nenvironment: prod\nservices:\n  app:\n    image: ./app\n    requires:\n      http: { service: web }\n  web:\n    image: ./web\n';

describe('overlays', () => {
  it('merge maps, replace lists and scalars, and delete on null', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 'x', e: 1 }, { a: { c: [3] }, d: 'y', e: null })).toEqual({
      a: { b: 1, c: [3] },
      d: 'y',
    });
  });
});

describe('compile', () => {
  it('orders services by what they require and names endpoints in full', () => {
    const dir = project({ 'scs-stack.yaml': stack, 'web/scs.yaml': web, 'app/scs.yaml': app, 'app/app.sh': 'echo hi\n' });
    const compiled = compileAt(dir);
    expect(compiled.services.map((s) => s.name)).toEqual(['web', 'app']);
    expect(compiled.services[0]!.provides).toMatchObject([{ name: 'http.web.shop.prod', port: 8080 }]);
    expect(compiled.services[1]!.requires).toMatchObject([
      { endpoint: 'http', name: 'http.web.shop.prod', liveupdate: ['/bin/sh', '-c', 'sh /reload.sh'] },
    ]);
    expect(compiled.services[1]!.image.dockerfile).toContain('COPY app.sh /app.sh');
  });

  it('tags images by content: same input, same tag; a changed file, a new tag', () => {
    const dir = project({ 'scs-stack.yaml': stack, 'web/scs.yaml': web, 'app/scs.yaml': app, 'app/app.sh': 'echo hi\n' });
    const first = compileAt(dir).services.map((s) => s.image.tag);
    expect(compileAt(dir).services.map((s) => s.image.tag)).toEqual(first);
    writeFileSync(join(dir, 'app/app.sh'), 'echo bye\n');
    const second = compileAt(dir).services.map((s) => s.image.tag);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1]).toMatch(/^scs\/shop-app:[0-9a-f]{16}$/);
  });

  it('applies an overlay: a new environment, new attributes', () => {
    const dir = project({
      'scs-stack.yaml': stack,
      'prod.yaml': 'environment: live\nservices:\n  web:\n    attributes: { az: us-east-1a }\n',
      'web/scs.yaml': web,
      'app/scs.yaml': app,
      'app/app.sh': '',
    });
    const compiled = compileAt(dir, 'scs-stack.yaml', 'prod.yaml');
    expect(compiled.services[0]!.provides[0]).toMatchObject({ name: 'http.web.shop.live', attributes: { az: 'us-east-1a' } });
  });

  it.each([
    [{ 'over.yaml': 'services:\n  web:\n    imag: ./web\n' }, /over\.yaml:3 services\.web\.imag: unknown key \(did you mean "image"\?\)/],
    [
      { 'over.yaml': 'services:\n  app:\n    requires:\n      http: { service: Web_Server }\n' },
      /over\.yaml:4 services\.app\.requires\.http\.service: expected a name like "db"/,
    ],
    [
      { 'over.yaml': 'services:\n  app:\n    requires: null\n' },
      /services\.app\.requires: the image requires "http": say which service provides it/,
    ],
    [{ 'over.yaml': 'services:\n  web:\n    image: ./nowhere\n' }, /over\.yaml:3 services\.web\.image: no scs\.yaml in \.\/nowhere/],
    [
      { 'over.yaml': 'services:\n  web:\n    provides:\n      https: {}\n' },
      /services\.web\.provides\.https: the image \.\/web does not provide "https" \(it provides: http\)/,
    ],
  ])('explains a mistake: %j', (extra, message) => {
    const dir = project({ 'scs-stack.yaml': stack, 'web/scs.yaml': web, 'app/scs.yaml': app, 'app/app.sh': '', ...extra });
    expect(() => compileAt(dir, 'scs-stack.yaml', 'over.yaml')).toThrow(message);
  });

  it('names the image manifest, line and key when it is wrong', () => {
    const dir = project({
      'scs-stack.yaml': stack,
      'web/scs.yaml': `${web}healthcheck:\n  test: true\n  retries: 0\n`,
      'app/scs.yaml': app,
      'app/app.sh': '',
    });
    expect(() => compileAt(dir)).toThrow(/web\/scs\.yaml:6 healthcheck\.test: expected a command/);
  });

  it('finds a dependency cycle', () => {
    const both = 'from: scs-base:busybox\nprovides:\n  http: { port: 80 }\nrequires:\n  http: {}\n';
    const dir = project({
      'scs-stack.yaml':
        'name: loop\nservices:\n  a:\n    image: ./x\n    requires:\n      http: { service: b }\n  b:\n    image: ./x\n    requires:\n      http: { service: a }\n',
      'x/scs.yaml': both,
    });
    expect(() => compileAt(dir)).toThrow(ConfigError);
    expect(() => compileAt(dir)).toThrow(/dependency cycle: a → b → a/);
  });
});
