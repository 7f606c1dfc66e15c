// Where an agent keeps its state: one function decides, from the environment, keyed by project and stack;
// and which stack files a command that takes none finds through the agents' states.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackFiles } from '../../../src/agent/stack-files.ts';
import { type AgentState, writeState } from '../../../src/agent/state.ts';
import { legacyNotice, stateFolder, stateRoot } from '../../../src/agent/state-folder.ts';

describe('the state folder', () => {
  it('is SCS_STATE_DIR, else systemd’s STATE_DIRECTORY, else the XDG state folder, then <project>/<stack>', () => {
    const everything = { SCS_STATE_DIR: '/srv/state', STATE_DIRECTORY: '/var/lib/scs', XDG_STATE_HOME: '/home/u/.state' };
    expect(stateFolder('web1', 'blog', everything)).toBe('/srv/state/web1/blog');
    expect(stateFolder('web1', 'blog', { ...everything, SCS_STATE_DIR: '' })).toBe('/var/lib/scs/web1/blog');
    expect(stateFolder('web1', 'blog', { STATE_DIRECTORY: '/var/lib/scs:/var/lib/other' })).toBe('/var/lib/scs/web1/blog');
    expect(stateFolder('web1', 'blog', { XDG_STATE_HOME: '/home/u/.state' })).toBe('/home/u/.state/scs/web1/blog');
    expect(stateFolder('web1', 'blog', {})).toBe(join(homedir(), '.local/state/scs/web1/blog'));
    // The XDG rule: a relative XDG_STATE_HOME is ignored.
    expect(stateRoot({ XDG_STATE_HOME: 'relative' })).toBe(join(homedir(), '.local/state/scs'));
  });

  it('keeps two stacks of one project apart, and the same stack of two projects', () => {
    const env = { SCS_STATE_DIR: '/s' };
    const folders = new Set([stateFolder('a', 'hello', env), stateFolder('a', 'blog', env), stateFolder('b', 'hello', env)]);
    expect(folders.size).toBe(3);
  });

  it('refuses a name that would climb out of it, and a relative SCS_STATE_DIR', () => {
    expect(() => stateFolder('..', 'blog', { SCS_STATE_DIR: '/s' })).toThrow('".." is not a project name');
    expect(() => stateFolder('a', 'x/../../etc', { SCS_STATE_DIR: '/s' })).toThrow('is not a stack name');
    expect(() => stateRoot({ SCS_STATE_DIR: 'state' })).toThrow('SCS_STATE_DIR must be an absolute path, not "state"');
  });

  it('says in one sentence what to do with an older scs’s .scs/<project>/ beside the stack file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-legacy-'));
    expect(legacyNotice(dir, 'one', { SCS_STATE_DIR: '/s' })).toBeUndefined();
    mkdirSync(join(dir, '.scs', 'one'), { recursive: true });
    expect(legacyNotice(dir, 'one', { SCS_STATE_DIR: '/s' })).toBe(
      `${dir}/.scs/one was left by an older scs, which kept the agent's state beside the stack file; scs keeps it in /s now, so stop that agent with scs down (it still finds it) and then delete ${dir}/.scs`,
    );
  });
});

const state = (stack: string, files: string[]): AgentState => ({
  pid: 1,
  project: 'one',
  host: 'h',
  files,
  only: [],
  phase: 'stopped',
  stack,
  environment: 'dev',
  disco: '127.0.0.1:1',
  services: [],
});

describe('the stack files of a command', () => {
  it('are the stack file in the folder for up, and what an agent started from that folder remembers only for the others', () => {
    const env = { SCS_STATE_DIR: mkdtempSync(join(tmpdir(), 'scs-state-')) };
    const here = mkdtempSync(join(tmpdir(), 'scs-here-'));
    writeFileSync(join(here, 'scs-stack.yaml'), '');
    writeState(stateFolder('one', 'shop', env), state('shop', [join(here, 'base.yaml'), join(here, 'prod.yaml')]));
    expect(stackFiles({ projectName: 'one' }, env, here)).toEqual([join(here, 'scs-stack.yaml')]);
    expect(stackFiles({ projectName: 'one', remembered: true }, env, here)).toEqual([join(here, 'base.yaml'), join(here, 'prod.yaml')]);
    // Another project's agent is not this one's.
    expect(stackFiles({ projectName: 'two', remembered: true }, env, here)).toEqual([join(here, 'scs-stack.yaml')]);
  });

  it('never come from a state whose files are in another folder: a copy of a stack folder runs its own file', () => {
    const env = { SCS_STATE_DIR: mkdtempSync(join(tmpdir(), 'scs-state-')) };
    const original = mkdtempSync(join(tmpdir(), 'scs-original-'));
    const copy = mkdtempSync(join(tmpdir(), 'scs-copy-'));
    writeFileSync(join(copy, 'scs-stack.yaml'), '');
    writeState(stateFolder('one', 'hello', env), state('hello', [join(original, 'scs-stack.yaml')]));
    expect(stackFiles({ projectName: 'one', remembered: true }, env, copy)).toEqual([join(copy, 'scs-stack.yaml')]);
  });

  it('are refused in one sentence when agents of the project ran several stacks from the folder, none its scs-stack.yaml', () => {
    const env = { SCS_STATE_DIR: mkdtempSync(join(tmpdir(), 'scs-state-')) };
    const here = mkdtempSync(join(tmpdir(), 'scs-here-'));
    writeState(stateFolder('one', 'a', env), state('a', [join(here, 'a.yaml')]));
    writeState(stateFolder('one', 'b', env), state('b', [join(here, 'b.yaml')]));
    expect(() => stackFiles({ projectName: 'one', remembered: true }, env, here)).toThrow(
      `agents of project one run several stacks from ${here} (a, b); name one with -f`,
    );
    writeState(stateFolder('one', 'c', env), state('c', [join(here, 'scs-stack.yaml')]));
    expect(stackFiles({ projectName: 'one', remembered: true }, env, here)).toEqual([join(here, 'scs-stack.yaml')]);
  });
});
