// `scs down --volumes` deletes only the Docker volumes scs made for this deployment: a volume of the
// same name that was there before (the user's own) survives, with a one-line report, while the one
// scs made beside it, carrying the deployment's labels and random stack id, is deleted.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.ts';
import { agentFolder } from '../helpers/agent-state.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { project } from '../helpers/project.ts';
import { eventually } from '../helpers/wait.ts';

const ENVIRONMENT = `downvol${process.pid}`;
const THEIRS = `scs-down-theirs-${process.pid}`;
const OURS = `keep-${ENVIRONMENT}-app-cache`;

describe.skipIf(dockerProblem !== undefined)(`scs down --volumes${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  it('leaves a volume scs did not create, saying so in one line, and deletes the one it did', async () => {
    const dir = project({
      'scs-stack.yaml': [
        'name: keep',
        `environment: ${ENVIRONMENT}`,
        'services:',
        '  app:',
        '    image: ./app',
        '    restart: "no"',
        '    volumes:',
        `      data: { method: named, name: ${THEIRS} }`,
        '      cache: { method: named }',
        '',
      ].join('\n'),
      'app/scs.yaml': 'from: scs-base:busybox\nvolumes:\n  data: /data\n  cache: /cache\ncommand: [sleep, "3600"]\n',
    });
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    // The user's volume, made before scs ever ran: no labels of scs's.
    await engine.docker.createVolume({ Name: THEIRS });
    onCleanup(() => engine.removeVolume(THEIRS).catch(() => undefined));
    onCleanup(() => engine.removeVolume(OURS).catch(() => undefined));
    const files = ['-f', join(dir, 'scs-stack.yaml')];
    onCleanup(async () => void (await scs(['down', ...files]).exited));

    const up = scs(['up', '-d', ...files]);
    expect(await up.exited, up.stderr).toBe(0);
    // The volume scs made carries the deployment's identity, its random stack id among it.
    const stackId = readFileSync(join(agentFolder('keep'), 'stack-id'), 'utf8').trim();
    expect((await engine.volumeLabels(OURS))?.[LABEL.stackId]).toBe(stackId);

    const down = scs(['down', '--volumes', ...files]);
    expect(await down.exited, down.stderr).toBe(0);
    const output = `${down.stdout}${down.stderr}`;
    expect(output.split('\n').filter((line) => line.includes(THEIRS))).toEqual([
      expect.stringMatching(new RegExp(`left volume ${THEIRS}: scs did not create it for this stack`)),
    ]);
    expect(await engine.volumeExists(THEIRS)).toBe(true);
    expect(await engine.volumeExists(OURS)).toBe(false);
  }, 120_000);

  it("deletes every instance's own volume, even when the agent died and cannot let go of them itself", async () => {
    const environment = `${ENVIRONMENT}r`;
    const dir = project({
      'scs-stack.yaml': `name: keep\nenvironment: ${environment}\nservices:\n  app:\n    image: ./app\n    replicas: 2\n    volumes:\n      cache: { method: named }\n`,
      'app/scs.yaml': 'from: scs-base:busybox\nvolumes:\n  cache: /cache\ncommand: [sleep, "3600"]\n',
    });
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const volumes = [`keep-${environment}-app-cache`, `keep-${environment}-app-cache-2`];
    for (const volume of volumes) onCleanup(() => engine.removeVolume(volume).catch(() => undefined));
    const files = ['-f', join(dir, 'scs-stack.yaml')];
    onCleanup(async () => void (await scs(['down', ...files]).exited));

    const up = scs(['up', '-d', ...files]);
    expect(await up.exited, up.stderr).toBe(0);
    for (const volume of volumes) expect(await engine.volumeExists(volume), volume).toBe(true);
    // The agent dies: nobody drains, and down alone must find what instance 2 had.
    const { pid } = JSON.parse(readFileSync(join(agentFolder('keep'), 'state.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await eventually(() => !alive(pid), 10_000, 'the agent to die');

    const down = scs(['down', '--volumes', ...files]);
    expect(await down.exited, down.stderr).toBe(0);
    for (const volume of volumes) expect(await engine.volumeExists(volume), volume).toBe(false);
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
