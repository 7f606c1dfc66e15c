// The installed `scs` and its code cache (cli/start.ts, cli/code-cache.ts), with the bundle built into
// a scratch folder: the first run of a command that ends well leaves a cache, the next runs use it as
// it is, and a cache that is corrupt or made for another bundle is passed over and made anew. How
// much time it saves is bench:cli's to say.

import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES, bundle } from '../../scripts/bundle.ts';
import { agentState } from '../helpers/agent-state.ts';
import { dockerProblem } from '../helpers/docker.ts';
import { eventually } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

let scratch: string;
let cache: string;
let expectedVersion: string;

beforeAll(async () => {
  // Inside node_modules, so that the bundle finds its externals as it would installed.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  scratch = mkdtempSync(join(root, 'node_modules/.cache/scs-code-cache-'));
  expectedVersion = await bundle(join(scratch, 'dist'));
  mkdirSync(join(scratch, 'bin'));
  for (const file of ['scs.js', 'package.json']) cpSync(join(root, 'bin', file), join(scratch, 'bin', file));
  cache = join(scratch, 'cache');
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function scs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, SCS_CODE_CACHE: cache, NO_COLOR: '1' };
  return run(process.execPath, [join(scratch, 'bin/scs.js'), ...args], { cwd: scratch, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

const cacheFiles = () => readdirSync(cache).sort();

describe('the code cache of the installed scs', () => {
  it('is made by the first run of a command that ends well, and used as it is by the next', async () => {
    const first = await scs(['--version']);
    expect(first).toMatchObject({ code: 0, stdout: `${expectedVersion}\n` });
    expect(cacheFiles()).toEqual([expect.stringMatching(/^scs-[0-9a-f]{16}\.v8cache$/)]);
    const file = join(cache, cacheFiles()[0]!);
    const made = statSync(file);

    expect(await scs(['version'])).toMatchObject({ code: 0, stdout: first.stdout });
    expect(await scs(['--version'])).toMatchObject({ code: 0, stdout: first.stdout });
    // Not written again: V8 took it (a cache it rejects is replaced at exit).
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([made.ino, made.mtimeMs]);
    expect(cacheFiles()).toEqual([expect.stringMatching(/^scs-/), expect.stringMatching(/^version-/)]);
  });

  it('is made for the bundle the command runs: scs ls runs dist/look.cjs, scs version dist/scs.cjs', async () => {
    expect(await scs(['ls', '--help'])).toMatchObject({ code: 0 });
    const hashOf = (command: string) =>
      cacheFiles()
        .find((name) => name.startsWith(`${command}-`))
        ?.slice(command.length + 1);
    expect(hashOf('ls')).toMatch(/^[0-9a-f]{16}\.v8cache$/);
    expect(hashOf('ls')).not.toBe(hashOf('version'));
  });

  it('is not made by a run that fails', async () => {
    const result = await scs(['frobnicate']);
    expect(result.code).toBe(2);
    expect(cacheFiles().filter((name) => name.startsWith('frobnicate'))).toEqual([]);
  });

  it('is passed over when corrupt, and made anew', async () => {
    const file = join(cache, cacheFiles().find((name) => name.startsWith('scs-'))!);
    const corrupt = readFileSync(file);
    const middle = Math.floor(corrupt.length / 4); // inside the payload's first copy
    for (let i = middle; i < middle + 64; i++) corrupt[i]! ^= 0x5a;
    writeFileSync(file, corrupt);
    expect(await scs(['--version'])).toMatchObject({ code: 0, stdout: `${expectedVersion}\n` });
    expect(readFileSync(file).equals(corrupt)).toBe(false);
    const again = statSync(file);
    expect(await scs(['--version'])).toMatchObject({ code: 0 });
    expect(statSync(file).ino).toBe(again.ino);
  });

  it.skipIf(dockerProblem !== undefined)(
    `is made by scs agent drained by scs down, which exits 4 by design${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
    async () => {
      const dir = join(scratch, 'hello');
      cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
      writeFileSync(join(dir, 'cache.yaml'), 'environment: codecache\n');
      const files = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'cache.yaml')];
      const env = { ...process.env, SCS_CODE_CACHE: cache, NO_COLOR: '1' };
      const agent = spawn(process.execPath, [join(scratch, 'bin/scs.js'), 'agent', ...files], { cwd: dir, env, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
      try {
        await eventually(
          () => agentState('hello')?.pid === agent.pid && agentState('hello')?.phase === 'running',
          60_000,
          'the agent to bring hello up',
        );
        expect(cacheFiles().filter((name) => name.startsWith('agent-'))).toEqual([]);
        expect(await scs(['down', ...files])).toMatchObject({ code: 0 });
        expect(await exited).toBe(4);
        expect(cacheFiles().filter((name) => name.startsWith('agent-'))).toEqual([expect.stringMatching(/^agent-[0-9a-f]{16}\.v8cache$/)]);
      } finally {
        agent.kill('SIGKILL');
        await scs(['down', ...files]);
      }
    },
    120_000,
  );

  it('is passed over once the bundle changed on disk, and made anew', async () => {
    const file = join(cache, cacheFiles().find((name) => name.startsWith('scs-'))!);
    const before = statSync(file);
    const when = new Date(Date.now() - 60_000);
    for (const bundled of Object.values(BUNDLES)) utimesSync(join(scratch, 'dist', bundled), when, when);
    expect(await scs(['--version'])).toMatchObject({ code: 0, stdout: `${expectedVersion}\n` });
    expect(statSync(file).ino).not.toBe(before.ino);
  });
});
