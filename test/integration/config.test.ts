// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} in these strings are the stack files' own
// `scs config`, end to end with a real `scs` process and no Docker daemon: the stack as scs reads it,
// with a `.env`, a `${VAR:-x}`, an overlay and a profile; `--services`; `--format json`; and a bad file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scs } from '../helpers/cli.ts';
import { project } from '../helpers/project.ts';

let dir: string;
let elsewhere: string;

beforeAll(() => {
  dir = project({
    'scs-stack.yaml': [
      'name: shop',
      'services:',
      '  web:',
      '    image: ./web',
      '    env:',
      '      TAG: ${TAG}',
      '      LEVEL: ${LEVEL:-info}',
      '  debugtool:',
      '    image: ./web',
      '    profiles: [debug]',
      '',
    ].join('\n'),
    'prod.yaml': 'environment: prod\nservices:\n  web:\n    env:\n      HOST: ${HOST:-db.prod}\n',
    '.env': '# for the stack files\nTAG=1.2\nLEVEL=debug\n',
    'web/scs.yaml': 'from: x\nprovides:\n  http: { port: 80 }\n',
  });
  elsewhere = mkdtempSync(join(tmpdir(), 'scs-config-elsewhere-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

/** `scs ARGS` run from another folder (the .env is found beside the first file, not here), with no variables of ours. */
async function config(args: string[], env: Record<string, string> = {}) {
  const run = scs(['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'prod.yaml'), ...args], { SCS_PROFILES: '', ...env }, elsewhere);
  const code = await run.exited;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

describe('scs config', () => {
  it('prints the stack as scs reads it, as YAML: overlay merged, variables from .env and defaults, defaults filled in', async () => {
    const { code, stdout, stderr } = await config(['config']);
    expect(code, stderr).toBe(0);
    const stack = load(stdout) as { name: string; environment: string; services: Record<string, { env: object; restart: string }> };
    expect(stack.name).toBe('shop');
    expect(stack.environment).toBe('prod');
    expect(Object.keys(stack.services)).toEqual(['web']);
    expect(stack.services.web!.env).toEqual({ TAG: '1.2', LEVEL: 'debug', HOST: 'db.prod' });
    expect(stack.services.web!.restart).toBe('on-failure');
  }, 90_000);

  it('lets the environment win over .env, and --profile add its services', async () => {
    const { code, stdout, stderr } = await config(['config', '--format', 'json', '--profile', 'debug'], { TAG: '2.0', HOST: 'h1' });
    expect(code, stderr).toBe(0);
    const stack = JSON.parse(stdout) as { services: Record<string, { env: object; profiles?: string[] }> };
    expect(Object.keys(stack.services)).toEqual(['web', 'debugtool']);
    expect(stack.services.web!.env).toEqual({ TAG: '2.0', LEVEL: 'debug', HOST: 'h1' });
    expect(stack.services.debugtool!.profiles).toEqual(['debug']);
  }, 90_000);

  it('prints the service names with --services, after profiles', async () => {
    expect((await config(['config', '--services'])).stdout).toBe('web\n');
    expect((await config(['config', '--services'], { SCS_PROFILES: 'debug' })).stdout).toBe('web\ndebugtool\n');
    expect((await config(['config', '--services', 'debugtool'])).stdout).toBe('debugtool\n');
    expect((await config(['config', '--profiles'])).stdout).toBe('debug\n');
    const quiet = await config(['config', '-q']);
    expect([quiet.code, quiet.stdout]).toEqual([0, '']);
    const json = await config(['config', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'shop' });
  }, 90_000);

  it('says which file and line is wrong, and exits 1; a bad flag exits 2', async () => {
    const bad = project({
      'scs-stack.yaml': 'name: shop\nservices:\n  web:\n    image: ./web\n    env:\n      PW: ${PW:?set it in .env}\n',
    });
    const run = scs(['config', '-f', join(bad, 'scs-stack.yaml')], {}, elsewhere);
    expect(await run.exited).toBe(1);
    expect(run.stderr).toContain(`${join(bad, 'scs-stack.yaml')}:6: \${PW:?set it in .env}: PW is not set: set it in .env`);
    const quiet = scs(['config', '-q', '-f', join(bad, 'scs-stack.yaml')], {}, elsewhere);
    expect(await quiet.exited).toBe(1);
    expect(quiet.stderr).toContain('PW is not set');
    expect((await config(['config', '--format', 'table'])).code).toBe(2);
    expect((await config(['config', 'nope'])).code).toBe(2);
    rmSync(bad, { recursive: true, force: true });
  }, 90_000);
});
