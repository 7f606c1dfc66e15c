// Issue 28, found while trying it: examples/hello copied with `cp -r` (its old `.scs/` and all) and
// its stack renamed. `scs up -d` there ran the other stack file, the one the copied state remembered,
// and then waited for a state file that never changed. Now it runs the file in the folder, beside the
// original (their states are keyed by stack), and returns; a copy that keeps the name is refused in
// one sentence while the original runs.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLabel } from '../../src/agent/identity.ts';
import { writeState } from '../../src/agent/state.ts';
import { legacyStateFolder } from '../../src/agent/state-folder.ts';
import { LABEL } from '../../src/docker/engine.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(`a copied stack folder${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let original: string;
  let copy: string;
  let sameName: string;
  const stackFile = (dir: string) => join(dir, 'scs-stack.yaml');

  beforeAll(async () => {
    await run(join(root, 'scripts/base-image'));
    original = mkdtempSync(join(tmpdir(), 'scs-original-'));
    cpSync(join(root, 'examples/hello'), original, { recursive: true, filter: (source) => !source.includes('.scs') });
    // Its own environment, so that its containers are this test's.
    writeFileSync(stackFile(original), readFileSync(stackFile(original), 'utf8').replace(/^environment: dev$/m, 'environment: copied'));
  }, 120_000);

  afterAll(async () => {
    for (const dir of [copy, original]) if (dir) await scs(['down'], {}, dir).exited;
    for (const dir of [copy, sameName, original]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs its own renamed stack file beside the original, and returns', async () => {
    const up = scs(['up', '-d'], {}, original);
    expect(await up.exited, up.stderr).toBe(0);
    // The state an older scs kept beside the stack file, naming the original's file: what `cp -r` carried along.
    writeState(legacyStateFolder(original, hostLabel()), agentState('hello')!);

    copy = mkdtempSync(join(tmpdir(), 'scs-copy-'));
    cpSync(original, copy, { recursive: true });
    writeFileSync(stackFile(copy), readFileSync(stackFile(copy), 'utf8').replace(/^name: hello$/m, 'name: hello-copy'));
    const copied = scs(['up', '-d'], {}, copy);
    const exited = await Promise.race([copied.exited, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 90_000))]);
    if (exited === 'still waiting') copied.child.kill('SIGKILL');
    expect(exited, copied.stderr).toBe(0);
    expect(copied.stderr).toContain(`${join(copy, '.scs', hostLabel())} was left by an older scs`);

    expect(agentState('hello-copy')?.files).toEqual([stackFile(copy)]);
    expect(agentState('hello')?.files).toEqual([stackFile(original)]);
    expect(agentState('hello')?.phase).toBe('running');
    const running = async (stack: string) =>
      (await engine.list({ [LABEL.stack]: stack, [LABEL.environment]: 'copied' })).filter((c) => c.state === 'running').length;
    expect(await running('hello')).toBe(2);
    expect(await running('hello-copy')).toBe(2);
  }, 180_000);

  it('refuses, in one sentence, a copy that keeps the name while the original runs', async () => {
    sameName = mkdtempSync(join(tmpdir(), 'scs-same-name-'));
    cpSync(original, sameName, { recursive: true, filter: (source) => !source.includes('.scs') });
    const up = scs(['up', '-d'], {}, sameName);
    expect(await up.exited).toBe(1);
    expect(up.stderr).toContain(
      `was started with ${stackFile(original)}, not ${stackFile(sameName)}; scs down -f ${stackFile(original)} stops it, or give this copy's stack another name`,
    );
    expect(agentState('hello')?.files).toEqual([stackFile(original)]);
  }, 60_000);
});
