// `scs images prune` on the real daemon: it removes the stack's scs tags its compiled stack no longer names,
// keeps the compiled stack's, keeps any a container uses, leaves other stacks' alone, and --dry-run removes nothing.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImages } from '../helpers/app-images.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const STACK = `prune${process.pid}`;
/** What prune did, without its log lines. */
const actions = (stdout: string) => stdout.split('\n').filter((line) => /^(would remove|removed) /.test(line));

describe.skipIf(dockerProblem !== undefined)(
  `scs images prune on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const tags: string[] = [];
    const containers: string[] = [];

    const { stackFile, build } = appImages(() => dir, tags);

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scs-prune-'));
      mkdirSync(join(dir, 'app'));
      writeFileSync(join(dir, 'app/scs.yaml'), 'from: scs-base:busybox\nbuild:\n  - copy: marker /marker\ncommand: [sleep, "3600"]\n');
    });

    afterAll(async () => {
      for (const id of containers) await engine.remove(id);
      for (const tag of tags)
        await engine.docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('removes only unused tags of the stack, and --dry-run removes nothing', async () => {
      const file = stackFile(STACK);
      const other = stackFile(`${STACK}x`);
      const otherTag = await build(other, 'other');
      const used = await build(file, 'v1');
      const container = await engine.docker.createContainer({ Image: used, Cmd: ['true'], Labels: { 'scs.test': 'prune' } });
      containers.push(container.id);
      const unused = await build(file, 'v2');
      const current = await build(file, 'v3');
      expect(new Set([used, unused, current, otherTag]).size).toBe(4);

      const dry = scs(['images', 'prune', '--dry-run', '-f', file]);
      expect(await dry.exited, dry.stderr).toBe(0);
      expect(actions(dry.stdout)).toEqual([`would remove ${unused}`]);
      expect(await engine.imageExists(unused)).toBe(true);

      const prune = scs(['images', 'prune', '-f', file]);
      expect(await prune.exited, prune.stderr).toBe(0);
      expect(actions(prune.stdout)).toEqual([`removed ${unused}`]);
      expect(prune.stdout + prune.stderr).toContain(`kept ${used}: a container uses it`);
      expect(await engine.imageExists(unused)).toBe(false);
      for (const tag of [used, current, otherTag]) expect(await engine.imageExists(tag), tag).toBe(true);

      const again = scs(['images', 'prune', '-f', file]);
      expect(await again.exited).toBe(0);
      expect(actions(again.stdout)).toEqual([]);
    }, 180_000);

    it('says which actions there are', async () => {
      const wrong = scs(['images', 'purge', '-f', stackFile(STACK)]);
      expect(await wrong.exited).toBe(2);
      expect(wrong.stderr).toMatch(/unknown images action "purge"; the one there is: scs images prune/);
    });
  },
);
