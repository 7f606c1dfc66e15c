import { cac } from 'cac';
import { describe, expect, it } from 'vitest';
import { completionTable, flagsOf } from '../../cli/completion.ts';
import { completionScript, safeTable } from '../../cli/completion-scripts.ts';

describe('scs completion', () => {
  it('reads each spelling of a flag, and which take a value', () => {
    const command = cac('scs')
      .command('x')
      .option('-d, --detach', 'd')
      .option('--tail <n>', 't')
      .option('-f, --file <file>', 'f')
      .option('--no-logs', 'n');
    expect(flagsOf(command)).toEqual({
      flags: ['-d', '--detach', '--tail', '-f', '--file', '--no-logs'],
      valueFlags: ['--tail', '-f', '--file'],
    });
  });

  it('completes a verb registered later without a change: the table comes from the commands', async () => {
    const table = await completionTable(async (cli) => {
      cli.command('frobnicate [...services]', "Frobnicate a service, it's quoted").option('--wibble <level>', 'w');
      cli.command('ls [name]', 'List');
    });
    expect(table.verbs).toEqual([
      {
        name: 'frobnicate',
        description: "Frobnicate a service, it's quoted",
        flags: ['--wibble'],
        valueFlags: ['--wibble'],
        services: true,
        words: [],
      },
      { name: 'ls', description: 'List', flags: [], valueFlags: [], services: false, words: [] },
    ]);
    expect(table.globalValueFlags).toEqual(expect.arrayContaining(['-f', '--file', '-p', '--project-name', '--disco', '--ansi']));
    const bash = completionScript('bash', table);
    expect(bash).toContain("frobnicate) echo '--wibble' ;;");
    expect(bash).toContain('frobnicate) return 0 ;;');
    expect(completionScript('zsh', table)).toContain("'frobnicate:Frobnicate a service, it'\\''s quoted'");
    expect(completionScript('fish', table)).toContain(
      `complete -c scs -n "not __fish_seen_subcommand_from frobnicate ls" -a frobnicate -d 'Frobnicate a service, it\\'s quoted'`,
    );
  });

  it('leaves out a word a script could not hold, and a global flag from each verb', () => {
    const table = safeTable({
      verbs: [
        {
          name: 'ok',
          description: '',
          flags: ['--fine', '--file', '--bad;rm'],
          valueFlags: ['--file'],
          services: false,
          words: ['$(x)', 'prune'],
        },
        { name: 'bad$(rm)', description: '', flags: [], valueFlags: [], services: false, words: [] },
      ],
      globalFlags: ['--file'],
      globalValueFlags: ['--file'],
    });
    expect(table.verbs).toEqual([
      { name: 'ok', description: '', flags: ['--fine'], valueFlags: ['--file'], services: false, words: ['prune'] },
    ]);
  });
});
