// A client's side of the instances records (docs/protocol.md, `scale`, `drain` and `instances`):
// setting how many instances of services should run, draining and undraining them, reading every
// record a page at a time, and watching them. A watch lives on one connection, so watchInstances
// asks again after every reconnect and hands over the whole list each time, as watchPlacements does.

import type { DrainChange, Instances, Scale } from '../protocol/instances.ts';
import { instancesReplySchema } from '../protocol/messages.ts';
import type { DiscoClient } from './client.ts';
import { type Push, parseReply } from './inbound.ts';

/** Pages a listing may take: each holds at least one record, and the server keeps at most 10,000. */
const MAX_PAGES = 100_000;

type Requester = Pick<DiscoClient, 'request'>;

/** Sets the count of each of `scales`, all or none; returns the records as disco stored them. */
export async function scale(client: Requester, scales: readonly Scale[]): Promise<Instances[]> {
  const reply = await client.request({ op: 'scale', services: [...scales] });
  return parseReply(instancesReplySchema, reply).records;
}

/** Drains or undrains each of `drains`, all or none; returns the records as disco stored them. */
export async function drain(client: Requester, drains: readonly DrainChange[]): Promise<Instances[]> {
  const reply = await client.request({ op: 'drain', drains: [...drains] });
  return parseReply(instancesReplySchema, reply).records;
}

/** Every record (of the services `name`, a pattern `*.SERVICE.STACK.ENV`, picks, if given), fetched page after page. */
export function readInstances(client: Requester, name?: string): Promise<Instances[]> {
  return readAll(client, name);
}

/** Every page; with `onWatch`, the first asks for a watch too, and `onWatch` hears its id as the reply is read (before any push of it). */
async function readAll(client: Requester, name: string | undefined, onWatch?: (watch: string) => void): Promise<Instances[]> {
  const records: Instances[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const watch = onWatch !== undefined && page === 0;
    const reply = await client.request(
      {
        op: 'instances',
        ...(name === undefined ? {} : { name }),
        ...(after === undefined ? {} : { after }),
        ...(watch ? { watch: true } : {}),
      },
      (fields) => {
        if (watch && typeof fields.watch === 'string') onWatch(fields.watch);
      },
    );
    const parsed = parseReply(instancesReplySchema, reply);
    records.push(...parsed.records);
    after = parsed.next;
    if (after === undefined) break;
  }
  return records;
}

export interface InstancesWatch {
  /** The records as last told, in service name order. */
  current(): Instances[];
  /** Stops listening; the server's watch goes with the connection. */
  close(): void;
}

const byName = (a: Instances, b: Instances) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);

/** Keeps `record` unless `into` has its service at the same revision or a newer one; whether it did. */
export function mergeInstances(into: Map<string, Instances>, record: Instances): boolean {
  const known = into.get(record.service);
  if (known && known.revision >= record.revision) return false;
  into.set(record.service, record);
  return true;
}

/**
 * Reads the records `name` picks with a watch, and calls `onChange` with the whole list: first, then
 * on every `instances-changed` push (the newest revision of each service kept), and after every
 * reconnect, when it asks again. Rejects if the first read fails; a later one that fails is tried at the next reconnect.
 */
export async function watchInstances(
  client: DiscoClient,
  name: string | undefined,
  onChange: (records: Instances[]) => void,
): Promise<InstancesWatch> {
  let known = new Map<string, Instances>();
  let reading: Map<string, Instances> | undefined;
  let watch: string | undefined;
  let closed = false;
  const current = () => [...known.values()].sort(byName);
  const tell = () => {
    if (!closed) onChange(current());
  };
  const onPush = (push: Push) => {
    if (closed || push.op !== 'instances-changed' || push.watch !== watch) return;
    const into = reading ?? known;
    const changed = push.records.map((record) => mergeInstances(into, record)).some(Boolean);
    if (changed && !reading) tell();
  };
  const read = async () => {
    const gathered = new Map<string, Instances>();
    reading = gathered;
    watch = undefined;
    try {
      for (const record of await readAll(client, name, (id) => (watch = id))) mergeInstances(gathered, record);
    } finally {
      if (reading === gathered) reading = undefined;
    }
    known = gathered;
    tell();
  };
  const onConnected = () => {
    if (!closed) read().catch(() => {});
  };
  const stop = () => {
    closed = true;
    client.off('push', onPush);
    client.off('connected', onConnected);
  };
  client.on('push', onPush);
  client.on('connected', onConnected);
  try {
    await read();
  } catch (error) {
    stop();
    throw error;
  }
  return { current, close: stop };
}
