// `npm run bench:blog`: the requests to WordPress that fail while its database crashes and comes
// back. An HTTP client asks for the front page every 50 ms (each request with a 5 s timeout, not
// waiting for the one before); db's mariadbd is killed, Docker restarts it on a new published
// port, and web follows by its live update. The failed-request window is the time from the first
// failed request to the first one that succeeds after the last failure. Twice: as the example runs
// (a request waits up to 5 s for a database that is away), and with WordPress's stock single try.

import './lib/state-folder.ts';
import { BlogStack, baseImages } from './blog-stack.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const EVERY_MS = 50;

interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
}

interface Round {
  readonly requests: number;
  readonly failed: number;
  readonly windowMs: number;
  readonly slowestMs: number;
  readonly movedMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks for `url` every EVERY_MS until `stop` resolves, then waits for the requests in flight. */
async function hammer(url: string, stop: Promise<void>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const inFlight: Promise<void>[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  const origin = performance.now();
  for (let tick = 0; !stopped; tick++) {
    const at = performance.now();
    inFlight.push(
      fetch(url, { signal: AbortSignal.timeout(5000) })
        .then(async (response) => ({ ok: response.status === 200 && (await response.text()).includes('</html>') }))
        .catch(() => ({ ok: false }))
        .then(({ ok }) => void samples.push({ at, ms: performance.now() - at, ok })),
    );
    // On the tick, not 50 ms after the last request: a slow request does not slow the client down.
    await sleep(Math.max(0, origin + (tick + 1) * EVERY_MS - performance.now()));
  }
  await Promise.all(inFlight);
  return samples.sort((a, b) => a.at - b.at);
}

function window(samples: readonly Sample[]): number {
  const firstFailure = samples.findIndex((s) => !s.ok);
  if (firstFailure < 0) return 0;
  const lastFailure = samples.length - 1 - [...samples].reverse().findIndex((s) => !s.ok);
  const recovered = samples[lastFailure + 1];
  return (recovered?.at ?? samples[lastFailure]!.at + EVERY_MS) - samples[firstFailure]!.at;
}

async function crashRound(blog: BlogStack): Promise<Round> {
  const url = await blog.url('/');
  const before = await blog.port('db', '3306/tcp');
  let done!: () => void;
  const stop = new Promise<void>((resolve) => (done = resolve));
  const sampling = hammer(url, stop);
  await sleep(1000); // Some requests that work before the crash.
  const crashedAt = performance.now();
  await blog.crashDb();
  let movedMs = NaN;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
    const env = await blog.exec('web', ['cat', '/run/scs/env']).catch(() => '');
    const port = /SCS_REQUIRE_MYSQL_PORT="(\d+)"/.exec(env)?.[1];
    if (port && Number(port) !== before) {
      movedMs = performance.now() - crashedAt;
      break;
    }
  }
  await sleep(2000); // Requests after web has followed, to see that they work.
  done();
  const samples = await sampling;
  return {
    requests: samples.length,
    failed: samples.filter((s) => !s.ok).length,
    windowMs: window(samples),
    slowestMs: Math.max(...samples.map((s) => s.ms)),
    movedMs,
  };
}

/** One stack, WordPress installed and posted to, then ROUNDS crashes of db. */
async function crashes(environment: string, dbWait: number): Promise<Round[]> {
  const blog = new BlogStack(environment, { dbWait });
  try {
    await blog.scs('up', '-d');
    await blog.installWordPress('The scs blog');
    await blog.post('Hello from the benchmark', 'The front page shows this post while the database crashes.');
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push(await crashRound(blog));
      // Docker doubles its restart delay for a container that crashes again within 10 s of starting: each round starts afresh.
      await sleep(11_000);
    }
    return rounds;
  } finally {
    await blog.remove();
  }
}

async function main() {
  await baseImages();
  console.log(`blog benchmark: the front page every ${EVERY_MS} ms while db's mariadbd is killed, ${ROUNDS} rounds each`);
  const runs = [
    { label: 'web waits up to 5 s for db (BLOG_DB_WAIT=5, the example)', rounds: await crashes('bench', 5) },
    { label: 'web tries once, as stock WordPress (BLOG_DB_WAIT=0)', rounds: await crashes('bench-stock', 0) },
  ];
  for (const { label, rounds } of runs) {
    printTable(
      `${label}: requests to the front page through a crash of db`,
      ['round', 'requests', 'failed', 'failed window ms', 'slowest request ms', 'crash to web on the new port ms'],
      rounds.map((r, i) => [i + 1, r.requests, r.failed, ms(r.windowMs), ms(r.slowestMs), ms(r.movedMs)]),
    );
  }
  console.log('');
  for (const { label, rounds } of runs) {
    const windows = summarize(rounds.map((r) => r.windowMs));
    console.log(`failed-request window, ${label}: p50 ${ms(windows.p50)} ms, max ${ms(windows.max)} ms (target: at most 500 ms)`);
  }
}

await main();
