// A cost measure for the registry's tests: work counted in steps, not timed.

/**
 * Runs `work` and counts the steps taken by every Map iterator meanwhile (for-of, spread,
 * keys/values/entries) and every Map forEach callback: a cost measure that any scan of the
 * registry's maps shows, however the code is written, and that no machine load can change.
 */
export function mapSteps<T>(work: () => T): { result: T; steps: number } {
  const iteratorPrototype = Object.getPrototypeOf(new Map().values()) as { next: (...args: unknown[]) => unknown };
  const next = iteratorPrototype.next;
  const forEach = Map.prototype.forEach;
  let steps = 0;
  iteratorPrototype.next = function (this: unknown, ...args: unknown[]) {
    steps++;
    return next.apply(this, args);
  };
  Map.prototype.forEach = function (this: Map<unknown, unknown>, callback, thisArg) {
    return forEach.call(this, (...args: [unknown, unknown, Map<unknown, unknown>]) => {
      steps++;
      callback.apply(thisArg, args);
    });
  };
  try {
    return { result: work(), steps };
  } finally {
    iteratorPrototype.next = next;
    Map.prototype.forEach = forEach;
  }
}
