// `scs agent`: its flags, read into the options of src/agent/daemon.ts, which runs the agent; or,
// with --print-unit, the systemd template unit that runs it, or with --print-socket, the socket unit that
// holds its host DNS sockets (src/agent/systemd-unit.ts).

import type { CAC } from 'cac';
import { type AgentFlags, agentOptions, withAgentOptions } from './agent-options.ts';
import { EXIT, exitCodeOf, untilSignal, withDiscoAccess } from './common.ts';
import { withStackFile } from './stack.ts';

interface AgentCommandFlags extends AgentFlags {
  printUnit?: boolean;
  printSocket?: boolean;
}

export function registerAgent(cli: CAC): void {
  withAgentOptions(
    withDiscoAccess(
      withStackFile(
        cli.command(
          'agent [...services]',
          'Run the agent of a stack in the foreground, for a supervisor such as systemd (scs up -d starts one in the background)',
        ),
      ),
    ),
  )
    .option('--print-unit', 'Print the systemd template unit scs-agent@.service, running this scs, and exit')
    .option('--print-socket', "Print the systemd socket unit that holds this stack's host DNS sockets across restarts, and exit")
    .action(async (services: string[], flags: AgentCommandFlags) => {
      if (flags.printUnit) {
        const { agentUnit, installedScs } = await import('../src/agent/systemd-unit.ts');
        process.stdout.write(agentUnit(installedScs()));
        return;
      }
      if (flags.printSocket) {
        const [{ socketUnitOf }, { compileStack }] = await Promise.all([import('../src/agent/systemd-unit.ts'), import('./stack.ts')]);
        process.stdout.write(socketUnitOf(compileStack(flags)));
        return;
      }
      const { runDaemon } = await import('../src/agent/daemon.ts');
      try {
        const ending = await runDaemon({ stack: flags, services, ...agentOptions(flags), untilStopped: untilSignal });
        // At once: a step under way when it handed over is not finished, the agent after it plans afresh.
        process.exit(ending.drain ? EXIT.drained : EXIT.ok);
      } catch (error) {
        // `scs up -d` waits for this process: it hears why, not only that it exited.
        if (process.send && process.connected) process.send({ failed: (error as Error).message, exitCode: exitCodeOf(error) });
        throw error;
      }
    });
}
