// The tombstones of every zone, wired to the zone views as the DNS server keeps them: a view tells
// the names it let go of (its nodes), each is buried in its zone's tombstones and numbered, and the
// view keeps a node while its number may be held. A name is held from the change that took its last
// record, whichever registry told it (the disco's, or a host's local view), so a question asks every
// registry's view of the zone.

import { Tombstones } from './tombstones.ts';
import type { ViewNode } from './view.ts';
import type { RegistryViews } from './views.ts';
import type { Zone } from './zones.ts';

export class Burials {
  private readonly tombstones = new Map<Zone, Tombstones<ViewNode>>();

  constructor(
    zones: readonly Zone[],
    holdMs: number,
    private readonly clock: () => number,
  ) {
    for (const zone of zones) this.tombstones.set(zone, new Tombstones<ViewNode>({ holdMs }));
  }

  /** Steps taken by every zone's tombstones: a count of work, for tests. */
  get steps(): number {
    let steps = 0;
    for (const tombstones of this.tombstones.values()) steps += tombstones.steps;
    return steps;
  }

  /** A view's `gone`: these names of the zone stopped existing now. */
  readonly gone = (zone: Zone, names: readonly ViewNode[]): void => {
    let number = this.tombstones.get(zone)!.bury(names, this.clock());
    for (const name of names) name.burial = number++;
  };

  /** A view's `held`: whether it must keep a name that went (its latest burial is not forgotten yet). */
  readonly held = (zone: Zone, name: ViewNode): boolean => name.burial >= this.tombstones.get(zone)!.forgottenBelow;

  /** Whether `owner` lost its last record a moment ago in any of these views of the zone. */
  holds(zone: Zone, views: Iterable<RegistryViews>, owner: string, now: number): boolean {
    const tombstones = this.tombstones.get(zone)!;
    for (const each of views) {
      const name = each.known(zone, owner);
      if (name && tombstones.holds(name, now)) return true;
    }
    return false;
  }

  /** The moment the zone's next held name stops existing. */
  nextExpiry(zone: Zone): number {
    return this.tombstones.get(zone)!.nextExpiry;
  }

  /** Forgets the zone's names whose hold is over at `now`, and returns them. */
  sweep(zone: Zone, now: number): ViewNode[] {
    return this.tombstones.get(zone)!.sweep(now);
  }
}
