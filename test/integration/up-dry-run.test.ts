// `scs up --dry-run` plans what `scs up` would do, on the real Docker Engine: with an agent running
// some of the stack's services (`scs up -d web`), a plain `scs up` keeps to those, and so does the
// plan. It once planned every service of the stack, a container the real `up` then did not make.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/engine.ts';
import { helloStack } from '../helpers/agent-restart.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

describe.skipIf(dockerProblem !== undefined)(`scs up --dry-run${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`, () => {
  let stack: { dir: string; files: string[] } | undefined;
  const files = () => stack!.files;
  const services = async () =>
    (await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'dryrun' })).map((c) => c.labels[LABEL.service]).sort();

  beforeAll(() => {
    stack = helloStack('dryrun');
  });

  afterAll(async () => {
    if (!stack) return;
    await scs(['down', '--volumes', ...files()]).exited;
    rmSync(stack.dir, { recursive: true, force: true });
  }, 120_000);

  it('plans, for a plain scs up, the services the running agent runs, as the real scs up then does', async () => {
    const webOnly = scs(['up', '-d', 'web', ...files()]);
    expect(await webOnly.exited, webOnly.stderr).toBe(0);
    expect(await services()).toEqual(['web']);

    const plan = scs(['up', '--dry-run', ...files()]);
    expect(await plan.exited, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('web: ready (running, and up to date)');
    expect(plan.stdout).not.toMatch(/^client:/m);

    const again = scs(['up', '-d', ...files()]);
    expect(await again.exited, again.stderr).toBe(0);
    expect(await services()).toEqual(['web']);

    // Named, a service is planned and run whatever the agent runs.
    const named = scs(['up', '--dry-run', 'client', ...files()]);
    expect(await named.exited, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/^client: create \(no container yet\)$/m);
  }, 180_000);
});
