// One agent per project and stack: agent.pid names the live agent that holds the state folder, and
// what a dead agent (or a PID another process took since) left is cleared for its successor.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimFolder, lockFile, lockHolder } from '../../../src/agent/agent-lock.ts';
import { processIdentity } from '../../../src/agent/process-identity.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A live process other than this one, as the holder of a folder. */
function otherProcess(): ChildProcess {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const holdBy = (folder: string, pid: number, agentProcess = processIdentity(pid)!) =>
  writeFileSync(lockFile(folder), JSON.stringify({ pid, agentProcess }), { mode: 0o600 });

describe('the agent lock', () => {
  it('is taken by the first, refused to a second while the first lives, in one sentence, and let go of', () => {
    const folder = mkdtempSync(join(tmpdir(), 'scs-lock-'));
    const first = otherProcess();
    holdBy(folder, first.pid!);
    expect(() => claimFolder(folder, 'the agent of hello (project one)')).toThrow(
      `the agent of hello (project one) is already running (pid ${first.pid}); scs down stops it, scs ps shows it`,
    );
    expect(lockHolder(folder)?.pid).toBe(first.pid);

    const release = claimFolder(mkdtempSync(join(tmpdir(), 'scs-lock-')), 'x');
    release();
    const mine = mkdtempSync(join(tmpdir(), 'scs-lock-'));
    const releaseMine = claimFolder(mine, 'x');
    expect(JSON.parse(readFileSync(lockFile(mine), 'utf8')).pid).toBe(process.pid);
    releaseMine();
    expect(existsSync(lockFile(mine))).toBe(false);
  });

  it('left by a dead agent, or naming a PID another process has taken since, never blocks a successor', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'scs-lock-'));
    const dead = otherProcess();
    const identity = processIdentity(dead.pid!)!;
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    holdBy(folder, dead.pid!, identity);
    claimFolder(folder, 'x')();

    const reused = otherProcess();
    holdBy(folder, reused.pid!, { ...processIdentity(reused.pid!)!, startTime: '1' });
    claimFolder(folder, 'x')();

    writeFileSync(lockFile(folder), 'half a line');
    claimFolder(folder, 'x')();
  });
});
