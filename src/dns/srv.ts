// What an SRV record says besides its target: a priority, from how near the endpoint is to the
// asker (src/registry/nearest.ts), and a weight, from the endpoint's `weight` attribute
// (docs/dns.md, "Priority and weight"). Both are read from the attributes its instance's TXT record
// shows: one endpoint provided twice (two owners, one address) is one SRV record, and says what its
// TXT says, the first provision's attributes. Pure.

import { isKnown, type Place, placeOf, tierOf } from '../registry/nearest.ts';
import type { Attributes } from '../registry/types.ts';

/** One SRV record of the view, before the asker is known. */
export interface SrvData {
  readonly port: number;
  /** Absolute target name. */
  readonly target: string;
  /** Where its endpoint is, and its weight: absent, nowhere known and the default weight. */
  readonly facts?: () => SrvFacts;
}

/**
 * The view's SRV record: its instance, whose first TXT record holds the endpoint's attributes, is
 * private, so two views with the same records compare equal field by field.
 */
export class SrvRecord implements SrvData {
  readonly #instance: { readonly txt: readonly (readonly string[])[] };

  constructor(
    readonly port: number,
    readonly target: string,
    instance: { readonly txt: readonly (readonly string[])[] },
  ) {
    this.#instance = instance;
  }

  facts(): SrvFacts {
    return factsOfTxt(this.#instance.txt[0]);
  }
}

/** The priority of every record for an asker of no known place: one tier, as before places. */
export const PRIORITY_ANYWHERE = 1;
/** The priority of each tier (same zone, same dc, the rest), spaced so that one can go between. */
export const TIER_PRIORITIES = [10, 20, 30] as const;
export const DEFAULT_WEIGHT = 1;

/**
 * The `weight` attribute as an SRV weight: a whole number from 1 to 65535, written plainly. Anything
 * else gets the default weight: an endpoint's attribute never breaks an answer.
 */
export function weightOf(attributes: Attributes): number {
  const text = attributes.weight;
  if (text === undefined || !/^[1-9]\d{0,4}$/.test(text)) return DEFAULT_WEIGHT;
  const weight = Number(text);
  return weight <= 65535 ? weight : DEFAULT_WEIGHT;
}

export interface SrvFacts {
  readonly place: Place;
  readonly weight: number;
}

const NOWHERE: SrvFacts = { place: {}, weight: DEFAULT_WEIGHT };
/** By the TXT strings they are read from: the view keeps one array per attribute set until it changes. */
const read = new WeakMap<readonly string[], SrvFacts>();

/** Where an SRV record's endpoint is, and its weight. */
export function factsOf(srv: SrvData): SrvFacts {
  return srv.facts?.() ?? NOWHERE;
}

/** The facts of attributes written as TXT strings (`key=value`), read once per array. */
function factsOfTxt(strings: readonly string[] | undefined): SrvFacts {
  if (!strings || strings.length === 0) return NOWHERE;
  let facts = read.get(strings);
  if (!facts) {
    const attributes: Record<string, string> = {};
    for (const text of strings) {
      const equals = text.indexOf('=');
      const key = text.slice(0, equals);
      if (key === 'zone' || key === 'az' || key === 'dc' || key === 'weight') attributes[key] = text.slice(equals + 1);
    }
    facts = { place: placeOf(attributes), weight: weightOf(attributes) };
    read.set(strings, facts);
  }
  return facts;
}

/** The priority of an SRV record for an asker: by tier when the asker's place is known, one for all when not. */
export function priorityOf(asker: Place | undefined, srv: SrvData): number {
  if (!asker || !isKnown(asker)) return PRIORITY_ANYWHERE;
  return TIER_PRIORITIES[tierOf(asker, factsOf(srv).place)];
}
