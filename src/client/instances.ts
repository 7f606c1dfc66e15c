// A client's side of the instances records (docs/protocol.md, `scale`, `drain` and `instances`):
// setting how many instances of services should run, draining and undraining them, reading every
// record a page at a time, and watching them, as placements are watched (record-watch.ts).

import type { DrainChange, Instances, Scale } from '../protocol/instances.ts';
import { instancesReplySchema } from '../protocol/messages.ts';
import type { DiscoClient } from './client.ts';
import { parseReply } from './inbound.ts';
import { mergeRecord, type RecordKind, type RecordWatch, readAll, watchRecords } from './record-watch.ts';

type Requester = Pick<DiscoClient, 'request'>;

const INSTANCES: RecordKind<Instances> = {
  op: 'instances',
  push: 'instances-changed',
  read: (reply) => parseReply(instancesReplySchema, reply),
  pushed: (push) => (push.op === 'instances-changed' ? push.records : undefined),
};

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
  return readAll(client, INSTANCES, name);
}

export type InstancesWatch = RecordWatch<Instances>;

/** Keeps `record` unless `into` has its service at the same revision or a newer one; whether it did. */
export const mergeInstances = (into: Map<string, Instances>, record: Instances): boolean => mergeRecord(into, record);

/** Reads the records `name` picks with a watch, and calls `onChange` with the whole list, as watchPlacements does. */
export function watchInstances(
  client: DiscoClient,
  name: string | undefined,
  onChange: (records: Instances[]) => void,
): Promise<InstancesWatch> {
  return watchRecords(client, INSTANCES, name, onChange);
}
