// A client's side of placement (docs/protocol.md, `place` and `placement`): setting where services
// should run, reading every placement a page at a time, and watching them. A watch lives on one
// connection (the server does not keep it across a resume), so watchPlacements asks again after every
// reconnect and hands over the whole list each time. Replies are checked at the edge, as any.

import { placementReplySchema } from '../protocol/messages.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { DiscoClient } from './client.ts';
import { type Push, parseReply } from './inbound.ts';

/** Pages a `placement` listing may take: each holds at least one placement, and the server keeps at most 10,000. */
const MAX_PAGES = 100_000;

type Requester = Pick<DiscoClient, 'request'>;

/** Sets the placement of each of `places`, all or none; returns them as disco stored them. */
export async function place(client: Requester, places: readonly Place[]): Promise<Placement[]> {
  const reply = await client.request({ op: 'place', placements: [...places] });
  return parseReply(placementReplySchema, reply).placements;
}

/** Every placement (of the services `name`, a pattern `*.SERVICE.STACK.ENV`, picks, if given), fetched page after page. */
export function readPlacements(client: Requester, name?: string): Promise<Placement[]> {
  return readAll(client, name);
}

/** Every page; with `onWatch`, the first asks for a watch too, and `onWatch` hears its id as the reply is read (before any push of it). */
async function readAll(client: Requester, name: string | undefined, onWatch?: (watch: string) => void): Promise<Placement[]> {
  const placements: Placement[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const watch = onWatch !== undefined && page === 0;
    const reply = await client.request(
      {
        op: 'placement',
        ...(name === undefined ? {} : { name }),
        ...(after === undefined ? {} : { after }),
        ...(watch ? { watch: true } : {}),
      },
      (fields) => {
        if (watch && typeof fields.watch === 'string') onWatch(fields.watch);
      },
    );
    const parsed = parseReply(placementReplySchema, reply);
    placements.push(...parsed.placements);
    after = parsed.next;
    if (after === undefined) break;
  }
  return placements;
}

export interface PlacementWatch {
  /** The placements as last told, in service name order. */
  current(): Placement[];
  /** Stops listening; the server's watch goes with the connection. */
  close(): void;
}

const byName = (a: Placement, b: Placement) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);

/** Keeps `placement` unless `into` has its service at the same revision or a newer one; whether it did. */
export function mergePlacement(into: Map<string, Placement>, placement: Placement): boolean {
  const known = into.get(placement.service);
  if (known && known.revision >= placement.revision) return false;
  into.set(placement.service, placement);
  return true;
}

/**
 * Reads the placements `name` picks with a watch, and calls `onChange` with the whole list: first,
 * then on every `placed` push (the newest revision of each service kept), and after every reconnect,
 * when it asks again. Rejects if the first read fails; a later one that fails is tried at the next reconnect.
 */
export async function watchPlacements(
  client: DiscoClient,
  name: string | undefined,
  onChange: (placements: Placement[]) => void,
): Promise<PlacementWatch> {
  let known = new Map<string, Placement>();
  /** While a read runs: what it gathers, the pages and the pushes of its watch, told once it is whole. */
  let reading: Map<string, Placement> | undefined;
  /** The server's watch whose pushes count: one of an older connection's is not ours. */
  let watch: string | undefined;
  let closed = false;
  const current = () => [...known.values()].sort(byName);
  const tell = () => {
    if (!closed) onChange(current());
  };
  const onPush = (push: Push) => {
    if (closed || push.op !== 'placed' || push.watch !== watch) return;
    const into = reading ?? known;
    const changed = push.placements.map((placement) => mergePlacement(into, placement)).some(Boolean);
    if (changed && !reading) tell();
  };
  const read = async () => {
    const gathered = new Map<string, Placement>();
    reading = gathered;
    watch = undefined;
    try {
      for (const placement of await readAll(client, name, (id) => (watch = id))) mergePlacement(gathered, placement);
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
