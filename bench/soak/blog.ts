// The blog in the soak (--blog): examples/blog spread as docs/multi-host.md runs it (db on h1, backup
// on h2, web on h3, web published at BLOG_PORT), WordPress installed, and a writer outside scs
// (writer.mjs, in h1's namespace) that posts every 2 s and reads its last post back. At the end every
// post WordPress acknowledged is read back by id, for a bounded time while web and db converge (I4).

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDRESS, fetchFrom, type Host, namespace } from '../../test/helpers/harness.ts';
import { ADMIN, checkInstalled, INSTALLER, installerForm, root } from '../blog-stack.ts';
import { jsonLinesOn } from './json-lines.ts';
import type { Rule } from './partition.ts';
import { judgePosts, type Post, postsIn, type ReadBack, unread } from './posts.ts';

/** Which blog service each host's second agent runs. */
export const BLOG_SERVICES: Record<Host, string> = { h1: 'db', h2: 'backup', h3: 'web' };
/** web's published port on h3: fixed, and not hello's 8080. */
export const BLOG_PORT = 8081;
export const BLOG_URL = `http://${ADDRESS.h3}:${BLOG_PORT}`;
/** Where the writer runs: beside db, in DC A, so a WAN cut leaves its posts alone. */
const WRITER_HOST: Host = 'h1';
const WRITER = fileURLToPath(new URL('./writer.mjs', import.meta.url));
const EVERY_MS = 2000;
/** How long the end may take to read every acknowledged post back, while web and db converge after the last fault. */
export const READ_BACK_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const writerEnv = () => ({ ...process.env, SOAK_WP_USER: ADMIN.user, SOAK_WP_PASSWORD: ADMIN.password });

/** examples/blog copied into the soak's folder, with the soak's overlay: returns the stack files. */
export function blogFiles(dir: string): string[] {
  const blog = join(dir, 'blog');
  cpSync(join(root, 'examples/blog'), blog, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(blog, 'soak.yaml'), `services:\n  web:\n    provides:\n      http: { publish: ${BLOG_PORT} }\n`);
  return ['-f', join(blog, 'scs-stack.yaml'), '-f', join(blog, 'soak.yaml')];
}

/**
 * WordPress's installer, as a browser fills it in, from a harness host (the writer's, unless said),
 * at `url` (web on h3, unless said); retried until web and db answer (at most `timeoutMs`).
 */
export async function installWordPress({
  host = WRITER_HOST,
  url = BLOG_URL,
  title = 'The soak',
  timeoutMs = 120_000,
}: {
  host?: Host;
  url?: string;
  title?: string;
  timeoutMs?: number;
} = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { status, text } = await fetchFrom(host, `${url}${INSTALLER}`, {
        method: 'POST',
        body: installerForm(title).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      return checkInstalled(status, text);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`WordPress could not be installed: ${(error as Error).message}`);
      await sleep(1000);
    }
  }
}

/** Where the writer runs and what it does: the soak's, unless said otherwise. */
export interface WriterOptions {
  /** Its posts are titled "PREFIX 1", "PREFIX 2", ... */
  readonly prefix: string;
  readonly host?: Host;
  /** WordPress: web's address. */
  readonly url?: string;
  /** A post (and a read of the last one) every so many ms. */
  readonly everyMs?: number;
  /** How long one request is given: more than web's BLOG_DB_WAIT, or a request that waits for db is counted failed. */
  readonly timeoutMs?: number;
}

/** The writer, and what it saw: the posts WordPress acknowledged, the ones it did not, and the reads during the run. */
export class BlogWriter {
  readonly posts: Post[] = [];
  readonly failed: Array<{ at: number; title: string; error: string }> = [];
  readonly reads = { ok: 0, failed: 0 };
  private child?: ChildProcess;
  private readonly host: Host;
  private readonly url: string;

  constructor(private readonly options: WriterOptions) {
    this.host = options.host ?? WRITER_HOST;
    this.url = options.url ?? BLOG_URL;
  }

  start(): void {
    const { everyMs = EVERY_MS, prefix, timeoutMs } = this.options;
    const args = [WRITER, this.url, String(everyMs), prefix];
    const env = { ...writerEnv(), ...(timeoutMs ? { WRITER_TIMEOUT_MS: String(timeoutMs) } : {}) };
    this.child = jsonLinesOn(this.host, args, env, (line) => {
      const answer = line as { at: number; via: 'post' | 'read'; title?: string; id?: number; error?: string };
      if (answer.via === 'read') this.reads[answer.title !== undefined ? 'ok' : 'failed']++;
      else if (answer.id !== undefined) this.posts.push({ id: answer.id, title: answer.title!, at: answer.at });
      else this.failed.push({ at: answer.at, title: answer.title!, error: answer.error ?? 'no answer' });
    });
  }

  /** Resolves once WordPress has acknowledged a post (at most `timeoutMs`). */
  async firstPost(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.posts.length === 0) {
      if (Date.now() > deadline)
        throw new Error(`WordPress acknowledged no post in ${timeoutMs / 1000} s: ${this.failed.at(-1)?.error ?? 'no answer'}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }

  /**
   * I4: every acknowledged post read back by id, through WordPress; the ones not found are read again
   * every 2 s until found or `boundMs` has passed, then judged.
   */
  async judge(start: number, boundMs = READ_BACK_MS): Promise<Rule> {
    const reads = new Map<number, ReadBack>();
    const deadline = Date.now() + boundMs;
    for (;;) {
      const left = unread(this.posts, reads);
      if (left.length === 0 || Date.now() > deadline) break;
      await readBack(this.host, this.url, left, reads);
      if (unread(this.posts, reads).length > 0) await sleep(2000);
    }
    const rule = judgePosts(this.posts, reads, start);
    return {
      ...rule,
      name: `${rule.name} (posts: ${this.posts.length} acknowledged, ${this.failed.length} not; read back during the run: ${this.reads.ok}, not: ${this.reads.failed})`,
    };
  }
}

/** One round of reads from the writer's host: what WordPress answered for each post, into `reads`. */
async function readBack(host: Host, url: string, posts: readonly Post[], reads: Map<number, ReadBack>): Promise<void> {
  const ids = posts.map((post) => post.id);
  for (const id of ids) reads.set(id, { id, error: 'the read could not be made' });
  const reader = spawn('ip', ['netns', 'exec', namespace(host), process.execPath, WRITER, '--read', url], {
    env: writerEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  reader.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const exited = new Promise((resolve) => reader.once('close', resolve));
  reader.stdin!.end(ids.join(','));
  // Each request of 100 is given 10 s; a reader that hangs past that for all of them is ended.
  const timer = setTimeout(() => reader.kill('SIGKILL'), 15_000 + Math.ceil(ids.length / 100) * 10_000);
  await exited;
  clearTimeout(timer);
  for (const line of stdout.split('\n').filter(Boolean)) {
    const answer = JSON.parse(line) as { ids: number[]; status?: number; body?: string; error?: string };
    try {
      if (answer.error) throw new Error(answer.error);
      const found = postsIn(answer.status!, answer.body!);
      for (const id of answer.ids)
        reads.set(id, found.has(id) ? { id, title: found.get(id)! } : { id, error: 'WordPress answered without it: it has no such post' });
    } catch (error) {
      for (const id of answer.ids) reads.set(id, { id, error: (error as Error).message });
    }
  }
}
