// `scs run [options] SERVICE [CMD ARGS...]`: its flags; the work is src/agent/run-one-off.ts's.

import type { CAC } from 'cac';
import { commandOf, parseEnvFlags } from '../src/agent/command-flags.ts';
import { runOneOff } from '../src/agent/run-one-off.ts';
import { type GlobalFlags, repeated, withDiscoAccess } from './common.ts';
import { connectPlacement, stackHere } from './placement-flags.ts';
import { type StackFlags, withStackFile } from './stack.ts';

interface RunFlags extends StackFlags, GlobalFlags {
  /** `--no-rm`: false. */
  rm?: boolean;
  T?: boolean;
  env?: string | string[];
  entrypoint?: string;
  user?: string;
  workdir?: string;
  name?: string;
  '--'?: string[];
}

export function registerRun(cli: CAC): void {
  withDiscoAccess(
    withStackFile(
      cli.command(
        'run <service> [...command]',
        "Run a one-off command in a new container of a service's image, with its environment, volumes and network, as docker compose run",
      ),
    ),
  )
    .option('--no-rm', 'Keep the container once it ends (--rm, the default, removes it)')
    .option('-T', 'No terminal (TTY), even when stdin and stdout are one')
    .option('-e, --env <name=value>', 'Set a variable; repeat for more (-e NAME alone passes NAME from here)')
    .option('--entrypoint <program>', "Run this program in place of the image's entrypoint ('' for none)")
    .option('-u, --user <user>', 'Run as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'Run in this folder of the container')
    .option('--name <name>', 'Name the container (default: scs-<stack>-<environment>-<service>-run-<6 hex digits>)')
    .example('scs run client env')
    .example("scs run --no-rm web sh -c 'ls /data'")
    .action(async (service: string, words: string[], flags: RunFlags) => {
      process.exitCode = await runOneOff(
        flags,
        {
          service,
          command: commandOf(words, flags['--']),
          ...(flags.entrypoint === undefined ? {} : { entrypoint: String(flags.entrypoint) }),
          env: parseEnvFlags(repeated(flags.env)),
          user: flags.user,
          workdir: flags.workdir,
          name: flags.name,
          noTty: flags.T === true,
          remove: flags.rm !== false,
        },
        // The disco this host's agent of the stack uses (its embedded one too), as scs scale finds it.
        () => connectPlacement({ ...flags, remembered: true }, stackHere({ ...flags, remembered: true }), 'scs run'),
      );
    });
}
