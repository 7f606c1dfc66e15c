// When a change to what a service requires is applied. One live update per move is the aim, and
// what decides is what the container would be left with until it is updated:
// - some of the endpoints it uses are still there: it still works, so the change waits for
//   `debounce` of quiet, and a burst (a replacement's add, then its drop) folds into one update;
// - none of them is left, but others are there: it is broken and can be fixed, so at once;
// - nothing is left: it is broken and nothing would fix it, so the empty set is held back for
//   `hold`, and a provider that Docker restarts (or that moves) costs one update, to its new
//   address, instead of an update to nothing and another one after.

export type Urgency = { readonly kind: 'now' } | { readonly kind: 'debounce' } | { readonly kind: 'hold'; readonly untilMs: number };

export interface RequirementView {
  /** What the container was configured with. */
  readonly applied: readonly string[];
  /** What disco says now. */
  readonly current: readonly string[];
  /** When the current set became empty, if it is. */
  readonly emptiedAt: number | undefined;
}

export function urgency(requirement: RequirementView, holdMs: number): Urgency {
  const { applied, current, emptiedAt } = requirement;
  if (current.length === 0) return applied.length === 0 ? { kind: 'debounce' } : { kind: 'hold', untilMs: (emptiedAt ?? 0) + holdMs };
  if (applied.length > 0 && !applied.some((address) => current.includes(address))) return { kind: 'now' };
  if (applied.length === 0) return { kind: 'now' };
  return { kind: 'debounce' };
}

/** Whether an empty set is still held back at `nowMs`. */
export const holdingEmpty = (requirement: RequirementView, holdMs: number, nowMs: number): boolean => {
  const u = urgency(requirement, holdMs);
  return u.kind === 'hold' && nowMs < u.untilMs;
};
