// The blog moves with its data, on the harness (scripts/harness): db's data and web's uploads on EBS
// volumes (moto's EC2 server in DC A's router, a loop device for each disk), one zone per data
// center, and every host's agent running the same stack files (test/helpers/blog-on-ebs.ts). Under a
// writer posting every 200 ms and a reader every 50 ms, `scs move` and `scs place`, run on h2, move
// db (stop-first, its volume following it), web (the same), and everything onto h1 for quiet hours
// and back. After each move, moto's attachment records and every host's mount table show each volume
// on one host only, and every post WordPress acknowledged is still there. Each window is printed;
// `npm run bench:move` holds them to their targets.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlogOnEbs, TITLE } from '../helpers/blog-on-ebs.ts';
import { ADDRESS, fetchFrom, harnessProblem, readUpstream } from '../helpers/harness.ts';
import { loopProblem } from '../helpers/loop-device.ts';
import { motoProblem } from '../helpers/moto.ts';
import { eventually, eventuallyAsync } from '../helpers/wait.ts';

const problem = harnessProblem() ?? motoProblem() ?? loopProblem();
/** web's BLOG_DB_WAIT once raised above a db move's window. */
const LONG_WAIT_S = 20;

const figure = (text: string) => console.info(`[blog-move] ${text}`);

describe.skipIf(problem !== undefined)(
  `the blog moves with its data on EBS, on three hosts${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    let blog: BlogOnEbs;
    const upstream = () => readUpstream(blog.upstreamFile);

    beforeAll(async () => {
      blog = await BlogOnEbs.start();
    }, 900_000);

    afterAll(async () => {
      await blog?.stop();
    }, 180_000);

    it('runs db on h1 and web on h3, each with its volume attached to its host only and mounted there only', async () => {
      expect(await blog.where('db')).toEqual(['h1']);
      expect(await blog.where('backup')).toEqual(['h2']);
      expect(await blog.where('web')).toEqual(['h3']);
      expect(await blog.volumeOf('db')).toEqual({ volumes: 1, attached: ['h1 attached'], mounted: ['h1'] });
      expect(await blog.volumeOf('web')).toEqual({ volumes: 1, attached: ['h3 attached'], mounted: ['h3'] });
      await eventually(() => upstream() === `${ADDRESS.h3}:8080`, 60_000, 'the follower on h2 to find web on h3');
      expect((await fetchFrom('h2', `http://${ADDRESS.h3}:8080/`)).text).toContain(TITLE);
    }, 120_000);

    it('moves db h1 → h3 with its volume under writes: every acknowledged post is there, and backup follows it', async () => {
      const moved = await blog.underLoad('db h1 → h3 (EBS, stop-first; BLOG_DB_WAIT 5 s)', () =>
        blog.run('h2', 'move', 'db', '--to', 'h3', ...blog.files('h2')),
      );
      figure(moved.line);
      expect(moved.lost).toEqual([]);
      expect(await blog.where('db')).toEqual(['h3']);
      expect(await blog.volumeOf('db')).toEqual({ volumes: 1, attached: ['h3 attached'], mounted: ['h3'] });
      const status = await eventuallyAsync(
        async () => {
          const fields = await blog.replication('h2');
          return fields.Master_Host === ADDRESS.h3 && fields.Slave_IO_Running === 'Yes' && fields.Slave_SQL_Running === 'Yes' && fields;
        },
        60_000,
        'backup to replicate from db on h3',
      );
      expect(status.Last_IO_Error).toBe('');
      const newest = await blog.sql('h3', 'db', 'SELECT MAX(ID) FROM wordpress.wp_posts');
      await eventuallyAsync(
        async () => (await blog.sql('h2', 'backup', 'SELECT MAX(ID) FROM wordpress.wp_posts')) === newest,
        30_000,
        'the newest post in the replica',
      );
    }, 300_000);

    it('refuses at once a move of db to h2, in the other zone, with one sentence', async () => {
      const across = blog.try('h2', 'move', 'db', '--to', 'h2', '--timeout', '20s', ...blog.files('h2'));
      expect(await across.exited, across.stderr).toBe(1);
      expect(across.stderr).toContain(
        "db's data is on a volume in zone us-east-1a, and host h2 is in zone us-east-1b: a volume moves only within its zone",
      );
      expect(await blog.where('db')).toEqual(['h3']);
    }, 60_000);

    it(`moves db back h3 → h1 with web's BLOG_DB_WAIT at ${LONG_WAIT_S} s: no request fails`, async () => {
      await blog.dbWait(LONG_WAIT_S);
      const moved = await blog.underLoad(`db h3 → h1 (EBS, stop-first; BLOG_DB_WAIT ${LONG_WAIT_S} s)`, () =>
        blog.run('h2', 'move', 'db', '--to', 'h1', ...blog.files('h2')),
      );
      figure(moved.line);
      expect(moved.lost).toEqual([]);
      expect(moved.reads.failures, moved.line).toBe(0);
      expect(await blog.volumeOf('db')).toEqual({ volumes: 1, attached: ['h1 attached'], mounted: ['h1'] });
    }, 360_000);

    it('puts web and backup on h1, beside db, for quiet hours with scs place, and back to the seed layout', async () => {
      const quiet = await blog.underLoad('quiet hours: web (EBS) and backup (--without-data) onto h1, where db is', () =>
        blog.run('h2', 'place', `${blog.dir}/quiet.yaml`, ...blog.files('h2')),
      );
      figure(quiet.line);
      expect(quiet.lost).toEqual([]);
      for (const service of ['db', 'backup', 'web']) expect(await blog.where(service)).toEqual(['h1']);
      const day = await blog.underLoad('the seed layout again: web to h3, backup to h2', async () => {
        await blog.run('h2', 'place', `${blog.dir}/day.yaml`, ...blog.files('h2'));
        await eventually(() => upstream() === `${ADDRESS.h3}:8080`, 60_000, 'the follower to follow web to h3');
      });
      figure(day.line);
      expect(day.lost).toEqual([]);
      expect(await blog.where('web')).toEqual(['h3']);
      expect(await blog.where('backup')).toEqual(['h2']);
      expect(await blog.volumeOf('web')).toEqual({ volumes: 1, attached: ['h3 attached'], mounted: ['h3'] });
      expect(await blog.volumeOf('db')).toEqual({ volumes: 1, attached: ['h1 attached'], mounted: ['h1'] });
      await eventuallyAsync(
        async () => (await blog.replication('h2')).Slave_IO_Running === 'Yes',
        60_000,
        'backup on h2 to replicate again',
      );
    }, 420_000);

    it('moves web h3 → h1 with its uploads, stop-first', async () => {
      const before = await blog.containerOf('h3', 'web');
      await blog.exec('h3', before!, 'sh', '-c', 'echo carried > /var/lib/wordpress/wp-content/uploads/moved.txt');
      const moved = await blog.underLoad('web h3 → h1 (EBS, stop-first)', async () => {
        await blog.run('h2', 'move', 'web', '--to', 'h1', ...blog.files('h2'));
        await eventually(() => upstream() === `${ADDRESS.h1}:8080`, 60_000, 'the follower to follow web to h1');
      });
      figure(moved.line);
      expect(moved.lost).toEqual([]);
      expect(await blog.where('web')).toEqual(['h1']);
      expect(await blog.volumeOf('web')).toEqual({ volumes: 1, attached: ['h1 attached'], mounted: ['h1'] });
      expect((await fetchFrom('h2', `http://${ADDRESS.h1}:8080/wp-content/uploads/moved.txt`)).text).toBe('carried\n');
    }, 300_000);
  },
);
