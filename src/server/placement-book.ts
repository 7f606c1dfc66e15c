// The desired placements this server knows of, by service (`service.stack.environment`): set by its
// own `place` requests (memory), or mirrored from etcd (etcd-placements.ts). Bounded in count; pure,
// no I/O. Tells its listeners of each change: the seam for `placement` watches and `placed` events.

import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { formatTarget, PLACEMENT_LIMITS, type Place, type Placement } from '../protocol/placement.ts';

/** One placement set, and the one it replaced (none for a service placed for the first time). */
export interface PlacementChange {
  readonly placement: Placement;
  readonly previous: Placement | undefined;
}

/** Who sets a batch of placements, and when: the same for every entry of one `place`. */
export interface Placer {
  readonly by: string;
  readonly since: string;
}

export class PlacementBook {
  private readonly placements = new Map<string, Placement>();
  private readonly listeners = new Set<(change: PlacementChange) => void>();

  constructor(private readonly limit: number = PLACEMENT_LIMITS.placements) {}

  get size(): number {
    return this.placements.size;
  }

  /** Calls `listener` for every placement set, until the returned function is called. */
  listen(listener: (change: PlacementChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(service: string): Placement | undefined {
    return this.placements.get(service);
  }

  /** Every placement, in service name order: the order `placement` pages in. */
  list(): Placement[] {
    return [...this.placements.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  }

  /**
   * Throws when `places` could not all be set: a service named twice, the limit passed, or a
   * condition that does not hold (`conflict`). Nothing changes either way.
   */
  check(places: readonly Place[]): void {
    this.checkRoom(places);
    for (const place of places) {
      if (place.revision !== undefined) checkRevision(place, this.placements.get(place.service));
    }
  }

  /** Throws when `places` name a service twice, or would take the book past its limit. */
  checkRoom(places: readonly Place[]): void {
    checkDistinct(places);
    const added = places.filter((place) => !this.placements.has(place.service)).length;
    if (this.placements.size + added > this.limit)
      throw new ProtocolError(ErrorCode.overloaded, `this disco server holds its maximum of ${this.limit} placements`);
  }

  /** Sets every one of `places`, or (when check throws) none; each service's revision grows by one. */
  set(places: readonly Place[], placer: Placer): Placement[] {
    this.check(places);
    return places.map(({ revision: _condition, ...place }) =>
      this.keep({ ...place, ...placer, revision: (this.placements.get(place.service)?.revision ?? 0) + 1 }),
    );
  }

  /** Keeps `placement` as a store has it (its revision already decided), replacing the service's last; returns it. */
  keep(placement: Placement): Placement {
    const previous = this.placements.get(placement.service);
    this.placements.set(placement.service, placement);
    this.tell({ placement, previous });
    return placement;
  }

  /** Whether one more service could be kept: a store's placement past the limit is left out. */
  hasRoomFor(service: string): boolean {
    return this.placements.has(service) || this.placements.size < this.limit;
  }

  /** Forgets a service's placement (its key went from the store); a watch hears of it only when it is set again. */
  forget(service: string): void {
    this.placements.delete(service);
  }

  private tell(change: PlacementChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own: the book and the other listeners go on.
      }
    }
  }
}

/** One `place` names each service once: two wishes for one service in one batch contradict each other. */
export function checkDistinct(places: readonly Place[]): void {
  const seen = new Set<string>();
  for (const { service } of places) {
    if (seen.has(service)) throw new ProtocolError(ErrorCode.badRequest, `placements: ${service} appears more than once`);
    seen.add(service);
  }
}

/** Throws `conflict` unless `stored` has the revision `place` names (0: none stored). */
export function checkRevision(place: Place, stored: Placement | undefined): void {
  if ((stored?.revision ?? 0) !== place.revision) throw conflict(place, stored);
}

/** The `conflict` error: one sentence naming the service, and where it is placed now and by what cause. */
export function conflict(place: Place, stored: Placement | undefined): ProtocolError {
  const now = stored
    ? `it is placed on ${formatTarget(stored.target)} now (${stored.cause}, by ${stored.by}, revision ${stored.revision})`
    : 'it is placed nowhere now';
  return new ProtocolError(
    ErrorCode.conflict,
    `${place.service} was not placed: it was expected at revision ${place.revision}, but ${now}`,
  );
}
