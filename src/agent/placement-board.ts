// The agent's PlacementBoard on its disco client: the stack's placements, watched (and read again
// after every reconnect, by watchPlacements), set through `place`, and whether another host's agent
// still holds a service, from the member records.

import type { DiscoClient } from '../client/client.ts';
import { listMembers } from '../client/members.ts';
import { mergePlacement, place, watchPlacements } from '../client/placement.ts';
import { runningOn } from '../placement/move.ts';
import type { Place, Placement } from '../protocol/placement.ts';
import type { PlacementBoard } from './placement-here.ts';

export async function placementBoard(
  client: DiscoClient,
  stack: { readonly stack: string; readonly environment: string; readonly host: string },
): Promise<PlacementBoard & { close(): void }> {
  const pattern = `*.*.${stack.stack}.${stack.environment}`;
  const stored = new Map<string, Placement>();
  const listeners = new Set<() => void>();
  const tell = () => {
    for (const listener of listeners) listener();
  };
  // The watch hands over the whole list each time, which is the truth (a restarted disco on memory
  // numbers its revisions afresh); a `place` reply is merged in until the watch's list has it.
  const replace = (placements: readonly Placement[]) => {
    const before = JSON.stringify([...stored.values()]);
    stored.clear();
    for (const placement of placements) stored.set(placement.service, placement);
    return JSON.stringify([...stored.values()]) !== before;
  };
  const watch = await watchPlacements(client, pattern, (placements) => {
    if (replace(placements)) tell();
  });
  replace(watch.current());
  return {
    current: () => stored,
    async place(places: readonly Place[]) {
      const placed = await place(client, [...places]);
      // Kept where newer than what is kept: the reply and the watch may cross.
      if (placed.map((placement) => mergePlacement(stored, placement)).some(Boolean)) tell();
      return placed;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async heldElsewhere(service) {
      const name = `${service}.${stack.stack}.${stack.environment}`;
      return runningOn(name, await listMembers(client, `*.${name}`)).some((host) => host !== stack.host);
    },
    close: () => watch.close(),
  };
}
