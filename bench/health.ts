// npm run bench:health — how fast a failing health check takes an instance out of disco. The agent
// (src/agent/agent.ts, the code `scs up` runs) checks a service with `health: {http: /healthz}` at a
// short interval; the instance is a real HTTP server on 127.0.0.1 (its container is the in-memory
// engine's: this measures the agent and disco, not Docker), provided through a real disco server.
// Each round the server starts failing, and the time is taken from the start of the first failing
// check (the first request the server receives once it fails) to the drop as a disco watcher sees it.
// Two ways to fail: `503` (each check fails at once) and `hang` (no answer: each check runs into its
// timeout). Target: interval × retries + timeout + 100 ms.

import './lib/state-folder.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent } from '../src/agent/agent.ts';
import { DiscoClient, type WatchEvent } from '../src/client/client.ts';
import type { CompiledHealth } from '../src/manifest/compiled.ts';
import { compiledStack, service } from '../test/helpers/compiled.ts';
import { startDisco } from '../test/helpers/disco.ts';
import { FakeEngine } from '../test/helpers/fake-engine.ts';
import { quietLogger } from '../test/helpers/logging.ts';
import { eventually } from '../test/helpers/wait.ts';
import { ms, printTable, summarize } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const INTERVAL_MS = Number(process.env.HEALTH_INTERVAL_MS ?? 200);
const TIMEOUT_MS = Number(process.env.HEALTH_TIMEOUT_MS ?? 100);
const RETRIES = Number(process.env.HEALTH_RETRIES ?? 3);
const TARGET_MS = INTERVAL_MS * RETRIES + TIMEOUT_MS + 100;
const NAME = 'http.web.shop.test';

type Failing = 'no' | '503' | 'hang';

async function main() {
  let failing: Failing = 'no';
  /** When the server received each request, in ms (performance.now()). */
  const requests: number[] = [];
  const hung = new Set<ServerResponse>();
  const http = createServer((_: IncomingMessage, res: ServerResponse) => {
    requests.push(performance.now());
    if (failing === 'hang') hung.add(res);
    else res.writeHead(failing === '503' ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  const disco = await startDisco({ heartbeatInterval: 1000, heartbeatTimeout: 5000, grace: 2000 });
  const at = { host: '127.0.0.1', port: disco.address().port, logger: quietLogger };
  const agentClient = await DiscoClient.connect(at);
  const watcher = await DiscoClient.connect(at);

  const health: CompiledHealth = {
    probe: { kind: 'http', path: '/healthz', endpoint: 'http' },
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    retries: RETRIES,
    startPeriodMs: 0,
    startIntervalMs: Math.min(INTERVAL_MS, 250),
    // No hold: each round flips the instance twice, and the bench is about the drop.
    flap: { changes: 1_000_000, withinMs: 1000, holdMs: 0 },
  };
  const compiled = compiledStack([{ ...service('web', { provides: [{ endpoint: 'http', port: 8080 }], publish: port }), health }]);
  const agent = new Agent(compiled, {
    engine: new FakeEngine(),
    client: agentClient,
    advertise: '127.0.0.1',
    waitTimeoutMs: 10_000,
    debounceMs: 20,
    logger: quietLogger,
    disco: 'bench',
    project: 'bench',
    stateFolder: join(compiled.directory, 'state'),
  });

  let dropSeenAt: number | undefined;
  const watch = await watcher.require({ name: NAME }, (event: WatchEvent) => {
    if (event.drop.length > 0) dropSeenAt ??= performance.now();
  });
  await agent.up();

  console.log(
    `health benchmark: http check every ${INTERVAL_MS} ms, timeout ${TIMEOUT_MS} ms, retries ${RETRIES}; ${ROUNDS} rounds each; target ${TARGET_MS} ms`,
  );
  const rows: Array<Array<string | number>> = [];
  for (const mode of ['503', 'hang'] as const) {
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await eventually(() => watch.endpoints.length === 1, 10_000, 'provided');
      // A moment healthy, at a random phase of the check timer.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + Math.random() * INTERVAL_MS));
      dropSeenAt = undefined;
      const flippedAt = performance.now();
      failing = mode;
      await eventually(() => dropSeenAt !== undefined, 10_000, 'the drop');
      const firstFailing = requests.find((time) => time >= flippedAt)!;
      samples.push(dropSeenAt! - firstFailing);
      failing = 'no';
      for (const res of hung) res.destroy();
      hung.clear();
    }
    const { p50, p99, max } = summarize(samples);
    rows.push([mode, ms(p50), ms(p99), ms(max), TARGET_MS, max <= TARGET_MS ? 'met' : 'MISS']);
  }
  printTable(
    'from the start of the first failing check to the drop a watcher sees (ms)',
    ['failing with', 'p50', 'p99', 'max', 'target', ''],
    rows,
  );

  await agent.down();
  await watch.close();
  await watcher.close();
  await agentClient.close();
  await disco.close();
  http.close();
  for (const res of hung) res.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
