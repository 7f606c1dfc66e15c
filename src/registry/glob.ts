// Attribute globs, where `*` stands for any run of characters, matched in time linear in the
// pattern and the value. A backtracking RegExp (each `*` as `.*`) takes exponential time on
// `*a*a*a*a*b` against a long run of `a`, and froze the whole server while it tried.
//
// Between two stars a part may be found anywhere after the previous one, so the leftmost place
// is always as good as any later one: the parts are found in order, each by a Knuth-Morris-Pratt
// scan that never steps back, so the value is read about once whatever the pattern.

/** Counts the steps a match takes, for tests and benchmarks that show the work stays linear. */
export interface GlobSteps {
  count: number;
}

export type GlobMatcher = (value: string, steps?: GlobSteps) => boolean;

/** For each prefix of `part`, the length of its longest proper prefix that is also its suffix. */
function failureTable(part: string): Int32Array {
  const table = new Int32Array(part.length);
  let k = 0;
  for (let at = 1; at < part.length; at++) {
    while (k > 0 && part[at] !== part[k]) k = table[k - 1]!;
    if (part[at] === part[k]) k++;
    table[at] = k;
  }
  return table;
}

/** Where `part` first occurs in `value` between `from` and `to`, or -1. */
function find(part: string, table: Int32Array, value: string, from: number, to: number, steps: GlobSteps | undefined): number {
  let k = 0;
  for (let at = from; at < to; at++) {
    while (k > 0 && value[at] !== part[k]) {
      k = table[k - 1]!;
      if (steps) steps.count++;
    }
    if (steps) steps.count++;
    if (value[at] === part[k]) k++;
    if (k === part.length) return at - part.length + 1;
  }
  return -1;
}

/** Compiles a pattern once: its parts between stars and their tables. */
export function compileGlob(pattern: string): GlobMatcher {
  const parts = pattern.split('*');
  if (parts.length === 1) return (value) => value === pattern;
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  const middle = parts
    .slice(1, -1)
    .filter((part) => part !== '')
    .map((part) => ({ part, table: failureTable(part) }));
  return (value, steps) => {
    if (steps) steps.count += head.length + tail.length;
    if (value.length < head.length + tail.length || !value.startsWith(head) || !value.endsWith(tail)) return false;
    let from = head.length;
    const to = value.length - tail.length;
    for (const { part, table } of middle) {
      const at = find(part, table, value, from, to, steps);
      if (at === -1) return false;
      from = at + part.length;
    }
    return true;
  };
}

/** Whether `value` matches `pattern`; for one-off matches (a filter compiles its patterns once). */
export function matchGlob(pattern: string, value: string, steps?: GlobSteps): boolean {
  return compileGlob(pattern)(value, steps);
}
