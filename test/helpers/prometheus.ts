// A real Prometheus (Debian's `prometheus`) for the tests: on 127.0.0.1, its storage in a temporary
// folder, scraping the given targets every second. It takes a port number only: one from outside
// the ephemeral range, tried again on another when taken.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portOutsideEphemeral } from './ports.ts';
import { eventuallyAsync } from './wait.ts';

export const PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;

export interface Prometheus {
  readonly url: string;
  /** The value of an instant query's one sample; undefined while it has none. */
  value(query: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface ScrapeJob {
  readonly job: string;
  readonly target: string;
  /** Sent as `Authorization: Bearer`. */
  readonly token?: string;
}

export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  const scrape = jobs.map(({ job, target, token }) => {
    const auth = token === undefined ? '' : `\n    authorization: { type: Bearer, credentials: "${token}" }`;
    return `  - job_name: ${job}${auth}\n    static_configs: [{ targets: ["${target}"] }]`;
  });
  writeFileSync(config, `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n${scrape.join('\n')}\n`);
  for (let attempt = 1; ; attempt++) {
    const port = portOutsideEphemeral();
    const child = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const url = `http://127.0.0.1:${port}`;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = await Promise.race([
      eventuallyAsync(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200, 30_000, 'Prometheus to be ready'),
      exited.then(() => false),
    ]);
    if (ready) return prometheus(url, child, exited, dir);
    if (!/address already in use/.test(output) || attempt >= 5) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not start: ${output.slice(-2000)}`);
    }
  }
}

function prometheus(url: string, child: ChildProcess, exited: Promise<void>, dir: string): Prometheus {
  return {
    url,
    async value(query) {
      const reply = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await reply.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      const result = body.data?.result ?? [];
      return result.length === 1 ? Number(result[0]!.value[1]) : undefined;
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
