// Where an endpoint is, and the order that puts the nearest first (docs/manifest.md, "Nearest
// first"). Pure: the asker's place and the endpoints' attributes in, tiers and orders out. Two
// attributes say where an endpoint is: `zone` (or `az`, its older name) and `dc`.

import type { Attributes } from './types.ts';

/** Where something is: its zone and its data center, either unknown. */
export interface Place {
  readonly zone?: string | undefined;
  readonly dc?: string | undefined;
}

/** 0: the asker's zone; 1: its data center; 2: anywhere else. */
export type Tier = 0 | 1 | 2;

/** The zone of attributes: `zone`, else `az`, the name it had before (member attributes still use it). */
export function zoneOf(attributes: Attributes | undefined): string | undefined {
  return nonEmpty(attributes?.zone) ?? nonEmpty(attributes?.az);
}

/** The place attributes give: their zone and their `dc`. */
export function placeOf(attributes: Attributes | undefined): Place {
  const zone = zoneOf(attributes);
  const dc = nonEmpty(attributes?.dc);
  return { ...(zone === undefined ? {} : { zone }), ...(dc === undefined ? {} : { dc }) };
}

/** Whether a place says anything: an asker of no known place sees every endpoint in one tier. */
export function isKnown(place: Place): boolean {
  return place.zone !== undefined || place.dc !== undefined;
}

/**
 * How near an endpoint is to the asker. A zone is in one data center, so a zone of the same name in
 * another data center (both known and different) is not the asker's zone.
 */
export function tierOf(asker: Place, endpoint: Place): Tier {
  if (!isKnown(asker)) return 0;
  const otherDc = asker.dc !== undefined && endpoint.dc !== undefined && asker.dc !== endpoint.dc;
  if (asker.zone !== undefined && endpoint.zone === asker.zone && !otherDc) return 0;
  if (asker.dc !== undefined && endpoint.dc === asker.dc) return 1;
  return 2;
}

/**
 * The items nearest first: the asker's zone, then its data center, then the rest, each tier in the
 * order the items came in (the registry's stable order), so the same inputs give the same order.
 * Linear: one pass into three tiers.
 */
export function nearestFirst<T>(asker: Place, items: readonly T[], attributesOf: (item: T) => Attributes | undefined): T[] {
  if (!isKnown(asker)) return [...items];
  const tiers: [T[], T[], T[]] = [[], [], []];
  for (const item of items) tiers[tierOf(asker, placeOf(attributesOf(item)))].push(item);
  return [...tiers[0], ...tiers[1], ...tiers[2]];
}

/** Attributes with a host's zone and dc added, unless they say their own (`az` is a zone): what an agent provides. */
export function withPlace(attributes: Attributes, place: Place | undefined): Record<string, string> {
  return {
    ...(place?.zone !== undefined && zoneOf(attributes) === undefined ? { zone: place.zone } : {}),
    ...(place?.dc !== undefined && nonEmpty(attributes.dc) === undefined ? { dc: place.dc } : {}),
    ...attributes,
  };
}

/** How a requirement's endpoints are ordered: nearest first (the default), or the registry's stable order alone. */
export type EndpointOrder = 'nearest' | 'stable';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
