// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} in these strings are the stack file's and bash's own
// A Compose user's first ten minutes with scs, on the hello stack and the real Docker daemon: the
// stack file before the verb, a `.env` and `${VAR:-x}` in an overlay, a profile, `scs config`,
// `NO_COLOR`, `ps -q` and `ps --format json`, `logs -f --tail`, `exec`, `run --rm`, `stop` and
// `start` of every service, and the completion script sourced in bash. Each step is what they
// would type, with the answer they would expect.

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.ts';
import { collect, type Running, SCS, scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(
  `a Compose user's first ten minutes${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const started: Running[] = [];
    const files = ['-f', 'scs-stack.yaml', '-f', 'habits.yaml'];
    const run = (args: string[], env: Record<string, string> = {}) => {
      const command = scs(args, { SCS_FILE: '', SCS_PROFILES: '', ...env }, dir);
      started.push(command);
      return command;
    };
    const ok = async (args: string[], env: Record<string, string> = {}) => {
      const command = run(args, env);
      expect(await command.exited, `scs ${args.join(' ')}\n${command.stdout}\n${command.stderr}`).toBe(0);
      return command;
    };
    const states = async () =>
      Object.fromEntries(
        (await engine.list({ [LABEL.stack]: 'hello' }))
          .filter((c) => c.labels[LABEL.service])
          .map((c) => [c.labels[LABEL.service], c.state]),
      );

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'scs-compose-habits-'));
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, '.env'), 'GREETING_NAME=habits\n');
      writeFileSync(
        join(dir, 'habits.yaml'),
        [
          'dns: none',
          'services:',
          '  web:',
          '    config:',
          '      GREETING: "hello from ${GREETING_NAME:-nobody}, costs $$5"',
          '  debug:',
          '    image: ./web',
          '    profiles: [debug]',
          '',
        ].join('\n'),
      );
    }, 60_000);

    afterAll(async () => {
      await run(['down', ...files]).exited;
      for (const command of started) command.child.kill('SIGKILL');
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('reads the stack as Compose would: variables from .env, $$ kept, a profile left out unless asked for', async () => {
      const json = JSON.parse((await ok([...files, 'config', '--format', 'json'])).stdout) as {
        services: Record<string, { config?: Record<string, string> }>;
      };
      expect(json.services.web?.config?.GREETING).toBe('hello from habits, costs $5');
      expect(Object.keys(json.services).sort()).toEqual(['client', 'web']);
      expect((await ok([...files, 'config', '--services', '--profile', 'debug'])).stdout.split('\n').filter(Boolean).sort()).toEqual([
        'client',
        'debug',
        'web',
      ]);
      // The environment wins over .env.
      expect((await ok([...files, 'config'], { GREETING_NAME: 'the shell' })).stdout).toContain('hello from the shell, costs $5');
    }, 60_000);

    it('brings it up with the files before the verb, and NO_COLOR keeps every escape out', async () => {
      const up = await ok([...files, 'up', '-d'], { NO_COLOR: '1', FORCE_COLOR: '' });
      expect(`${up.stdout}${up.stderr}`).not.toContain('\x1b');
      expect(await states()).toEqual({ web: 'running', client: 'running' });
    }, 180_000);

    it('lists with ps -q and ps --format json', async () => {
      const ids = (await ok(['ps', '-q'])).stdout.split('\n').filter(Boolean);
      expect(ids).toHaveLength(2);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12,64}$/);
      const { services } = JSON.parse((await ok(['ps', '--format', 'json'])).stdout) as {
        services: Array<{ service: string; id: string }>;
      };
      expect(services.map((row) => row.service).sort()).toEqual(['client', 'web']);
      expect(services.map((row) => row.id.slice(0, 12)).sort()).toEqual(ids.map((id) => id.slice(0, 12)).sort());
    }, 60_000);

    it('follows the logs of two services with -f --tail, a new line coming after the tail', async () => {
      const logs = run(['logs', '-f', '--tail', '5', 'web', 'client']);
      await eventually(() => /client *\| .*hello from habits/.test(logs.stdout), 20_000, 'the client greeted');
      const seen = logs.stdout.length;
      await eventually(() => logs.stdout.slice(seen).includes('client'), 20_000, 'a new line after the first');
      logs.child.kill('SIGINT');
      await logs.exited;
    }, 60_000);

    it('runs a command in a service with exec, and a one-off with run --rm that leaves nothing behind', async () => {
      const hostname = (await ok(['exec', 'web', 'cat', '/etc/hostname'])).stdout.trim();
      const web = (await engine.list({ [LABEL.stack]: 'hello', [LABEL.service]: 'web' }))[0];
      expect(web?.id.startsWith(hostname)).toBe(true);
      const env = (await ok(['run', '--rm', 'client', 'env'])).stdout;
      expect(env).toMatch(/^SCS_REQUIRE_HTTP=\S+:\d+$/m);
      expect((await engine.list({ [LABEL.stack]: 'hello' })).filter((c) => !c.labels[LABEL.service])).toEqual([]);
      expect(await run(['exec', 'web', 'sh', '-c', 'exit 3']).exited).toBe(3);
    }, 120_000);

    it('stops and starts every service when none is named', async () => {
      await ok(['stop']);
      expect(await states()).toEqual({ web: 'exited', client: 'exited' });
      await ok(['start']);
      expect(await states()).toEqual({ web: 'running', client: 'running' });
    }, 120_000);

    it('completes verbs, flags and services in bash from the script scs completion prints', async () => {
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'scs'), `#!/bin/sh\nexec "${process.execPath}" "${SCS}" "$@"\n`, { mode: 0o755 });
      /** What bash offers for `line` (its last word is the one completed), from the script sourced as a user sources it. */
      const complete = async (line: string) => {
        const script = [
          'source <(scs completion bash) || exit 9',
          'COMP_WORDS=("$@")',
          'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))',
          'COMP_LINE="${COMP_WORDS[*]}"',
          '_scs',
          'printf \'%s\\n\' "${COMPREPLY[@]}"',
        ].join('\n');
        const shell = collect(
          spawn('bash', ['-c', script, 'bash', ...line.split(' ')], {
            cwd: dir,
            env: { ...process.env, SCS_FILE: '', PATH: `${bin}:${process.env.PATH}` },
          }),
        );
        expect(await shell.exited, shell.stderr).toBe(0);
        return shell.stdout.split('\n').filter(Boolean);
      };
      expect(await complete('scs ex')).toContain('exec');
      expect(await complete('scs logs --fo')).toContain('--follow');
      expect(await complete('scs logs w')).toContain('web');
    }, 60_000);
  },
);
