// `scs exec`: a command run in the running container of one of this agent's services, as `docker
// compose exec` runs it. The choice of container is exec-target.ts's; the session is src/docker's.

import { execTarget } from './exec-target.ts';
import { hostLabel, ownerLabels } from './identity.ts';
import { checkServices, compileStack, project, runningAgent, type StackFlags } from './stack-files.ts';

export interface ExecRequest {
  readonly service: string;
  readonly instance: number;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly user?: string | undefined;
  readonly workdir?: string | undefined;
  /** `-T`: no TTY even on a terminal. */
  readonly noTty: boolean;
}

/** Runs the command; resolves with its exit code. */
export async function execInService(stack: StackFlags, request: ExecRequest): Promise<number> {
  const flags = { ...stack, remembered: true };
  const compiled = compileStack(flags, { hashImages: false });
  checkServices(compiled, [request.service]);
  const service = request.service.toLowerCase();
  const agent = runningAgent(flags);
  const { Engine } = await import('../docker/engine.ts');
  const { execSession } = await import('../docker/exec-session.ts');
  const { wantsTty } = await import('../docker/attach.ts');
  const engine = new Engine();
  await engine.ping();
  const owner = ownerLabels({ stack: compiled.stack, environment: compiled.environment, project: project(flags), host: hostLabel() });
  const container = execTarget({ service, instance: request.instance, records: agent?.services, containers: await engine.list(owner) });
  return execSession(engine.docker, container.id, {
    command: request.command,
    env: request.env,
    user: request.user,
    workdir: request.workdir,
    tty: wantsTty(request.noTty),
  });
}
