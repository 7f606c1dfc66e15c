// `scs exec [options] SERVICE CMD [ARGS...]`: its flags; the work is src/agent/exec-in.ts's.

import type { CAC } from 'cac';
import { commandOf, parseEnvFlags, parseInstance } from '../src/agent/command-flags.ts';
import { execInService } from '../src/agent/exec-in.ts';
import { repeated, UsageError } from './common.ts';
import { type StackFlags, withStackFile } from './stack.ts';

interface ExecFlags extends StackFlags {
  instance?: string | number;
  T?: boolean;
  env?: string | string[];
  user?: string;
  workdir?: string;
  '--'?: string[];
}

export function registerExec(cli: CAC): void {
  withStackFile(cli.command('exec <service> [...command]', "Run a command in a service's running container, as docker compose exec"))
    .option('--instance <n>', 'Which instance of the service, once it has replicas (default: 1)')
    .option('-T', 'No terminal (TTY), even when stdin and stdout are one')
    .option('-e, --env <name=value>', 'Set a variable for the command; repeat for more (-e NAME alone passes NAME from here)')
    .option('-u, --user <user>', 'Run the command as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'Run the command in this folder of the container')
    .example('scs exec web sh')
    .example("scs exec web sh -c 'echo $HOME'")
    .example('echo hi | scs exec -T web cat')
    .action(async (service: string, words: string[], flags: ExecFlags) => {
      const command = commandOf(words, flags['--']);
      if (command.length === 0) throw new UsageError(`scs exec ${service}: which command? (scs exec ${service} sh)`);
      process.exitCode = await execInService(flags, {
        service,
        instance: parseInstance(flags.instance),
        command,
        env: parseEnvFlags(repeated(flags.env)),
        user: flags.user,
        workdir: flags.workdir,
        noTty: flags.T === true,
      });
    });
}
