// Operating a running stack on the real Docker Engine: two agents of one stack on one daemon and
// one disco, convergence against a running agent, stop, start, restart, and a container lost
// behind an agent's back.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import type { DiscoServer } from '../../src/server/server.ts';
import { agentState } from '../helpers/agent-state.ts';
import { scs } from '../helpers/cli.ts';
import { startDisco } from '../helpers/disco.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(dockerProblem !== undefined)(`operating a running stack${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let dir: string;
  let disco: DiscoServer;
  const labels = { [LABEL.stack]: 'hello', [LABEL.environment]: 'operate' };
  const containers = async (name: string) => engine.list({ ...labels, [LABEL.service]: name });
  // Run in the stack's folder, as a user would: there, the agent's remembered files stand in for -f.
  const as = (project: string, ...args: string[]) =>
    scs([...args, '--project-name', project], { SCS_DISCO: `127.0.0.1:${disco.address().port}` }, dir);
  const run = async (project: string, ...args: string[]) => {
    const command = as(project, ...args);
    const code = await command.exited;
    expect(code, `scs ${args.join(' ')} --project-name ${project}\n${command.stderr}`).toBe(0);
    return command;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scs-operate-'));
    cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(join(dir, 'operate.yaml'), 'environment: operate\n');
    disco = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 2000 });
  });

  afterAll(async () => {
    if (!dir) return;
    for (const project of ['east', 'west'])
      await as(project, 'down', '--volumes', '-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'operate.yaml')).exited;
    await disco?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs two agents of one stack on one daemon, converges, stops, starts, restarts, and one down spares the other', async () => {
    const files = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'operate.yaml')];
    await run('east', 'up', '-d', 'web', ...files);
    await run('west', 'up', '-d', '--debounce', '100ms', 'client', ...files);
    const [web] = await containers('web');
    const [client] = await containers('client');
    expect(web!.labels[LABEL.agent]).toBe('east');
    expect(client!.labels[LABEL.agent]).toBe('west');

    // A second `up` against the running agent converges instead of refusing; ps needs no -f.
    const again = await run('west', 'up', 'client', ...files);
    expect(`${again.stdout}${again.stderr}`).toMatch(/is up to date \(agent pid /);
    expect((await containers('client'))[0]!.id).toBe(client!.id);
    const ps = await run('west', 'ps', '--json');
    const listed = JSON.parse(ps.stdout);
    expect(listed.agent).toMatchObject({ project: 'west', files: [join(dir, 'scs-stack.yaml'), join(dir, 'operate.yaml')] });
    expect(listed.services.map((s: { service: string; host: string }) => s.service)).toEqual(['client']);

    // A changed setting replaces the client (it has a volume: stop-first), and nothing else.
    writeFileSync(join(dir, 'env.yaml'), 'services:\n  client:\n    env:\n      MODE: changed\n');
    await run('west', 'up', 'client', ...files, '-f', join(dir, 'env.yaml'));
    const [replaced] = await containers('client');
    expect(replaced!.id).not.toBe(client!.id);
    expect((await engine.docker.getContainer(replaced!.id).inspect()).Config.Env).toContain('MODE=changed');
    expect((await containers('web'))[0]!.id).toBe(web!.id);

    // The agent builds only what it runs: a service of the stack that another agent runs, whose
    // image would not even build here, does not stop `scs up client`.
    mkdirSync(join(dir, 'broken'), { recursive: true });
    writeFileSync(join(dir, 'broken/scs.yaml'), 'from: scs-base:busybox\nbuild:\n  - run: exit 3\ncommand: [sleep, "3600"]\n');
    writeFileSync(join(dir, 'broken.yaml'), 'services:\n  broken:\n    image: ./broken\n');
    await run('west', 'up', 'client', ...files, '-f', join(dir, 'env.yaml'), '-f', join(dir, 'broken.yaml'));
    expect((await containers('client'))[0]!.id).toBe(replaced!.id);
    expect(await containers('broken')).toEqual([]);

    // stop keeps the container; start starts the same one; restart keeps it too.
    await run('west', 'stop', 'client');
    expect((await engine.inspect(replaced!.id))!.running).toBe(false);
    expect(JSON.parse((await run('west', 'ps', '--json')).stdout).services[0].state).toBe('stopped (scs stop)');
    await run('west', 'start', 'client');
    expect((await engine.inspect(replaced!.id))!.running).toBe(true);
    const before = (await engine.inspect(replaced!.id))!.startedAt;
    await run('west', 'restart', 'client');
    expect((await engine.inspect(replaced!.id))!.startedAt).not.toBe(before);
    const notOurs = as('west', 'stop', 'web');
    expect(await notOurs.exited).toBe(1);
    expect(notOurs.stderr).toContain('this agent does not run "web" (it runs: client)');

    // A container removed behind the agent's back is reported lost.
    await engine.remove(web!.id);
    await eventually(() => agentState('hello', 'east')?.services[0]?.status === 'lost: removed outside scs', 10_000, 'east to notice');
    expect(JSON.parse((await run('east', 'ps', '--json')).stdout).services[0].state).toBe('lost: removed outside scs');
    await run('east', 'up', 'web');
    const [back] = await containers('web');
    expect(back?.state).toBe('running');

    // east comes down; west's client stays, untouched.
    await run('east', 'down');
    expect(await containers('web')).toEqual([]);
    await eventuallyAsync(async () => (await containers('client'))[0]?.state === 'running', 5000, "west's client to stay up");
    expect(agentState('hello', 'west')?.phase).toBe('running');
  }, 240_000);
});
