// The blog example (examples/blog) as the end-to-end test and `npm run bench:blog` drive it: a copy
// in its own environment, brought up with scs, WordPress installed and posted to over HTTP, and its
// containers and databases read through the Docker Engine. Traffic from here goes to 127.0.0.1 only.

import './lib/state-folder.ts';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Engine, LABEL } from '../src/docker/engine.ts';
import { newPostBody, newPostId } from './wordpress-xmlrpc.mjs';

const run = promisify(execFile);
export const root = fileURLToPath(new URL('..', import.meta.url));
const scsDev = join(root, 'bin/scs-dev.mjs');

export const ADMIN = { user: 'admin', password: 'e2e-admin-password' };

/** Makes the base images the blog builds on, when they are missing (the first time: about 30 s). */
export async function baseImages(): Promise<void> {
  await run(join(root, 'scripts/base-image'), ['debian'], { timeout: 600_000 });
}

/** Where WordPress's installer takes its form, and the form as a browser fills it in. */
export const INSTALLER = '/wp-admin/install.php?step=2';
export const installerForm = (title: string) =>
  new URLSearchParams({
    weblog_title: title,
    user_name: ADMIN.user,
    admin_password: ADMIN.password,
    admin_password2: ADMIN.password,
    pw_weak: '1',
    admin_email: 'admin@example.com',
    blog_public: '0',
    Submit: 'Install WordPress',
  });

/** Throws with what the installer said unless it said it succeeded. */
export function checkInstalled(status: number, page: string): void {
  if (status !== 200 || !page.includes('<h1>Success!</h1>')) {
    throw new Error(`the WordPress installer answered ${status}: ${page.replace(/<[^>]+>/g, ' ').slice(0, 300)}`);
  }
}

export class BlogStack {
  readonly engine = new Engine();
  readonly dir: string;
  readonly environment: string;

  /**
   * A copy of examples/blog in `environment`, so its containers and volumes are its own; web's port
   * is any free one (the example publishes 8080). `dumpEvery` is backup's DUMP_EVERY (seconds),
   * `dbWait` web's BLOG_DB_WAIT (seconds).
   */
  constructor(environment: string, options: { dumpEvery?: number; dbWait?: number } = {}) {
    const { dumpEvery = 3600, dbWait = 5 } = options;
    this.environment = environment;
    this.dir = mkdtempSync(join(tmpdir(), `scs-blog-${environment}-`));
    cpSync(join(root, 'examples/blog'), this.dir, { recursive: true, filter: (source) => !source.includes('.scs') });
    writeFileSync(
      join(this.dir, 'overlay.yaml'),
      [
        `environment: ${environment}`,
        'services:',
        '  web:',
        '    provides:',
        '      http: { publish: null }',
        `    env: { BLOG_DB_WAIT: ${dbWait} }`,
        '  backup:',
        `    env: { DUMP_EVERY: ${dumpEvery} }`,
        '',
      ].join('\n'),
    );
  }

  get files(): string[] {
    return ['-f', join(this.dir, 'scs-stack.yaml'), '-f', join(this.dir, 'overlay.yaml')];
  }

  /** Runs `scs ARGS` on this stack; rejects with its output when it fails. */
  async scs(...args: string[]): Promise<string> {
    const { stdout, stderr } = await run(process.execPath, [scsDev, ...args, ...this.files], {
      cwd: this.dir,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout + stderr;
  }

  async remove(): Promise<void> {
    await this.scs('down', '--volumes').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  volume(service: string, label: string): string {
    return `blog-${this.environment}-${service}-${label}`;
  }

  async container(service: string): Promise<string> {
    const [found] = await this.engine.list({ [LABEL.stack]: 'blog', [LABEL.environment]: this.environment, [LABEL.service]: service });
    if (!found) throw new Error(`no ${service} container`);
    return found.id;
  }

  /** The host port a service's container port is published at now. */
  async port(service: string, containerPort: string): Promise<number> {
    const info = await this.engine.inspect(await this.container(service));
    const port = info?.ports[containerPort];
    if (!port) throw new Error(`${service}'s ${containerPort} is not published`);
    return port;
  }

  /**
   * web's address on loopback. scs publishes a port on 127.0.0.1 and on the advertised address, and
   * Docker picks each binding's ephemeral port on its own: once its allocator has moved on for one
   * address, the two differ, and the provided (advertised) port refuses on loopback. So the loopback
   * binding's own port, read again each time, as a restarted container is published anew.
   */
  async url(path = '/'): Promise<string> {
    const data = await this.engine.docker.getContainer(await this.container('web')).inspect();
    const bindings = data.NetworkSettings.Ports?.['80/tcp'] ?? [];
    const loopback = bindings.find((binding) => binding.HostIp === '127.0.0.1') ?? bindings.find((binding) => binding.HostIp === '0.0.0.0');
    if (!loopback?.HostPort) throw new Error("web's 80/tcp is not published on loopback");
    return `http://127.0.0.1:${loopback.HostPort}${path}`;
  }

  /** Runs a command in a service's container; rejects with its output when it fails. */
  async exec(service: string, command: string[]): Promise<string> {
    const result = await this.engine.exec(await this.container(service), command, {});
    if (result.exitCode !== 0) throw new Error(`${command.join(' ')} in ${service} exited ${result.exitCode}: ${result.output}`);
    return result.output;
  }

  /** One SQL statement's result, tab-separated, through the server's socket as root. */
  async sql(service: 'db' | 'backup', statement: string): Promise<string> {
    return (await this.exec(service, ['mariadb', '--protocol=socket', '-N', '-B', '-e', statement])).trim();
  }

  /** backup's replication status: the fields of SHOW SLAVE STATUS by name. */
  async replication(): Promise<Record<string, string>> {
    const text = await this.exec('backup', ['mariadb', '--protocol=socket', '-e', 'SHOW SLAVE STATUS\\G']);
    const fields: Record<string, string> = {};
    for (const match of text.matchAll(/^\s*(\w+): ?(.*)$/gm)) fields[match[1]!] = match[2]!;
    return fields;
  }

  /** Kills db's mariadbd, as a crash would: the container exits and Docker restarts it. */
  async crashDb(): Promise<void> {
    await this.exec('db', ['bash', '-c', 'kill -KILL "$(pidof mariadbd)"']);
  }

  /** Waits until web answers on loopback at all (healthy is judged inside the container). */
  async answering(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await fetch(await this.url('/'), { redirect: 'manual', signal: AbortSignal.timeout(5000) });
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`web did not answer on its published port in ${timeoutMs / 1000} s: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** WordPress's web installer, as a browser fills it in, once web answers. */
  async installWordPress(title: string): Promise<void> {
    await this.answering();
    const response = await fetch(await this.url(INSTALLER), { method: 'POST', body: installerForm(title) });
    checkInstalled(response.status, await response.text());
  }

  /** Publishes a post through XML-RPC (wp.newPost, the admin's password): returns its id. */
  async post(title: string, content: string): Promise<number> {
    const body = newPostBody(ADMIN.user, ADMIN.password, title, content);
    const response = await fetch(await this.url('/xmlrpc.php'), { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
    const answer = await response.text();
    const id = newPostId(answer);
    if (id === undefined) throw new Error(`wp.newPost answered ${response.status}: ${answer.slice(0, 300)}`);
    return id;
  }
}
