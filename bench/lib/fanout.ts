// Fan-out latency, the same way on disco and on etcd: a provider adds an endpoint, every subscriber
// has it; then it drops it, and the time until all W subscribers have the drop is one sample
// (`fanoutRound`, which bench/disco.ts takes too).

import { Counter } from './counter.ts';
import { connect } from './disco-process.ts';
import type { Etcd } from './etcd.ts';

/** Rounds run first and not counted, so JIT and buffers settle: a fifth of the counted ones, at most 20. */
const warmupFor = (rounds: number) => Math.min(20, Math.ceil(rounds / 5));

/**
 * One sample: `add` an endpoint and wait until all `width` subscribers have it, then `drop` it and
 * time until all of them have the drop. The counters, reset first, count what the subscribers see.
 */
export async function fanoutRound<T>(
  width: number,
  adds: Counter,
  drops: Counter,
  add: () => Promise<T>,
  drop: (added: T) => unknown,
): Promise<number> {
  adds.reset();
  drops.reset();
  const added = await add();
  await adds.reach(width);
  const started = performance.now();
  void drop(added);
  await drops.reach(width);
  return performance.now() - started;
}

/**
 * W subscriptions of one name, `perConnection` to a connection (the last may hold fewer), on
 * `port`; the provider on `providerPort` (another server sharing the registry, for HA).
 */
export async function discoFanout(
  port: number,
  width: number,
  rounds: number,
  perConnection = 100,
  providerPort = port,
): Promise<number[]> {
  const name = `fan${width}.db.blog.prod`;
  const connections = await Promise.all(
    Array.from({ length: Math.ceil(width / perConnection) }, (_, i) => connect(port, `bench-sub-${i}`)),
  );
  const adds = new Counter();
  const drops = new Counter();
  try {
    await Promise.all(
      Array.from({ length: width }, (_, i) =>
        connections[Math.floor(i / perConnection)]!.require({ name }, (event) => {
          adds.add(event.add.length);
          drops.add(event.drop.length);
        }),
      ),
    );
    const provider = await connect(providerPort, 'bench-provider');
    try {
      const samples: number[] = [];
      const warmup = warmupFor(rounds);
      for (let round = 0; round < warmup + rounds; round++) {
        const took = await fanoutRound(
          width,
          adds,
          drops,
          () => provider.provide({ name, host: '10.0.0.5', port: 3306 }),
          (handle) => handle.drop(),
        );
        if (round >= warmup) samples.push(took);
      }
      return samples;
    } finally {
      await provider.close();
    }
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
}

/** W etcd watches of one prefix, one watch (and HTTP stream) each; a put, then a delete, of one key. */
export async function etcdFanout(etcd: Etcd, width: number, rounds: number): Promise<number[]> {
  const prefix = `/scs/fan${width}/`;
  const puts = new Counter();
  const deletes = new Counter();
  const cancels: Array<() => void> = [];
  try {
    // In batches, so ten thousand streams do not all open at once.
    for (let i = 0; i < width; i += 500) {
      const batch = Math.min(500, width - i);
      cancels.push(
        ...(await Promise.all(Array.from({ length: batch }, () => etcd.watch(prefix, (type) => (type === 'PUT' ? puts : deletes).add(1))))),
      );
    }
    const samples: number[] = [];
    const warmup = warmupFor(rounds);
    for (let round = 0; round < warmup + rounds; round++) {
      const took = await fanoutRound(
        width,
        puts,
        deletes,
        () => etcd.put(`${prefix}10.0.0.5:3306`, '{"az":"us-east-1a"}'),
        () => etcd.delete(`${prefix}10.0.0.5:3306`),
      );
      if (round >= warmup) samples.push(took);
    }
    return samples;
  } finally {
    for (const cancel of cancels) cancel();
  }
}
