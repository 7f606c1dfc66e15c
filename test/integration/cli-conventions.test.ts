// The habits Compose users bring, end to end with a real `scs` process and no Docker daemon:
// where the stack file comes from, exit codes, a closed stdout, colour, and help.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, SCS, scs } from '../helpers/cli.ts';
import { portOutsideEphemeral } from '../helpers/ports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scs-conventions-'));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(dir, 'prod.yaml'), 'environment: prod\n');
  mkdirSync(join(dir, 'web/deep'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `scs compile`'s plan, run with these arguments in `cwd`. */
async function compiled(args: string[], cwd: string, env: Record<string, string> = {}) {
  const run = scs(args, { SCS_FILE: '', ...env }, cwd);
  expect(await run.exited, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { stack: string; environment: string; files: string[] };
}

describe('the stack file', () => {
  it('is found in a folder above, as Compose v1 found it', async () => {
    const plan = await compiled(['compile'], join(dir, 'web/deep'));
    expect(plan).toMatchObject({ stack: 'hello', environment: 'dev', files: [join(dir, 'scs-stack.yaml')] });
  });

  it('is given before the verb with -f (repeatable), or after it, or by SCS_FILE', async () => {
    const files = [join(dir, 'scs-stack.yaml'), join(dir, 'prod.yaml')];
    const elsewhere = tmpdir();
    expect(await compiled(['-f', files[0]!, '-f', files[1]!, 'compile'], elsewhere)).toMatchObject({ environment: 'prod', files });
    expect(await compiled(['--file', files[0]!, 'compile', '-f', files[1]!], elsewhere)).toMatchObject({ environment: 'prod', files });
    expect(await compiled(['compile'], elsewhere, { SCS_FILE: files.join(':') })).toMatchObject({ environment: 'prod', files });
  });

  it('missing everywhere is a usage error, saying where it was looked for', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'scs-nostack-'));
    try {
      const run = scs(['ps'], { SCS_FILE: '' }, empty);
      expect(await run.exited).toBe(2);
      expect(run.stderr).toContain(`no scs-stack.yaml in ${empty} or any folder above it; give one with -f or SCS_FILE`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('exit codes', () => {
  it.each([
    ['an unknown verb', ['frobnicate'], 2, /unknown command "frobnicate"/],
    ['an unknown flag', ['ps', '--bogus'], 2, /Unknown option `--bogus`/],
    ['a missing argument', ['provide', 'x.web.hello.dev'], 2, /missing required args/],
    ['a bad --format', ['ls', '--format', 'yaml'], 2, /--format: expected table or json, not "yaml"/],
    ['a bad --ansi', ['--ansi', 'sometimes', 'ls'], 2, /--ansi: expected auto, never or always/],
    ['a bad duration', ['disco', '--grace', 'soon', '--dns', 'off', '--listen', '127.0.0.1:0'], 2, /--grace: "soon" is not a duration/],
    ['a bad stack file', ['compile', '-f', 'missing.yaml'], 1, /cannot read .*missing\.yaml: no such file/],
  ])('%s', async (_what, args, code, message) => {
    const run = scs(args, {}, dir);
    expect(await run.exited, run.stderr).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('3 when disco cannot be reached', async () => {
    const run = scs(['ls', '--disco', `127.0.0.1:${portOutsideEphemeral()}`]);
    expect(await run.exited).toBe(3);
    expect(run.stderr).toMatch(/cannot reach disco/);
  });
});

describe('a closed stdout', () => {
  /** Starts scs with its stdout closed by the reader at once, as `| head -0` would. */
  function withClosedStdout(args: string[]) {
    const child = spawn(process.execPath, [SCS, ...args], { cwd: dir, env: { ...process.env, SCS_FILE: '' } });
    child.stdout.destroy();
    return collect(child as ChildProcessWithoutNullStreams);
  }

  it.each([[['--help']], [['up', '--help']], [['compile']], [['completion', 'bash']]])('ends scs %j quietly', async (args) => {
    const run = withClosedStdout(args);
    expect(await run.exited).toBe(0);
    expect(run.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});

describe('colour', () => {
  // FORCE_COLOR makes colour certain without a terminal, so that its absence means something.
  const failure = (env: Record<string, string>, ...args: string[]) =>
    scs([...args, 'compile', '-f', 'missing.yaml'], { NODE_ENV: '', TEST: '', VITEST: '', ...env }, dir);

  it('is there when forced, even where CI is set, and not with NO_COLOR=1 or --ansi never', async () => {
    for (const forced of [failure({ FORCE_COLOR: '1' }), failure({ FORCE_COLOR: '1', CI: 'true' })]) {
      await forced.exited;
      expect(forced.stderr).toContain('\x1b[');
    }
    for (const run of [failure({ FORCE_COLOR: '1', NO_COLOR: '1' }), failure({ FORCE_COLOR: '1' }, '--ansi', 'never')]) {
      await run.exited;
      expect(run.stderr).toContain('cannot read');
      expect(run.stderr).not.toContain('\x1b');
    }
  });
});

describe('help', () => {
  it("starts with the command's description, without (default: true) after a --no- flag, nor the hidden --agent of older versions", async () => {
    const run = scs(['up', '--help']);
    expect(await run.exited).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('Build, start and connect the services of a stack; against a running agent, converge');
    expect(run.stdout).toMatch(/--no-logs +In the foreground, do not print what the containers print\n/);
    expect(run.stdout).not.toMatch(/--agent|\(default: true\)/);
  });

  it('of logs says what -f means after the verb', async () => {
    const run = scs(['logs', '--help']);
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/-f, --follow/);
    expect(run.stdout).toMatch(/ --file <file>/);
  });

  it('of scripts/harness prints its usage', async () => {
    const child = spawn(join(root, 'scripts/harness'), ['--help']);
    const run = collect(child as ChildProcessWithoutNullStreams);
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/^Three hosts in two data centers/);
    expect(run.stdout).toContain('scripts/harness up [IMAGE...]');
  });
});
