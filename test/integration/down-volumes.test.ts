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
});
