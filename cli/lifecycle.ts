// `scs stop`, `scs start` and `scs restart`: requests to this project's running agent.

import type { CAC } from 'cac';
import { consola } from 'consola';
import { agentBudgetMs, waitedFor } from '../src/agent/cli-wait.ts';
import { exitCodeOf, UserError } from './common.ts';
import { project, runningAgent, type StackFlags, withStackFile } from './stack.ts';

const VERBS = {
  stop: 'Drop what services provide and stop their containers (kept; scs start starts them again); every service when none is named',
  start: 'Start stopped services again; every service when none is named',
  restart: 'Restart the containers of services, their endpoints dropped meanwhile; every service when none is named',
} as const;

function registerVerb(cli: CAC, verb: keyof typeof VERBS): void {
  withStackFile(cli.command(`${verb} [...services]`, VERBS[verb])).action(async (names: string[], flags: StackFlags) => {
    const stack = { ...flags, remembered: true };
    const running = runningAgent(stack);
    if (!running?.control) throw new UserError(`no agent of project ${project(stack)} is running here; scs up -d first`);
    const { callAgent } = await import('../src/agent/control.ts');
    try {
      await waitedFor(
        callAgent(running.control, { op: verb, services: names.map((r) => r.toLowerCase()) }, (line) => process.stderr.write(`${line}\n`)),
        // Its containers' waits are bounded by the agent's --wait-timeout, 60 s unless it was given another.
        agentBudgetMs(60_000, running.services.length),
        `the agent (pid ${running.pid}) to ${verb} ${names.length > 0 ? names.join(', ') : 'every service'}`,
      );
    } catch (error) {
      throw new UserError(`scs ${verb} failed: ${(error as Error).message}`, exitCodeOf(error));
    }
    consola.success(`${verb}: ${names.length > 0 ? names.join(', ') : 'every service'}`);
  });
}

export const registerStop = (cli: CAC) => registerVerb(cli, 'stop');
export const registerStart = (cli: CAC) => registerVerb(cli, 'start');
export const registerRestart = (cli: CAC) => registerVerb(cli, 'restart');
