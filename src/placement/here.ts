// Whether this agent runs a service, by its desired placement: the one decision every agent makes
// the same way, so that a service placed on a host runs there and nowhere else. Pure.

import type { CompiledService } from '../manifest/compiled.ts';
import { formatTarget, type PlacedMember, type Placement, placedOn } from '../protocol/placement.ts';
import { dataOf } from './data.ts';
import { filesPlacement } from './files.ts';

export type Verdict =
  /** It runs here. */
  | { readonly run: true }
  /** It runs here once this host holds its placement: a singleton nobody placed yet, or placed on hosts by attributes alone. */
  | { readonly claim: true }
  /** It runs elsewhere; `why` is the sentence the agent says. */
  | { readonly elsewhere: string };

/**
 * A service runs where its placement picks; with none stored it runs on every agent that runs the
 * stack, unless it keeps data that is not shareable: one writer, so the first agent claims it.
 */
export function verdict(service: Pick<CompiledService, 'name' | 'container'>, stored: Placement | undefined, me: PlacedMember): Verdict {
  const singleton = dataOf(service) !== undefined;
  if (!stored) return singleton ? { claim: true } : { run: true };
  if (!placedOn(stored.target, me)) return { elsewhere: elsewhere(service.name, stored, me.host) };
  return singleton && stored.target.host === undefined ? { claim: true } : { run: true };
}

const CAUSE_WORDS: Record<Placement['cause'], string> = {
  files: 'by the stack files',
  move: `by ${'`scs move`'}`,
  claim: 'where its data is',
  rollback: 'after a move was rolled back',
};

/** `db is placed on host h1, where its data is (since …): scs move db --to h2 moves it here`. */
export function elsewhere(service: string, stored: Placement, here: string): string {
  const moving = stored.from ? `, moving from host ${stored.from}` : '';
  return `${service} is placed on ${formatTarget(stored.target)} ${CAUSE_WORDS[stored.cause]}${moving}: \`scs move ${service} --to ${here}\` moves it here`;
}

/**
 * What `scs up` here would decide, as `--dry-run` shows it: the stack files' placement set as the
 * agent would set it, then each service's verdict (a claim is a run: nobody holds it yet).
 */
export function expectedHere(
  services: readonly CompiledService[],
  stored: ReadonlyMap<string, Placement>,
  me: PlacedMember,
  nameOf: (service: string) => string,
): Map<string, Verdict> {
  const after = new Map(stored);
  for (const place of filesPlacement(services, stored, nameOf).places) {
    const { revision, ...entry } = place;
    after.set(place.service, { ...entry, by: 'scs up', since: new Date(0).toISOString(), revision: (revision ?? 0) + 1 });
  }
  return new Map(services.map((service) => [service.name, verdict(service, after.get(nameOf(service.name)), me)]));
}
