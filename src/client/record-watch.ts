// What reading placements and instances records share (docs/protocol.md, `placement` and
// `instances`): every record a pattern picks, page after page, and a watch of them that hands over
// the whole list first, on every push, and after every reconnect, when it asks again (the server's
// watch lives on one connection). Replies are checked at the edge, as any.

import type { DiscoClient } from './client.ts';
import type { Push } from './inbound.ts';

/** Pages a listing may take: each holds at least one record, and the server keeps at most 10,000. */
const MAX_PAGES = 100_000;

type Requester = Pick<DiscoClient, 'request'>;

/** A record kept by service, whose revision grows with each change. */
export interface KeptRecord {
  readonly service: string;
  readonly revision: number;
}

/** One kind of record: the request that reads it, the push that tells of a change, and the field both list them in. */
export interface RecordKind<T extends KeptRecord> {
  readonly op: 'placement' | 'instances';
  readonly push: 'placed' | 'instances-changed';
  /** One page of a reply, checked. */
  readonly read: (reply: Record<string, unknown>) => { records: T[]; next?: string | undefined };
  /** The records of a push of this kind. */
  readonly pushed: (push: Push) => T[] | undefined;
}

/** Every page; with `onWatch`, the first asks for a watch too, and `onWatch` hears its id as the reply is read (before any push of it). */
export async function readAll<T extends KeptRecord>(
  client: Requester,
  kind: RecordKind<T>,
  name: string | undefined,
  onWatch?: (watch: string) => void,
): Promise<T[]> {
  const records: T[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const watch = onWatch !== undefined && page === 0;
    const reply = await client.request(
      {
        op: kind.op,
        ...(name === undefined ? {} : { name }),
        ...(after === undefined ? {} : { after }),
        ...(watch ? { watch: true } : {}),
      },
      (fields) => {
        if (watch && typeof fields.watch === 'string') onWatch(fields.watch);
      },
    );
    const read = kind.read(reply);
    records.push(...read.records);
    after = read.next;
    if (after === undefined) break;
  }
  return records;
}

export interface RecordWatch<T> {
  /** The records as last told, in service name order. */
  current(): T[];
  /** Stops listening; the server's watch goes with the connection. */
  close(): void;
}

/** Keeps `record` unless `into` has its service at the same revision or a newer one; whether it did. */
export function mergeRecord<T extends KeptRecord>(into: Map<string, T>, record: T): boolean {
  const known = into.get(record.service);
  if (known && known.revision >= record.revision) return false;
  into.set(record.service, record);
  return true;
}

const byName = (a: KeptRecord, b: KeptRecord) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);

/**
 * Reads the records `name` picks with a watch, and calls `onChange` with the whole list: first, then
 * on every push (the newest revision of each service kept), and after every reconnect, when it asks
 * again. Rejects if the first read fails; a later one that fails is tried at the next reconnect.
 */
export async function watchRecords<T extends KeptRecord>(
  client: DiscoClient,
  kind: RecordKind<T>,
  name: string | undefined,
  onChange: (records: T[]) => void,
): Promise<RecordWatch<T>> {
  let known = new Map<string, T>();
  /** While a read runs: what it gathers, the pages and the pushes of its watch, told once it is whole. */
  let reading: Map<string, T> | undefined;
  /** The server's watch whose pushes count: one of an older connection's is not ours. */
  let watch: string | undefined;
  let closed = false;
  const current = () => [...known.values()].sort(byName);
  const tell = () => {
    if (!closed) onChange(current());
  };
  const onPush = (push: Push) => {
    if (closed || push.op !== kind.push || !('watch' in push) || push.watch !== watch) return;
    const into = reading ?? known;
    const changed = (kind.pushed(push) ?? []).map((record) => mergeRecord(into, record)).some(Boolean);
    if (changed && !reading) tell();
  };
  const read = async () => {
    const gathered = new Map<string, T>();
    reading = gathered;
    watch = undefined;
    try {
      for (const record of await readAll(client, kind, name, (id) => (watch = id))) mergeRecord(gathered, record);
    } finally {
      if (reading === gathered) reading = undefined;
    }
    known = gathered;
    tell();
  };
  const onConnected = () => {
    // A failed read leaves the last list standing, and the next reconnect asks again.
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
