// `scs completion`: bash completes verbs, a verb's flags, and the services of the stack file found
// (asked of `scs completion --services` at the Tab, as an installed script does); zsh and fish
// scripts parse. The scripts call `scs` by name: a wrapper on PATH runs the sources.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCS, scs } from '../helpers/cli.ts';

/** Whether the shell is installed (scripts/install-deps installs neither zsh nor fish). */
const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;

describe('scs completion', () => {
  let dir: string;
  let bin: string;
  let stack: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-completion-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'scs'), `#!/bin/sh\nexec "${process.execPath}" "${SCS}" "$@"\n`);
    chmodSync(join(bin, 'scs'), 0o755);
    stack = join(dir, 'stack');
    mkdirSync(join(stack, 'deep'), { recursive: true });
    writeFileSync(
      join(stack, 'scs-stack.yaml'),
      'name: comp\nservices:\n  web:\n    image: nginx:alpine\n  cache-db:\n    image: redis:7\n',
    );
    writeFileSync(join(dir, 'other.yaml'), 'name: other\nservices:\n  queue:\n    image: redis:7\n');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** What bash offers for this command line (its last word is the one being completed), run in `cwd`. */
  const complete = (words: string[], cwd: string): string[] => {
    const script = `source <(scs completion bash) || exit 9
COMP_WORDS=("$@")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
COMP_LINE="\${COMP_WORDS[*]}"
_scs
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const run = spawnSync('bash', ['-c', script, 'bash', ...words], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.split('\n').filter(Boolean).sort();
  };

  it('bash: verbs, a verb and its flags, the values of a flag', () => {
    const verbs = complete(['scs', ''], stack);
    for (const verb of ['up', 'down', 'ps', 'logs', 'images', 'completion']) expect(verbs).toContain(verb);
    expect(complete(['scs', 'st'], stack)).toEqual(['start', 'status', 'stop']);
    expect(complete(['scs', 'up', '--d'], stack)).toEqual(['--debounce', '--debug', '--detach', '--disco', '--dry-run', '--dc'].sort());
    expect(complete(['scs', 'logs', '--fo'], stack)).toEqual(['--follow']);
    expect(complete(['scs', 'ps', '--format', ''], stack)).toEqual(['json', 'table']);
    expect(complete(['scs', 'completion', ''], stack)).toEqual(['bash', 'fish', 'zsh']);
  }, 120_000);

  it('bash: the services of the stack file found, from a folder below it, or of the file -f names', () => {
    expect(complete(['scs', 'up', ''], join(stack, 'deep'))).toEqual(['cache-db', 'web']);
    expect(complete(['scs', 'logs', '-f', 'w'], stack)).toEqual(['web']);
    expect(complete(['scs', '-f', join(dir, 'other.yaml'), 'restart', ''], stack)).toEqual(['queue']);
    expect(complete(['scs', 'stop', '--file', join(dir, 'other.yaml'), 'q'], stack)).toEqual(['queue']);
    // A flag's value is not a service.
    expect(complete(['scs', 'logs', '--tail', ''], stack)).toEqual([]);
    // No stack file: no services, and no error on the terminal.
    expect(complete(['scs', 'up', ''], dir)).toEqual([]);
  }, 120_000);

  it('--services prints the names, one a line, and nothing (exit 0) where there is no stack file', async () => {
    const found = scs(['completion', '--services'], {}, stack);
    expect(await found.exited, found.stderr).toBe(0);
    expect(found.stdout).toBe('web\ncache-db\n');
    const none = scs(['completion', '--services'], { SCS_FILE: '' }, tmpdir());
    expect(await none.exited).toBe(0);
    expect(none.stdout + none.stderr).toBe('');
  }, 60_000);

  it('refuses an unknown shell, with exit code 2', async () => {
    const run = scs(['completion', 'tcsh']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toMatch(/give a shell: bash, zsh or fish, not "tcsh"/);
  }, 60_000);

  it.skipIf(!has('zsh'))(
    `zsh parses its script${has('zsh') ? '' : ' (skipped: zsh is not installed)'}`,
    async () => {
      const script = scs(['completion', 'zsh']);
      expect(await script.exited).toBe(0);
      writeFileSync(join(dir, '_scs'), script.stdout);
      const check = spawnSync('zsh', ['-n', join(dir, '_scs')], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    },
    60_000,
  );

  it.skipIf(!has('fish'))(
    `fish parses its script${has('fish') ? '' : ' (skipped: fish is not installed)'}`,
    async () => {
      const script = scs(['completion', 'fish']);
      expect(await script.exited).toBe(0);
      writeFileSync(join(dir, 'scs.fish'), script.stdout);
      const check = spawnSync('fish', ['-n', join(dir, 'scs.fish')], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    },
    60_000,
  );
});
