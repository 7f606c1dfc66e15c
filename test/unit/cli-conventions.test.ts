// The habits Compose users bring, as pure pieces: which stack files a command reads, output
// formats, exit codes, colour, and help text.

import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, UsageError, UserError } from '../../cli/common.ts';
import { tidyOptions } from '../../cli/help.ts';
import { parseTail } from '../../cli/logs.ts';
import { outputFormat } from '../../cli/output.ts';
import { stackFiles } from '../../cli/stack.ts';
import { writeState } from '../../src/agent/state.ts';
import { stateFolder } from '../../src/agent/state-folder.ts';
import { WaitTimeoutError } from '../../src/agent/wait-timeout.ts';
import { DiscoError } from '../../src/client/types.ts';
import { applyAnsiMode, colourWanted } from '../../src/colour.ts';

describe('which stack files a command reads', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tree(): string {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'scs-find-')));
    made.push(root);
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    return root;
  }
  const flags = { projectName: 'east' };

  it('takes -f first, then SCS_FILE (a:b), then scs-stack.yaml here or in the nearest folder above', () => {
    const root = tree();
    writeFileSync(join(root, 'scs-stack.yaml'), 'name: top\n');
    writeFileSync(join(root, 'a/scs-stack.yaml'), 'name: a\n');
    expect(stackFiles({ ...flags, file: ['x.yaml', 'y.yaml'] }, { SCS_FILE: 'z.yaml' }, root)).toEqual(['x.yaml', 'y.yaml']);
    expect(stackFiles({ ...flags, file: 'x.yaml' }, {}, root)).toEqual(['x.yaml']);
    expect(stackFiles(flags, { SCS_FILE: 'z.yaml:prod.yaml' }, root)).toEqual(['z.yaml', 'prod.yaml']);
    expect(stackFiles(flags, { SCS_FILE: '' }, join(root, 'a/b/c'))).toEqual([join(root, 'a/scs-stack.yaml')]);
    expect(stackFiles(flags, {}, join(root, 'a'))).toEqual([join(root, 'a/scs-stack.yaml')]);
    rmSync(join(root, 'a/scs-stack.yaml'));
    expect(stackFiles(flags, {}, join(root, 'a/b'))).toEqual([join(root, 'scs-stack.yaml')]);
  });

  it('finds nothing when no folder up to the root has one', () => {
    const root = tree();
    expect(stackFiles(flags, {}, join(root, 'a/b/c'))).toEqual([]);
  });

  it("takes, for a command without files, the ones this project's agent in a folder was started with, overlays included", () => {
    const root = tree();
    const env = { SCS_STATE_DIR: join(root, 'state') };
    writeFileSync(join(root, 'a/scs-stack.yaml'), 'name: a\n');
    const files = [join(root, 'a/scs-stack.yaml'), join(root, 'a/prod.yaml')];
    writeState(stateFolder('east', 'a', env), {
      pid: 1,
      project: 'east',
      host: 'h',
      files,
      only: [],
      phase: 'running',
      stack: 'a',
      environment: 'prod',
      disco: '127.0.0.1:9640',
      services: [],
    });
    expect(stackFiles({ ...flags, remembered: true }, env, join(root, 'a/b'))).toEqual(files);
    // `scs up` and the others that take files read the stack file itself.
    expect(stackFiles(flags, env, join(root, 'a/b'))).toEqual([join(root, 'a/scs-stack.yaml')]);
    // Another project's agent is not this one's.
    expect(stackFiles({ projectName: 'west', remembered: true }, env, join(root, 'a/b'))).toEqual([join(root, 'a/scs-stack.yaml')]);
  });
});

describe('--format', () => {
  it('is table by default, json with --format json or its alias --json, and refuses anything else as a usage error', () => {
    expect(outputFormat({})).toBe('table');
    expect(outputFormat({ format: 'json' })).toBe('json');
    expect(outputFormat({ json: true })).toBe('json');
    expect(outputFormat({ format: 'table' })).toBe('table');
    expect(() => outputFormat({ format: 'yaml' })).toThrow(new UsageError('--format: expected table or json, not "yaml"'));
    expect(() => outputFormat({ format: 'table', json: true })).toThrow(UsageError);
  });
});

describe('exit codes', () => {
  it('are 2 for usage, 3 for an unreachable disco, 124 for a wait that ran out, 1 for anything else', () => {
    expect(exitCodeOf(new UsageError('--x: bad'))).toBe(EXIT.usage);
    expect(exitCodeOf(Object.assign(new Error('Unknown option `--bogus`'), { name: 'CACError' }))).toBe(2);
    expect(exitCodeOf(new DiscoError('unreachable', 'cannot reach disco at 127.0.0.1:1'))).toBe(3);
    expect(exitCodeOf(new DiscoError('timeout', 'no reply'))).toBe(1);
    expect(exitCodeOf(new WaitTimeoutError('web: not healthy after 1 s'))).toBe(124);
    expect(exitCodeOf(new UserError('scs up failed: x', EXIT.timeout))).toBe(124);
    expect(exitCodeOf(new UserError('the stack is bad'))).toBe(1);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
    expect(exitCodeOf(undefined)).toBe(1);
  });
});

describe('colour', () => {
  it('follows --ansi, else NO_COLOR and FORCE_COLOR, else the terminal', () => {
    expect(colourWanted({}, true)).toBe(true);
    expect(colourWanted({}, false)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '0' }, false)).toBe(false);
    const never: NodeJS.ProcessEnv = { FORCE_COLOR: '1' };
    applyAnsiMode('never', never);
    expect(colourWanted(never, true)).toBe(false);
    const always: NodeJS.ProcessEnv = { NO_COLOR: '1' };
    applyAnsiMode('always', always);
    expect(colourWanted(always, false)).toBe(true);
    const auto: NodeJS.ProcessEnv = { NO_COLOR: '1' };
    applyAnsiMode('auto', auto);
    expect(auto).toEqual({ NO_COLOR: '1' });
  });
});

describe('help', () => {
  it('shows no (default: true) after a --no- flag', () => {
    const body = [
      '  -d, --detach   Leave it running ',
      '  --no-logs      Do not print what the containers print (default: true)',
      '  --hold <d>     Hold (default: 1s)',
    ].join('\n');
    expect(tidyOptions({ title: 'Options', body }).body).toBe(
      [
        '  -d, --detach   Leave it running',
        '  --no-logs      Do not print what the containers print',
        '  --hold <d>     Hold (default: 1s)',
      ].join('\n'),
    );
  });
});

describe('logs --tail', () => {
  it('is a number of lines or all', () => {
    expect(parseTail(undefined)).toBeUndefined();
    expect(parseTail('all')).toBeUndefined();
    expect(parseTail('3')).toBe(3);
    expect(parseTail(0)).toBe(0);
    expect(() => parseTail('-1')).toThrow(/number of lines/);
    expect(() => parseTail('many')).toThrow(/number of lines/);
  });
});
