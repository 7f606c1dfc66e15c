// A client's side of placement (docs/protocol.md, `place` and `placement`): setting where services
// should run, reading every placement a page at a time, and watching them. A watch lives on one
// connection (the server does not keep it across a resume), so watchPlacements asks again after every
// reconnect and hands over the whole list each time (record-watch.ts). Replies are checked at the edge, as any.

import { placementReplySchema } from '../protocol/messages.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { DiscoClient } from './client.ts';
import { parseReply } from './inbound.ts';
import { mergeRecord, type RecordKind, type RecordWatch, readAll, watchRecords } from './record-watch.ts';

type Requester = Pick<DiscoClient, 'request'>;

const PLACEMENTS: RecordKind<Placement> = {
  op: 'placement',
  push: 'placed',
  read: (reply) => {
    const { placements, next } = parseReply(placementReplySchema, reply);
    return { records: placements, next };
  },
  pushed: (push) => (push.op === 'placed' ? push.placements : undefined),
};

/** Sets the placement of each of `places`, all or none; returns them as disco stored them. */
export async function place(client: Requester, places: readonly Place[]): Promise<Placement[]> {
  const reply = await client.request({ op: 'place', placements: [...places] });
  return parseReply(placementReplySchema, reply).placements;
}

/** Every placement (of the services `name`, a pattern `*.SERVICE.STACK.ENV`, picks, if given), fetched page after page. */
export function readPlacements(client: Requester, name?: string): Promise<Placement[]> {
  return readAll(client, PLACEMENTS, name);
}

export type PlacementWatch = RecordWatch<Placement>;

/** Keeps `placement` unless `into` has its service at the same revision or a newer one; whether it did. */
export const mergePlacement = (into: Map<string, Placement>, placement: Placement): boolean => mergeRecord(into, placement);

/**
 * Reads the placements `name` picks with a watch, and calls `onChange` with the whole list: first,
 * then on every `placed` push (the newest revision of each service kept), and after every reconnect,
 * when it asks again. Rejects if the first read fails; a later one that fails is tried at the next reconnect.
 */
export function watchPlacements(
  client: DiscoClient,
  name: string | undefined,
  onChange: (placements: Placement[]) => void,
): Promise<PlacementWatch> {
  return watchRecords(client, PLACEMENTS, name, onChange);
}
