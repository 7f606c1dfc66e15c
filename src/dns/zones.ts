// Zones disco is authoritative for, each optionally showing only endpoints whose attributes match.

import { type AttributeMatcher, compileFilter } from '../registry/filter.ts';
import type { AttributeFilter } from '../registry/types.ts';

export interface ZoneConfig {
  /** e.g. `disco` or `east.disco` (a trailing dot is allowed). */
  readonly name: string;
  readonly filter?: AttributeFilter;
}

export interface Zone {
  /** Lower-case labels, e.g. ['east', 'disco']. */
  readonly labels: readonly string[];
  /** Absolute, with the trailing dot: `east.disco.`. */
  readonly origin: string;
  readonly matches: AttributeMatcher;
}

export function makeZone(config: ZoneConfig): Zone {
  const origin = dnsName(config.name);
  return { labels: origin.split('.').filter(Boolean), origin, matches: compileFilter(config.filter ?? {}) };
}

/** The most specific zone that holds `labels`, and the labels below its apex. */
export function findZone(zones: readonly Zone[], labels: readonly string[]): { zone: Zone; relative: string[] } | undefined {
  let best: Zone | undefined;
  for (const zone of zones) {
    const n = zone.labels.length;
    // Stryker disable next-line ConditionalExpression: a zone longer than the name compares its missing labels as undefined, which equals no label: not chosen either way
    if (n > labels.length || (best && best.labels.length >= n)) continue;
    let inside = true;
    for (let i = 1; i <= n; i++) {
      if (labels[labels.length - i] !== zone.labels[n - i]) {
        inside = false;
        break;
      }
    }
    if (inside) best = zone;
  }
  return best && { zone: best, relative: labels.slice(0, labels.length - best.labels.length) };
}

/** A zone name as DNS prints it: lower-case, with the trailing dot. */
export function dnsName(name: string): string {
  return `${name.toLowerCase().replace(/\.$/, '')}.`;
}

/** A name in the form the query guard keys it by: wire form, lower-case, as a latin1 string. */
export function wireName(labels: readonly string[]): string {
  let name = '';
  for (const label of labels) name += String.fromCharCode(label.length) + label;
  return `${name}\u0000`;
}
