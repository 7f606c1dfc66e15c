// The agent's state file as the CLI reads it, including one written before the rename of role to service,
// and as the agent writes it: only its user's, never through a link.

import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasExited, processIdentity, startTimeOf } from '../../../src/agent/process-identity.ts';
import { type AgentState, readState, writeState } from '../../../src/agent/state.ts';
import { eventually } from '../../helpers/wait.ts';

describe('the state file', () => {
  it('reads one written before the rename: roles as only, each role as service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-state-'));
    mkdirSync(join(dir, 'one'), { recursive: true });
    const record = { role: 'web', containerName: 'scs-shop-test-web', image: 'x', status: 'running', provides: [], requires: [] };
    const old = { pid: 1, project: 'one', host: 'h', files: [], roles: ['web'], phase: 'running', stack: 'shop', services: [record] };
    writeFileSync(join(join(dir, 'one'), 'state.json'), JSON.stringify(old));
    const state = readState(join(dir, 'one'))!;
    expect(state.only).toEqual(['web']);
    expect(state.services.map((s) => s.service)).toEqual(['web']);
    expect(state.services[0]).not.toHaveProperty('role');
  });

  const state: AgentState = {
    pid: 1,
    project: 'one',
    host: 'h',
    files: [],
    only: [],
    phase: 'running',
    stack: 'shop',
    environment: 'test',
    disco: '127.0.0.1:1',
    services: [],
  };

  it('is written 0600 in a 0700 folder, replacing a link left at the temporary file rather than writing through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-state-'));
    const folder = join(dir, 'one');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'victim'), 'untouched');
    symlinkSync(join(dir, 'victim'), join(folder, 'state.json.tmp'));
    writeState(folder, state);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('untouched');
    expect(lstatSync(join(folder, 'state.json')).isFile()).toBe(true);
    expect(statSync(join(folder, 'state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(readState(join(dir, 'one'))?.stack).toBe('shop');
  });

  it('is not read through a link, nor when others may write it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-state-'));
    const folder = join(dir, 'one');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify(state));
    symlinkSync(join(dir, 'elsewhere.json'), join(folder, 'state.json'));
    expect(readState(join(dir, 'one'))).toBeUndefined();
    const other = mkdtempSync(join(tmpdir(), 'scs-state-'));
    mkdirSync(join(other, 'one'), { recursive: true, mode: 0o700 });
    writeFileSync(join(join(other, 'one'), 'state.json'), JSON.stringify(state));
    expect(readState(join(other, 'one'))?.stack).toBe('shop');
    chmodSync(join(join(other, 'one'), 'state.json'), 0o666);
    expect(readState(join(other, 'one'))).toBeUndefined();
  });
});

describe('a process start time', () => {
  it('is field 22 of /proc/PID/stat, counted after the last parenthesis of a name that holds spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3)).join(' ');
    expect(startTimeOf(`42 (a) b (c) ${rest}`)).toBe('22');
    expect(startTimeOf('42 (short) S 1')).toBeUndefined();
  });
});

describe('a process that has exited', () => {
  it('is read from field 3 of /proc/PID/stat: Z and X have exited, the others run', () => {
    expect(hasExited('42 (a) b (c) Z 1 2')).toBe(true);
    expect(hasExited('42 (node) X 1 2')).toBe(true);
    expect(hasExited('42 (Z) S 1 2')).toBe(false);
    expect(hasExited('42 (node) R 1 2')).toBe(false);
  });

  it('has no identity while it waits, a zombie, for its parent to reap it: a killed agent is gone', async () => {
    // The shell is replaced by a sleep that never reaps the child the shell started.
    const parent = spawn('sh', ['-c', 'sleep 0.5 & exec sleep 5'], { stdio: 'ignore' });
    try {
      const child = await eventually(() => {
        const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim();
        return children === '' ? undefined : Number(children.split(' ')[0]);
      });
      expect(processIdentity(child)).toBeDefined();
      await eventually(() => readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z'), 3000, 'the child to be a zombie');
      expect(processIdentity(child)).toBeUndefined();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
