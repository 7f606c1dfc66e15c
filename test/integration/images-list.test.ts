// `scs images` on the real daemon: the stack's scs images with service, hash, size and who uses them;
// --all adds other stacks'; --json is one array of the documented fields; -q prints the ids.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImages } from '../helpers/app-images.ts';
import { scs } from '../helpers/cli.ts';
import { dockerProblem, engine } from '../helpers/docker.ts';

const STACK = `imgls${process.pid}`;
const OTHER = `${STACK}-other`;

describe.skipIf(dockerProblem !== undefined)(
  `scs images on the Docker Engine${dockerProblem ? ` (skipped: ${dockerProblem})` : ''}`,
  () => {
    let dir: string;
    const tags: string[] = [];
    const containers: string[] = [];
    let file: string;
    let used: string;
    let old: string;
    let current: string;
    let otherTag: string;

    const { stackFile, build } = appImages(() => dir, tags);
    const json = async (args: string[]) => {
      const run = scs(['images', ...args]);
      expect(await run.exited, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'scs-images-'));
      mkdirSync(join(dir, 'app'));
      writeFileSync(join(dir, 'app/scs.yaml'), 'from: scs-base:busybox\nbuild:\n  - copy: marker /marker\ncommand: [sleep, "3600"]\n');
      file = stackFile(STACK);
      otherTag = await build(stackFile(OTHER), 'other');
      used = await build(file, 'v1');
      const container = await engine.docker.createContainer({ Image: used, Cmd: ['true'], Labels: { 'scs.test': 'images-list' } });
      containers.push(container.id);
      old = await build(file, 'v2');
      current = await build(file, 'v3');
    }, 240_000);

    afterAll(async () => {
      for (const id of containers) await engine.remove(id);
      for (const tag of tags)
        await engine.docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('lists the stack images as a table: service, hash, size, and who uses each', async () => {
      const run = scs(['images', '-f', file]);
      expect(await run.exited, run.stderr).toBe(0);
      const [header, ...lines] = run.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^STACK\s+SERVICE\s+HASH\s+IMAGE ID\s+SIZE\s+CREATED\s+IN USE$/);
      expect(lines).toHaveLength(3);
      const line = (tag: string) => lines.find((each) => each.includes(tag.split(':')[1]!)) ?? '';
      expect(line(current)).toMatch(new RegExp(`^${STACK}\\s+app\\s+\\w{16}\\s+\\w{12}\\s+[\\d.]+ [kMG]?B\\s+.+\\s+stack files$`));
      expect(line(used)).toMatch(/\s1 container$/);
      expect(line(old)).toMatch(/\sno$/);
      expect(run.stdout).not.toContain(OTHER);
    }, 60_000);

    it('--json: one array of the documented fields; --all adds the other stacks', async () => {
      const rows = await json(['--json', '-f', file]);
      expect(rows.map((row) => row.tag).sort()).toEqual([current, old, used].sort());
      const row = rows.find((each) => each.tag === current)!;
      expect(Object.keys(row).sort()).toEqual(['containers', 'created', 'hash', 'id', 'inStackFiles', 'service', 'size', 'stack', 'tag']);
      expect(row).toMatchObject({ stack: STACK, service: 'app', hash: current.split(':')[1], containers: 0, inStackFiles: true });
      expect(row.size).toBeGreaterThan(0);
      expect(Date.parse(row.created as string)).not.toBeNaN();
      expect(rows.find((each) => each.tag === used)).toMatchObject({ containers: 1, inStackFiles: false });

      const all = await json(['--all', '--format', 'json', '-f', file]);
      expect(all.find((each) => each.tag === otherTag)).toMatchObject({ stack: OTHER, service: 'app', inStackFiles: null });
      expect(all.find((each) => each.tag === current)).toMatchObject({ inStackFiles: true });
      // --all needs no stack file: run where there is none.
      const nowhere = scs(['images', '--all', '--json'], {}, tmpdir());
      expect(await nowhere.exited, nowhere.stderr).toBe(0);
      expect((JSON.parse(nowhere.stdout) as Array<Record<string, unknown>>).find((each) => each.tag === current)).toMatchObject({
        inStackFiles: null,
      });
    }, 60_000);

    it('-q prints the image ids, one a line', async () => {
      const run = scs(['images', '-q', '-f', file]);
      expect(await run.exited, run.stderr).toBe(0);
      const ids = await Promise.all([current, old, used].map(async (tag) => (await engine.docker.getImage(tag).inspect()).Id));
      expect(run.stdout.trim().split('\n').sort()).toEqual(ids.sort());
    }, 60_000);

    it('prune still prunes, and an unknown action is refused', async () => {
      const prune = scs(['images', 'prune', '--dry-run', '-f', file]);
      expect(await prune.exited, prune.stderr).toBe(0);
      expect(prune.stdout).toContain(`would remove ${old}`);
      const wrong = scs(['images', 'purge', '-f', file]);
      expect(await wrong.exited).toBe(2);
      expect(wrong.stderr).toMatch(/unknown images action "purge"/);
    }, 60_000);
  },
);
