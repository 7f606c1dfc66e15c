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

/** `systemd-analyze verify` of `text` as the instance file scs-agent@blog.service, with more unit files beside it. */
async function verify(text: string, beside: Record<string, string> = {}, instance = 'blog'): Promise<{ code: number; stderr: string }> {
  const folder = mkdtempSync(join(scratch, 'units-'));
  const file = join(folder, `scs-agent@${instance}.service`);
  writeFileSync(file, text);
  const others = Object.entries(beside).map(([name, content]) => {
    writeFileSync(join(folder, name), content);
    return join(folder, name);
  });
  try {
    const { stderr } = await run('systemd-analyze', ['verify', file, ...others], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
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

describe('scs agent --print-socket', () => {
  const hello = join(root, 'examples/hello/scs-stack.yaml');

  it("prints the socket unit holding the host DNS's sockets on the pinned subnet's gateway, which verify passes with its service", async () => {
    const pinned = join(scratch, 'pinned.yaml');
    writeFileSync(pinned, 'network: { subnet: 10.89.4.0/24 }\n');
    const { stdout: socket } = await run(scs, ['agent', '--print-socket', '-f', hello, '-f', pinned]);
    for (const line of ['ListenDatagram=10.89.4.1:53', 'ListenStream=10.89.4.1:53', 'FileDescriptorName=dns', 'FreeBind=yes']) {
      expect(socket.split('\n')).toContain(line);
    }
    // UDP first: the agent takes the two sockets named dns in that order.
    expect(socket.indexOf('ListenDatagram=')).toBeLessThan(socket.indexOf('ListenStream='));
    const { stdout: unit } = await run(scs, ['agent', '--print-unit']);
    expect(await verify(unit, { 'scs-agent@hello.socket': socket }, 'hello')).toEqual({ code: 0, stderr: '' });
  }, 60_000);

  it('refuses, in one sentence, a stack whose subnet is not pinned: its gateway is not known before Docker makes the network', async () => {
    const refused = await run(scs, ['agent', '--print-socket', '-f', hello]).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect('code' in refused && refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('does not pin its network');
  }, 60_000);
});
