import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cac from 'cac';
import { afterEach, describe, expect, it } from 'vitest';
import { commandFor, dashedFlags, spellFlagsForParser, spellGlobalsLong } from '../../cli/arguments.ts';
import { formatVersion, readBuildInfo } from '../../cli/build-info.ts';
import { commandWord } from '../../cli/command-word.ts';
import { COMMANDS, summarizeCommands } from '../../cli/commands.ts';

const ALL = Object.keys(COMMANDS);

describe('which commands scs loads', () => {
  it('finds the command word past options and the value of --disco', () => {
    expect(commandWord(['ls'])).toBe('ls');
    expect(commandWord(['--debug', 'ls', 'mysql.db.blog.prod'])).toBe('ls');
    expect(commandWord(['--disco', '127.0.0.1:9640', 'ps', '--json'])).toBe('ps');
    expect(commandWord(['--disco=127.0.0.1:9640', 'ps'])).toBe('ps');
    expect(commandWord(['--json', 'ls'])).toBe('ls');
    expect(commandWord(['--help'])).toBeUndefined();
    expect(commandWord(['--', 'ls'])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
  });

  it('skips the values of the global -f/--file, -p/--project-name and --ansi given before the verb', () => {
    expect(commandWord(['-f', 'x.yaml', 'logs', '-f', 'web'])).toBe('logs');
    expect(commandWord(['--file', 'x.yaml', '--file', 'y.yaml', 'ps'])).toBe('ps');
    expect(commandWord(['-p', 'east', 'down'])).toBe('down');
    expect(commandWord(['--project-name', 'east', 'ps'])).toBe('ps');
    expect(commandWord(['--ansi', 'never', 'ps'])).toBe('ps');
    expect(commandFor(['-f', 'ps', 'up'])).toBe('up'); // a file may be called like a verb
  });

  it('spells -f and -p long, except -f after logs (--follow there), so that each verb keeps its own', () => {
    expect(spellGlobalsLong(['-f', 'x.yaml', 'logs', '-f', 'web'])).toEqual(['--file', 'x.yaml', 'logs', '-f', 'web']);
    expect(spellGlobalsLong(['-p', 'east', '-f', 'a.yaml', '-f', 'b.yaml', 'up', '-d'])).toEqual([
      '--project-name',
      'east',
      '--file',
      'a.yaml',
      '--file',
      'b.yaml',
      'up',
      '-d',
    ]);
    expect(spellGlobalsLong(['up', '-f', 'x.yaml', '-p', 'east'])).toEqual(['up', '--file', 'x.yaml', '--project-name', 'east']);
    expect(spellGlobalsLong(['logs', '-f', '--file', 'x.yaml', '-p', 'east'])).toEqual([
      'logs',
      '-f',
      '--file',
      'x.yaml',
      '--project-name',
      'east',
    ]);
    expect(spellGlobalsLong(['compile', '--file', 'a.yaml', '-f', 'b.yaml'])).toEqual(['compile', '--file', 'a.yaml', '--file', 'b.yaml']);
    expect(spellGlobalsLong(['up', '-f', '-p'])).toEqual(['up', '--file', '-p']);
    expect(spellGlobalsLong(['--debug', '-f', 'x.yaml'])).toEqual(['--debug', '--file', 'x.yaml']);
    expect(spellGlobalsLong(['--', '-f'])).toEqual(['--', '-f']);
  });

  it('loads only the command named, even with its --help', () => {
    expect(commandFor(['ls', '--disco', '127.0.0.1:1'])).toBe('ls');
    expect(commandFor(['up', '-d', '-f', 'a.yaml'])).toBe('up');
    expect(commandFor(['ps', '--help'])).toBe('ps');
    expect(commandFor(['version'])).toBe('version');
  });

  it('loads version alone for a bare --version or -v, and none (so every one is listed) for help or an unknown word', () => {
    expect(commandFor(['--version'])).toBe('version');
    expect(commandFor(['-v'])).toBe('version');
    expect(commandFor(['--version', '--help'])).toBeUndefined();
    expect(commandFor([])).toBeUndefined();
    expect(commandFor(['--help'])).toBeUndefined();
    expect(commandFor(['frobnicate'])).toBeUndefined();
    expect(commandFor(['frobnicate', '--version'])).toBeUndefined();
    // A name that every object has is still not a command.
    expect(commandFor(['constructor'])).toBeUndefined();
  });

  it('every entry of the table registers the command of its name', async () => {
    const summaries = await summarizeCommands();
    expect(summaries.map((summary) => summary.usage.split(' ')[0])).toEqual(ALL);
    for (const summary of summaries) expect(summary.description, summary.usage).not.toBe('');
  });
});

describe('what scs says it is', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function packageFolder(version: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'scs-build-info-'));
    made.push(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version }));
    return dir;
  }

  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { encoding: 'utf8' }).trim();

  it('is the version alone outside a checkout', () => {
    const info = readBuildInfo(packageFolder('1.2.3'));
    expect(info).toEqual({ version: '1.2.3' });
    expect(formatVersion(info)).toBe('scs 1.2.3');
  });

  it('adds the commit in a checkout, marked -dirty while a tracked file has changes', () => {
    const dir = packageFolder('1.2.3');
    git(dir, 'init', '-q');
    git(dir, 'add', 'package.json');
    git(dir, 'commit', '-q', '-m', 'first');
    const head = git(dir, 'rev-parse', '--short=12', 'HEAD');
    expect(readBuildInfo(dir)).toEqual({ version: '1.2.3', commit: head });
    expect(formatVersion(readBuildInfo(dir))).toBe(`scs 1.2.3 (commit ${head})`);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.4' }));
    expect(readBuildInfo(dir)).toEqual({ version: '1.2.4', commit: `${head}-dirty` });
  });

  it('does not take the commit of a repository the package merely sits in', () => {
    const outer = packageFolder('0.0.1');
    git(outer, 'init', '-q');
    git(outer, 'add', 'package.json');
    git(outer, 'commit', '-q', '-m', 'outer');
    const inner = join(outer, 'vendor', 'scs');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(inner, 'package.json'), JSON.stringify({ version: '1.2.3' }));
    expect(readBuildInfo(inner)).toEqual({ version: '1.2.3' });
  });

  it('refuses a package.json without a version, saying so', () => {
    const dir = packageFolder('1.2.3');
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}');
    expect(() => readBuildInfo(dir)).toThrow(/version/);
  });
});

describe('flags with a dash in their name (cacjs/cac#169)', () => {
  it('are spelled for the parser in camelCase, so the word after one stays an argument', () => {
    const flags = dashedFlags([
      { rawName: '--dry-run', isBoolean: true },
      { rawName: '--no-logs', isBoolean: true },
      { rawName: '-d, --detach', isBoolean: true },
      { rawName: '--wait-timeout <duration>', isBoolean: false },
      { rawName: '--http-insecure', isBoolean: true },
    ]);
    expect([...flags]).toEqual([
      ['--dry-run', '--dryRun'],
      ['--http-insecure', '--httpInsecure'],
    ]);
    expect(spellFlagsForParser(['up', '--dry-run', 'web', '--wait-timeout', '5s', '--', '--dry-run'], flags)).toEqual([
      'up',
      '--dryRun',
      'web',
      '--wait-timeout',
      '5s',
      '--',
      '--dry-run',
    ]);
  });

  it('leave scs up --dry-run web a dry run of web, as cac reads it', () => {
    const cli = cac('scs');
    let seen: { services: string[]; dryRun: unknown } | undefined;
    cli
      .command('up [...services]')
      .option('--dry-run', 'plan')
      .action((services: string[], options: { dryRun?: unknown }) => {
        seen = { services, dryRun: options.dryRun };
      });
    const flags = dashedFlags(cli.commands.flatMap((command) => command.options));
    cli.parse(['', '', ...spellFlagsForParser(['up', '--dry-run', 'web'], flags)]);
    expect(seen).toEqual({ services: ['web'], dryRun: true });
  });
});
