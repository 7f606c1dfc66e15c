// What the README's walkthrough says about `docker kill`, checked on the real daemon with a
// container set up as scs sets up its own (docker-init as PID 1, restart policy on-failure): Docker
// counts a kill as a manual stop and restarts nothing; a process that dies inside is a crash, and
// the restart policy brings it back.

import { afterAll, describe, expect, it } from 'vitest';
import { dockerProblem, engine } from '../helpers/docker.ts';
import { eventuallyAsync, sleep } from '../helpers/wait.ts';

const NAME = `scs-docker-kill-test-${process.pid}`;

describe.skipIf(dockerProblem !== undefined)(
  `docker kill and restart policies${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let id: string | undefined;
    afterAll(async () => {
      if (id) await engine.remove(id);
    });

    it('a docker kill stops the container for good; killing its process inside makes the policy restart it', async () => {
      // As src/docker/engine.ts creates a service's container: docker-init as PID 1, a restart policy.
      id = (
        await engine.docker.createContainer({
          name: NAME,
          Image: 'scs-base:busybox',
          Cmd: ['sleep', '3600'],
          HostConfig: { Init: true, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 } },
        })
      ).id;
      await engine.start(id);
      const state = async () => (await engine.docker.getContainer(id!).inspect()).State;
      const restarts = async () => (await engine.docker.getContainer(id!).inspect()).RestartCount;

      // docker kill: Docker marks it stopped by hand, so on-failure (or always) does not fire.
      await engine.docker.getContainer(id).kill();
      await eventuallyAsync(async () => (await state()).Status === 'exited', 10_000, 'the container to exit');
      await sleep(3000); // a restart would come within ~100 ms; give a loaded machine far more
      expect((await state()).Status).toBe('exited');
      expect((await state()).ExitCode).toBe(137);
      expect(await restarts()).toBe(0);

      // The README's way to see a restart: kill the process inside (docker-init passes SIGTERM on).
      await engine.start(id);
      await eventuallyAsync(async () => (await state()).Running, 10_000, 'the container to run again');
      // The exec's own exit status is a race: it can end with the container it stopped (137).
      // What matters is what Docker does next.
      await engine.exec(id, ['kill', '1'], {}).catch(() => undefined);
      await eventuallyAsync(async () => (await restarts()) === 1 && (await state()).Running, 20_000, 'the restart policy to bring it back');
    }, 60_000);
  },
);
