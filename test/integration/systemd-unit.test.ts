// The systemd unit that ships with scs: `scs agent --print-unit` from the installed package (npm pack,
// then a global install into a scratch prefix), checked by `systemd-analyze verify` as an instance
// file. verify exits 0 even on warnings, so its stderr must be empty too.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

let scratch: string;
let scs: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'scs-unit-'));
  const prefix = join(scratch, 'prefix');
  const { stdout } = await run('npm', ['pack', '--pack-destination', scratch], { cwd: root });
  const tarball = join(scratch, stdout.trim().split('\n').pop()!);
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: scratch });
  scs = join(prefix, 'bin', 'scs');
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `systemd-analyze verify` of `text` as the instance file scs-agent@blog.service. */
async function verify(text: string): Promise<{ code: number; stderr: string }> {
  const folder = mkdtempSync(join(scratch, 'units-'));
  const file = join(folder, 'scs-agent@blog.service');
  writeFileSync(file, text);
  try {
    const { stderr } = await run('systemd-analyze', ['verify', file], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

describe('scs agent --print-unit', () => {
  it('prints a template unit running the installed scs, which systemd-analyze verify passes without a word', async () => {
    const { stdout: unit } = await run(scs, ['agent', '--print-unit']);
    expect(unit).toContain(`\nExecStart=${scs} agent\n`);
    for (const line of [
      'Restart=always',
      'RestartSec=100ms',
      'StateDirectory=scs',
      'WorkingDirectory=/etc/scs/%i',
      // `scs down` drains the agent, which exits 4: systemd must not start it again, nor call the unit failed.
      'RestartPreventExitStatus=4',
      'SuccessExitStatus=4',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(await verify(unit)).toEqual({ code: 0, stderr: '' });
  }, 60_000);

  it('is checked for real: a unit whose ExecStart is not executable, or with a misplaced key, does not pass', async () => {
    const { stdout: unit } = await run(scs, ['agent', '--print-unit']);
    const notExecutable = join(scratch, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    const broken = await verify(unit.replace(`ExecStart=${scs}`, `ExecStart=${notExecutable}`));
    expect(broken.stderr).toContain(notExecutable);
    const misplaced = await verify(unit.replace('StateDirectory=scs', 'StateDirectory=scs\nStartLimitBurst=5\nWantedBy=x'));
    expect(misplaced.stderr).not.toBe('');
    expect(readFileSync(scs, 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
  }, 60_000);
});
