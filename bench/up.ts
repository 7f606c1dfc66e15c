// npm run bench:up — time from `scs up -d` to every service provided, for the hello stack with
// cached images, against docker-compose bringing up the equivalent compose file in the same run;
// and the time from the provider's death to the client's live update having run.

import './lib/state-folder.ts';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Engine, LABEL } from '../src/docker/engine.ts';
import { compile } from '../src/manifest/compile.ts';
import { loadStack } from '../src/manifest/load.ts';
import { which } from './lib/processes.ts';
import { ms, printTable, summarize } from './lib/stats.ts';
import { benchOperate } from './operate.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scs = join(root, 'bin/scs.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function timed(command: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  await run(command, args, { cwd });
  return performance.now() - started;
}

function composeFile(webTag: string, clientTag: string): string {
  // The same images and wiring, as Compose users write it: a service name and a fixed port.
  return `version: "2.4"
services:
  web:
    image: ${webTag}
    environment: { SCS_SERVICE: web }
    ports: ["8080"]
  client:
    image: ${clientTag}
    environment: { SCS_REQUIRE_HTTP: "web:8080", SCS_SERVICE: client }
    depends_on:
      web: { condition: service_healthy }
    volumes: ["state:/state"]
volumes:
  state: {}
`;
}

async function main() {
  const engine = new Engine();
  await engine.ping();
  await run(join(root, 'scripts/base-image'));
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-up-'));
  cpSync(join(root, 'examples/hello'), dir, { recursive: true, filter: (source) => !source.includes('.scs') });
  writeFileSync(join(dir, 'bench.yaml'), 'environment: bench\n');
  const files = ['-f', join(dir, 'scs-stack.yaml'), '-f', join(dir, 'bench.yaml')];
  const compiled = compile(loadStack([join(dir, 'scs-stack.yaml'), join(dir, 'bench.yaml')]));
  await run(process.execPath, [scs, 'build', ...files]); // Cached images: the benchmark is about bringing up, not building.

  console.log(`up benchmark: hello stack (web with a healthcheck, client requiring it), cached images, ${ROUNDS} rounds each`);
  const scsTimes: number[] = [];
  const composeTimes: number[] = [];
  const liveupdates: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      scsTimes.push(await timed(process.execPath, [scs, 'up', '-d', '--debounce', '100ms', ...files], dir));
      if (round === 0)
        liveupdates.push(
          ...(await deathToLiveupdate(engine, compiled.services.find((s) => s.name === 'client')!.container.volumes[0]!.source)),
        );
      await run(process.execPath, [scs, 'down', ...files]);
    }
    if (which('docker-compose')) {
      const compose = join(dir, 'compose');
      mkdirSync(compose);
      writeFileSync(
        join(compose, 'docker-compose.yml'),
        composeFile(
          compiled.services.find((s) => s.name === 'web')!.image.tag,
          compiled.services.find((s) => s.name === 'client')!.image.tag,
        ),
      );
      for (let round = 0; round < ROUNDS; round++) {
        composeTimes.push(await timed('docker-compose', ['-p', 'scsbench', 'up', '-d'], compose));
        await run('docker-compose', ['-p', 'scsbench', 'down', '-v'], { cwd: compose });
      }
    } else {
      console.log('docker-compose is not installed (apt-get install docker-compose): no reference row');
    }
  } finally {
    await run(process.execPath, [scs, 'down', '--volumes', ...files]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  const ours = summarize(scsTimes);
  const theirs = composeTimes.length ? summarize(composeTimes) : undefined;
  printTable(
    'Bringing the stack up until every service is ready (ms)',
    ['tool', 'median', 'max', 'vs docker-compose'],
    [
      ['scs up -d (until all provided)', ms(ours.p50), ms(ours.max), theirs ? `${(ours.p50 / theirs.p50).toFixed(2)}x` : '-'],
      ...(theirs ? [['docker-compose up -d (until healthy dependency, client started)', ms(theirs.p50), ms(theirs.max), '1.00x']] : []),
    ],
  );
  const lu = summarize(liveupdates);
  printTable(
    "Provider stopped for good (docker kill) until the dependent's live update to nothing has run (ms)",
    ['samples', 'median', 'max', 'expected'],
    [[liveupdates.length, ms(lu.p50), ms(lu.max), 'the hold (1 s) plus a few ms']],
  );
  await benchOperate(engine);
}

/** Kills web and waits for the client's live update to append to /state/updates, read on the host. */
async function deathToLiveupdate(engine: Engine, volume: string): Promise<number[]> {
  const mountpoint = ((await engine.docker.getVolume(volume).inspect()) as { Mountpoint: string }).Mountpoint;
  const updates = join(mountpoint, 'updates');
  const lines = () => (existsSync(updates) ? readFileSync(updates, 'utf8').split('\n').filter(Boolean).length : 0);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const [web] = await engine.list({ [LABEL.stack]: 'hello', [LABEL.environment]: 'bench', [LABEL.service]: 'web' });
    const before = lines();
    const killed = performance.now();
    await engine.docker.getContainer(web!.id).kill();
    while (lines() === before) await new Promise((resolve) => setTimeout(resolve, 2));
    samples.push(performance.now() - killed);
    const after = lines();
    await engine.start(web!.id);
    while (lines() === after) await new Promise((resolve) => setTimeout(resolve, 20)); // Back, and the client told.
  }
  return samples;
}

await main();
