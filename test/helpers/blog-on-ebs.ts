// The blog on the harness with its data on EBS, as test/e2e/blog-move.test.ts checks it and
// `npm run bench:move` measures it: db's data and web's uploads on aws-ec2-ebs volumes (moto in DC A's
// router, a loop device per disk), one zone per data center, every host's agent running the same
// stack files with the seed's placement (db on h1, backup on h2, web on h3), and a follower on h2
// (hello's client) tracking web through disco. A move is run under a writer and a reader on h2.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImages, root } from '../../bench/blog-stack.ts';
import { BlogWriter, installWordPress } from '../../bench/soak/blog.ts';
import type { Rule } from '../../bench/soak/partition.ts';
import { LABEL } from '../../src/docker/engine.ts';
import {
  ADDRESS,
  DISCO,
  engineOn,
  failedWindow,
  type Host,
  harnessDown,
  harnessUpWith,
  probeFrom,
  scsOkOn,
  scsOn,
  startDisco,
  volumeFile,
} from './harness.ts';
import { type HarnessAws, startHarnessAws, ZONE_OF } from './harness-aws.ts';
import { eventually, eventuallyAsync } from './wait.ts';

export const HOSTS: readonly Host[] = ['h1', 'h2', 'h3'];
const DC: Record<Host, string> = { h1: 'a', h2: 'b', h3: 'a' };
export const TITLE = 'A blog that moves';
/** Long enough for a request that waits for db (BLOG_DB_WAIT, up to 20 s here) not to count as failed. */
const REQUEST_TIMEOUT_MS = 30_000;
/** db's data and web's uploads: a disk each, by the device letter EC2 attaches it as. */
export const DISKS = { db: { letter: 'f', size: '1G' }, web: { letter: 'g', size: '256M' } } as const;

/** What a move under load saw. */
export interface LoadFigures {
  readonly tookMs: number;
  /** The longest time between the sending of two acknowledged posts in a row: how long writes were away. */
  readonly writesAwayMs: number;
  readonly posts: number;
  readonly failedPosts: number;
  /** Pages requested every 50 ms where the follower points. */
  readonly reads: { readonly failures: number; readonly windowMs: number; readonly slowestMs: number };
  /** Every acknowledged post read back after the move: those that were not. */
  readonly lost: Rule['violations'];
  /** The figures as one line. */
  readonly line: string;
}

export class BlogOnEbs {
  /** web's address, as the follower on h2 last wrote it. */
  readonly upstreamFile = volumeFile('h2', 'blog-dev-follower-state', 'upstream');
  private overlays = ['harness.yaml', 'ebs.yaml'];

  private constructor(
    readonly dir: string,
    private readonly disco: ReturnType<typeof scsOn>,
    readonly aws: HarnessAws,
  ) {}

  /** Builds and loads the images, starts disco and moto, runs `scs up -d` on every host, and installs WordPress. */
  static async start(): Promise<BlogOnEbs> {
    await baseImages();
    const dir = mkdtempSync(join(tmpdir(), 'scs-blog-ebs-'));
    cpSync(join(root, 'examples/blog'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    cpSync(join(root, 'examples/hello/client'), join(dir, 'follower'), { recursive: true });
    // The follower is the harness's: it tracks web through disco from h2, as a dependent on another host would.
    writeFileSync(
      join(dir, 'harness.yaml'),
      'services:\n  follower:\n    image: ./follower\n    requires:\n      http: { service: web }\n    volumes:\n      state: { method: named }\n',
    );
    writeFileSync(
      join(dir, 'ebs.yaml'),
      [
        "# db's data and web's uploads on EBS, and the seed's layout.",
        'services:',
        '  db:',
        '    placement: h1',
        '    volumes:',
        `      data: { method: aws-ec2-ebs, size: 1, type: gp3, device: /dev/xvd${DISKS.db.letter} }`,
        '  backup:',
        '    placement: h2',
        '  web:',
        '    placement: h3',
        '    volumes:',
        `      uploads: { method: aws-ec2-ebs, size: 1, type: gp3, device: /dev/xvd${DISKS.web.letter} }`,
        '  follower:',
        '    placement: h2',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'quiet.yaml'), 'services:\n  web: h1\n  backup: { host: h1, without-data: true }\n');
    writeFileSync(join(dir, 'day.yaml'), 'services:\n  web: h3\n  backup: { host: h2, without-data: true }\n');
    for (const host of HOSTS) writeFileSync(join(dir, `${host}.yaml`), `disco: ${DISCO}\n`);
    const stack = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'harness.yaml')];
    const loaded = await harnessUpWith(dir, 'blog', stack);
    if (loaded.length !== 4) throw new Error(`expected the 4 images of the blog and its follower, loaded ${loaded.length}`);
    const disco = await startDisco(dir);
    const aws = await startHarnessAws(dir, { [DISKS.db.letter]: DISKS.db.size, [DISKS.web.letter]: DISKS.web.size });
    const blog = new BlogOnEbs(dir, disco, aws);
    // Providers first: web waits for db, backup for db, the follower for web.
    for (const host of ['h1', 'h3', 'h2'] as const) await blog.up(host);
    await installWordPress({ host: 'h2', url: `http://${ADDRESS.h3}:8080`, title: TITLE });
    return blog;
  }

  /** Every agent lets go of its volumes (unmounted, detached), then the harness, moto and the disks go. */
  async stop(): Promise<void> {
    for (const host of HOSTS) await scsOn(host, ['down', ...this.files(host)], this.dir, this.aws.env(host)).exited;
    await harnessDown(this.disco);
    await this.aws.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The stack files on `host`: the blog's, the overlays in use, and the host's own. */
  files(host: Host): string[] {
    return [
      '-f',
      join(this.dir, 'scs-stack.yaml'),
      ...this.overlays.flatMap((file) => ['-f', join(this.dir, file)]),
      '-f',
      join(this.dir, `${host}.yaml`),
    ];
  }

  /** Adds an overlay (written into the folder as `name`) to the files every host uses from now on. */
  private overlay(name: string, text: string): void {
    writeFileSync(join(this.dir, name), text);
    this.overlays.push(name);
  }

  /**
   * Sets web's BLOG_DB_WAIT (how long a request waits for db) in an overlay, runs `scs up -d` with it
   * on every host, and waits until web runs with it.
   */
  async dbWait(seconds: number): Promise<void> {
    this.overlay('db-wait.yaml', `services:\n  web:\n    env:\n      BLOG_DB_WAIT: "${seconds}"\n`);
    for (const host of ['h1', 'h3', 'h2'] as const) await this.up(host);
    const [host] = await this.where('web');
    await eventuallyAsync(
      async () => {
        const id = host && (await this.containerOf(host, 'web'));
        return !!id && (await this.exec(host, id, 'printenv', 'BLOG_DB_WAIT')) === String(seconds);
      },
      120_000,
      `web with BLOG_DB_WAIT=${seconds}`,
    );
  }

  run(host: Host, ...args: string[]) {
    return scsOkOn(host, args, this.dir, this.aws.env(host));
  }

  /** `scs ARGS` on `host`, whatever its exit. */
  try(host: Host, ...args: string[]) {
    return scsOn(host, args, this.dir, this.aws.env(host));
  }

  up(host: Host) {
    return this.run(host, 'up', '-d', '--debounce', '100ms', '--dc', DC[host], '--zone', ZONE_OF[host], ...this.files(host));
  }

  async containerOf(host: Host, service: string): Promise<string | undefined> {
    return (await engineOn(host).list({ [LABEL.stack]: 'blog', [LABEL.service]: service })).find((c) => c.state === 'running')?.id;
  }

  /** The hosts that run `service`. */
  async where(service: string): Promise<Host[]> {
    const found: Host[] = [];
    for (const host of HOSTS) if (await this.containerOf(host, service)) found.push(host);
    return found;
  }

  /** Where a service's EBS volume is, by moto's records (attached to which host's instance, in which state) and by each host's mount table. */
  async volumeOf(service: keyof typeof DISKS): Promise<{ attached: string[]; mounted: Host[]; volumes: number }> {
    const volumes = (await this.aws.volumes('blog')).filter((volume) => volume.tags['scs:service'] === service);
    const hostOf = (instance: string) => HOSTS.find((host) => this.aws.instances[host] === instance) ?? instance;
    const mounted: Host[] = [];
    for (const host of HOSTS) if ((await this.aws.mounts(host)).has(this.aws.disks[DISKS[service].letter]!)) mounted.push(host);
    return {
      volumes: volumes.length,
      attached: volumes.flatMap((v) => v.attachments.map((a) => `${hostOf(a.instance)} ${a.state}`)),
      mounted,
    };
  }

  /** A command in a container on `host`: its output, trimmed; it must succeed. */
  async exec(host: Host, id: string, ...command: string[]): Promise<string> {
    const result = await engineOn(host).exec(id, command, {});
    if (result.exitCode !== 0) throw new Error(`${command.join(' ')} on ${host} exited ${result.exitCode}: ${result.output}`);
    return result.output.trim();
  }

  /** One statement's result in a service's MariaDB on `host`, tab-separated, without column names. */
  async sql(host: Host, service: string, statement: string): Promise<string> {
    const id = await this.containerOf(host, service);
    if (!id) throw new Error(`no ${service} container on ${host}`);
    const result = await engineOn(host).exec(id, ['mariadb', '--protocol=socket', '-N', '-B', '-e', statement], {});
    if (result.exitCode !== 0) throw new Error(`mariadb -e ${statement}: ${result.output}`);
    return result.output.trim();
  }

  /** backup's replication status on `host`: the fields of SHOW SLAVE STATUS by name. */
  async replication(host: Host): Promise<Record<string, string>> {
    const id = await this.containerOf(host, 'backup');
    if (!id) throw new Error(`no backup container on ${host}`);
    const { output } = await engineOn(host).exec(id, ['mariadb', '--protocol=socket', '-e', 'SHOW SLAVE STATUS\\G'], {});
    return Object.fromEntries([...output.matchAll(/^\s*(\w+): ?(.*)$/gm)].map((match) => [match[1]!, match[2]!]));
  }

  /**
   * `move` under a writer (a post every 200 ms) and a reader (a page every 50 ms), both on h2 and
   * through WordPress where the follower points: the figures, once the move is done, both have been
   * served again, and every acknowledged post has been read back.
   */
  async underLoad(what: string, move: () => Promise<unknown>): Promise<LoadFigures> {
    const writer = new BlogWriter({
      prefix: what.replace(/\W+/g, '-'),
      host: 'h2',
      url: this.upstreamFile,
      everyMs: 200,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    const probe = probeFrom('h2', this.upstreamFile, 50, REQUEST_TIMEOUT_MS);
    writer.start();
    try {
      await writer.firstPost(60_000);
      await eventually(
        () => probe.results.filter((result) => result.ok).length >= 5,
        30_000,
        () => `requests to WordPress (seen ${probe.seen()})`,
      );
      const started = Date.now();
      await move();
      const done = Date.now();
      await eventually(() => writer.posts.filter((post) => post.at > done).length >= 3, 60_000, 'posts after the move');
      await eventually(
        () => probe.results.filter((result) => result.at > done && result.ok).length >= 5,
        60_000,
        () => `requests after the move (seen ${probe.seen()})`,
      );
      await probe.stop();
      await writer.stop();
      const window = failedWindow(probe.results);
      const reads = { ...window, slowestMs: Math.max(...probe.results.map((result) => result.ms)) };
      const writesAwayMs = writer.posts.slice(1).reduce((longest, post, i) => Math.max(longest, post.at - writer.posts[i]!.at), 0);
      const lost = (await writer.judge(started, 60_000)).violations;
      const figures = { tookMs: done - started, writesAwayMs, posts: writer.posts.length, failedPosts: writer.failed.length, reads, lost };
      return {
        ...figures,
        line: `${what}: the command took ${figures.tookMs} ms; writes away for ${writesAwayMs} ms (${figures.posts} posts acknowledged, ${figures.failedPosts} not, ${lost.length} lost); reads: ${reads.failures} failed (every 50 ms) over ${reads.windowMs} ms, the slowest ${reads.slowestMs} ms`,
      };
    } finally {
      await probe.stop();
      await writer.stop();
    }
  }
}
