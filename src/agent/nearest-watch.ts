// A requirement's endpoints as the agent applies them: nearest first, relative to the agent's own
// place (src/registry/nearest.ts), so `SCS_REQUIRE_<X>_HOST` and `_PORT` name the nearest endpoint.
// Everything the agent reads of a requirement (its environment, live updates, the `applied`
// comparisons) reads this one list. The order is a pure function of the watch's stable list, so the
// same endpoints always give the same order, and no container is updated for an order alone.

import type { Watch } from '../client/client.ts';
import type { EndpointOrder, Place } from '../registry/nearest.ts';
import { isKnown, nearestFirst } from '../registry/nearest.ts';

export function orderedWatch(watch: Watch, place: Place, order: EndpointOrder = 'nearest'): Watch {
  if (order === 'stable' || !isKnown(place)) return watch;
  return {
    get key() {
      return watch.key;
    },
    get spec() {
      return watch.spec;
    },
    get endpoints() {
      return nearestFirst(place, watch.endpoints, (endpoint) => endpoint.attrs);
    },
    close: () => watch.close(),
  };
}
