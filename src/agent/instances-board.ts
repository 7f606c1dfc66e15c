// The agent's InstancesBoard on its disco client: the stack's instances records, watched (and read
// again after every reconnect, by watchInstances), and counts set through `scale`, as
// placement-board.ts does for placements.

import type { DiscoClient } from '../client/client.ts';
import { mergeInstances, scale, watchInstances } from '../client/instances.ts';
import type { Instances, Scale } from '../protocol/instances.ts';
import type { InstancesBoard } from './instances-here.ts';

export async function instancesBoard(
  client: DiscoClient,
  stack: { readonly stack: string; readonly environment: string },
): Promise<InstancesBoard & { close(): void }> {
  const stored = new Map<string, Instances>();
  const listeners = new Set<() => void>();
  const tell = () => {
    for (const listener of listeners) listener();
  };
  // The watch hands over the whole list each time, which is the truth (a restarted disco on memory
  // numbers its revisions afresh); a `scale` reply is merged in until the watch's list has it.
  const replace = (records: readonly Instances[]) => {
    const before = JSON.stringify([...stored.values()]);
    stored.clear();
    for (const record of records) stored.set(record.service, record);
    return JSON.stringify([...stored.values()]) !== before;
  };
  const watch = await watchInstances(client, `*.*.${stack.stack}.${stack.environment}`, (records) => {
    if (replace(records)) tell();
  });
  replace(watch.current());
  return {
    current: () => stored,
    async scale(scales: readonly Scale[]) {
      const set = await scale(client, scales);
      if (set.map((record) => mergeInstances(stored, record)).some(Boolean)) tell();
      return set;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => watch.close(),
  };
}
