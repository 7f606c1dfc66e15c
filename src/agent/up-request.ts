// What a running agent does with `scs up` sent to its control socket: it reads the stack files
// again as the command had them (its profiles and variables, none sent: none), checks they are the
// same stack below the same folder, builds what it will run, and converges (Agent.apply).

import { consola } from 'consola';
import { UserError } from '../errors.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { Agent } from './agent.ts';
import { buildImages } from './build.ts';
import type { ControlRequest } from './control.ts';
import type { AgentMeter } from './meter.ts';
import { checkFilesBelow, checkServices, compileStack } from './stack-files.ts';

export async function upRequest(
  request: Extract<ControlRequest, { op: 'up' }>,
  {
    compiled,
    running,
    engine,
    meter,
  }: {
    compiled: CompiledStack;
    running: Agent;
    engine: Parameters<typeof buildImages>[0];
    meter: Pick<AgentMeter, 'built'> | undefined;
  },
): Promise<void> {
  checkFilesBelow(compiled.directory, request.files);
  // The services it runs by name are kept.
  const next = compileStack({
    file: request.files,
    named: [...request.services, ...running.state().only],
    variables: request.variables ?? {},
    ...(request.profiles ? { profile: request.profiles } : {}),
  });
  if (next.stack !== compiled.stack)
    throw new UserError(`this agent runs the stack ${compiled.stack}; ${request.files[0]} is the stack ${next.stack}`);
  checkServices(next, request.services);
  // Only what this agent will run: the other services may be another host's to build. `scs up`
  // built them and said so just before: an image found is not said twice.
  const services = running.targets(next, request.services);
  await buildImages(engine, { ...next, services }, consola.withTag('build'), undefined, meter, { sayCurrent: false });
  await running.apply(next, request.services);
}
