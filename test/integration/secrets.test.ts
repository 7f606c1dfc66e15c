// Secrets on the real daemon: the container reads the file at /run/secrets/NAME, cannot write it,
// and neither its environment, its image nor `scs compile` holds the content. The same stack uses
// an `x-` anchor and a stack-level env, which reach the container as well.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const SECRET = `s3cret-${process.pid}-${Date.now()}`;
const ENVIRONMENT = `secrets${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(`secrets on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  const files = () => ['-f', join(dir, 'scs-stack.yaml')];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-secrets-'));
    mkdirSync(join(dir, 'app'));
    mkdirSync(join(dir, 'secrets'));
    // The whole image folder is copied in, with a secret kept beside the code and a file .scsignore leaves out.
    writeFileSync(join(dir, 'app/scs.yaml'), 'from: scs-base:busybox\nbuild:\n  - copy: . /ctx\ncommand: [sleep, "3600"]\n');
    writeFileSync(join(dir, 'app/api-key'), `${SECRET}-api`);
    writeFileSync(join(dir, 'app/.scsignore'), 'notes.txt\n');
    writeFileSync(join(dir, 'app/notes.txt'), 'private notes');
    writeFileSync(join(dir, 'secrets/db'), SECRET);
    writeFileSync(
      join(dir, 'scs-stack.yaml'),
      [
        'name: secretive',
        `environment: ${ENVIRONMENT}`,
        'x-common: &common',
        '  restart: "no"',
        '  env: { FROM_ANCHOR: "yes" }',
        'env: { SHARED: everywhere }',
        'secrets:',
        '  db-password: { file: ./secrets/db }',
        '  api-key: { file: ./app/api-key }',
        '  session-key: { file: ./secrets/session, generate: true }',
        'services:',
        '  app:',
        '    <<: *common',
        '    image: ./app',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    if (!dir) return;
    await scs(['down', ...files()]).exited;
    const compiled = scs(['compile', ...files()]);
    if ((await compiled.exited) === 0)
      await engine.docker
        .getImage(JSON.parse(compiled.stdout).services[0].image.tag)
        .remove()
        .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('mounts the file read-only at /run/secrets/NAME and leaves no trace of it in the environment, the image or compile', async () => {
    const compiled = scs(['compile', ...files()]);
    expect(await compiled.exited, compiled.stderr).toBe(0);
    expect(compiled.stdout).toContain(join(dir, 'secrets/db'));
    expect(compiled.stdout).not.toContain(SECRET);

    const up = scs(['up', '-d', ...files()]);
    expect(await up.exited, up.stderr).toBe(0);
    const [app] = await engine.list({ [LABEL.stack]: 'secretive', [LABEL.environment]: ENVIRONMENT, [LABEL.service]: 'app' });
    expect(app).toBeDefined();

    const read = await engine.exec(app!.id, ['cat', '/run/secrets/db-password'], {});
    expect(read).toEqual({ exitCode: 0, output: SECRET });
    const write = await engine.exec(app!.id, ['sh', '-c', 'echo changed > /run/secrets/db-password'], {});
    expect(write.exitCode).not.toBe(0);
    expect(write.output).toMatch(/read-only/i);

    const inspected = await engine.docker.getContainer(app!.id).inspect();
    // The stack-level env and an x- anchor merged into the service reach the container too.
    expect(inspected.Config.Env).toEqual(expect.arrayContaining(['SHARED=everywhere', 'FROM_ANCHOR=yes']));
    expect(inspected.HostConfig.RestartPolicy?.Name ?? '').toBe('');
    expect(JSON.stringify(inspected.Config)).not.toContain(SECRET);
    expect(inspected.Mounts).toContainEqual(expect.objectContaining({ Destination: '/run/secrets/db-password', RW: false }));
    const image = engine.docker.getImage(inspected.Config.Image);
    expect(JSON.stringify(await image.inspect())).not.toContain(SECRET);
    expect(JSON.stringify(await image.history())).not.toContain(SECRET);
    // Neither the secret in the image folder nor what .scsignore names went into the build context.
    const copied = await engine.exec(app!.id, ['ls', '-A', '/ctx'], {});
    expect(copied.output.trim().split('\n').sort()).toEqual(['.scsignore', 'Dockerfile.scs', 'scs.yaml']);
    expect(await engine.exec(app!.id, ['cat', '/run/secrets/api-key'], {})).toEqual({ exitCode: 0, output: `${SECRET}-api` });
  }, 120_000);

  it('makes a generate: true secret on the first up, random and readable in the container, and keeps it on the next', async () => {
    const file = join(dir, 'secrets/session');
    const up = scs(['up', '-d', ...files()]);
    expect(await up.exited, up.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const made = readFileSync(file, 'utf8');
    expect(made).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    const [app] = await engine.list({ [LABEL.stack]: 'secretive', [LABEL.environment]: ENVIRONMENT, [LABEL.service]: 'app' });
    expect(await engine.exec(app!.id, ['cat', '/run/secrets/session-key'], {})).toEqual({ exitCode: 0, output: made });

    const again = scs(['up', ...files()]);
    expect(await again.exited, again.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(made);
  }, 120_000);
});
