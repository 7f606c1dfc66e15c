// The soak's judge: pure, no I/O. It is given what was true (the healthy providers Docker ran), what
// each observer saw (a disco server's listing, its DNS, a dependent's live-update file) and when an
// observer was excused (its server was down, its side of the WAN was cut off), and says, sample by
// sample, whether each difference between the two outlived its bound.

/** The healthy, running providers' endpoints (host:port) at one moment, as `docker ps` on every host showed them. */
export interface Truth {
  readonly at: number;
  readonly healthy: readonly string[];
  /** The endpoints of every running provider, healthy or not yet: a container whose endpoint is not here is dead or gone. */
  readonly running?: readonly string[];
}

/** One provider or dependent container as Docker showed it; only web provides. */
export interface Shown {
  readonly service: string;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly endpoint?: string;
}

/**
 * The truth at `at` from every host's containers. `running` matters as much as `healthy`: scs runs
 * the image's check itself while Docker still says "starting", so it lists a new container (often on
 * the port a dead one had) before Docker calls it healthy, and that is not a dead endpoint kept.
 */
export function truthOf(at: number, containers: readonly Shown[]): Truth {
  const web = containers.filter((c) => c.service === 'web' && c.running && c.endpoint);
  return {
    at,
    healthy: web.filter((c) => c.healthy).map((c) => c.endpoint!),
    running: web.map((c) => c.endpoint!),
  };
}

/** What one observer saw at `at` (when it asked): the endpoints, or why it got no answer. */
export interface Sample {
  readonly at: number;
  readonly observer: string;
  readonly endpoints?: readonly string[];
  readonly error?: string;
  /** The observer had no session and opened one to ask (a write: its lease). */
  readonly opened?: boolean;
}

/** An observer not judged from `from` to `to`, then held to `settleMs` for what changed meanwhile. */
export interface Excuse {
  readonly observer: string;
  readonly from: number;
  readonly to: number;
  readonly why: string;
  readonly settleMs: number;
}

export type Invariant = 'I1' | 'I2' | 'I3';

export interface Bounds {
  /** I1: a healthy provider is listed (and in DNS) by every server within this long. */
  readonly listedMs: number;
  /** I2: an endpoint whose container is dead is gone within this long (heartbeat timeout + grace + 1 s). */
  readonly goneMs: number;
  /** I3: a dependent uses the current endpoints within this long (I2's bound + 1 s). */
  readonly dependentMs: number;
}

export interface Violation {
  readonly invariant: Invariant;
  readonly observer: string;
  readonly endpoint: string;
  /** missing: healthy but not seen; extra: seen but its container dead. */
  readonly difference: 'missing' | 'extra';
  /** When the difference began to count (the change, or the end of the observer's excuse). */
  readonly since: number;
  /** The first sample that showed the difference. */
  readonly began: number;
  /** The first sample past the bound. */
  readonly at: number;
  readonly boundMs: number;
  /** When it ended, if it did. */
  readonly until?: number;
}

export interface Verdict {
  readonly checks: Record<Invariant, number>;
  readonly violations: Violation[];
  /** How long each difference took to go, from its cause: one figure per difference that ended. */
  readonly convergenceMs: number[];
}

/** Dependents are observers named `client@HOST`; the others are disco servers' listings and DNS. */
export const isDependent = (observer: string) => observer.startsWith('client@');

/** Per endpoint, the moments it turned healthy and turned not healthy, in order. */
function transitions(truth: readonly Truth[]): Map<string, Array<{ at: number; healthy: boolean }>> {
  const changes = new Map<string, Array<{ at: number; healthy: boolean }>>();
  let before = new Set<string>();
  for (const sample of truth) {
    const now = new Set(sample.healthy);
    for (const endpoint of now) if (!before.has(endpoint)) push(changes, endpoint, { at: sample.at, healthy: true });
    for (const endpoint of before) if (!now.has(endpoint)) push(changes, endpoint, { at: sample.at, healthy: false });
    before = now;
  }
  return changes;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The last element whose `at` is at most `at`, by binary search over a list sorted by `at`. */
export function lastAtOrBefore<T extends { at: number }>(list: readonly T[], at: number): T | undefined {
  let low = 0;
  let high = list.length - 1;
  let found: T | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (list[middle]!.at <= at) {
      found = list[middle];
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

export function judge(truth: readonly Truth[], samples: readonly Sample[], excuses: readonly Excuse[], bounds: Bounds): Verdict {
  const checks: Record<Invariant, number> = { I1: 0, I2: 0, I3: 0 };
  const violations: Violation[] = [];
  const convergenceMs: number[] = [];
  if (truth.length === 0) return { checks, violations, convergenceMs };
  const changes = transitions(truth);
  const lives = transitions(truth.map((sample) => ({ at: sample.at, healthy: sample.running ?? sample.healthy })));
  const start = truth[0]!.at;
  const byObserver = new Map<string, Sample[]>();
  for (const sample of samples) push(byObserver, sample.observer, sample);

  for (const [observer, list] of byObserver) {
    list.sort((a, b) => a.at - b.at);
    const own = excuses.filter((excuse) => excuse.observer === observer);
    // Open differences: endpoint → when it began to count, its kind, and the violation it became, if any.
    const open = new Map<string, { since: number; began: number; difference: 'missing' | 'extra'; bound: number; violation?: number }>();
    for (const sample of list) {
      if (sample.at < start || !sample.endpoints) continue;
      if (own.some((excuse) => sample.at >= excuse.from && sample.at <= excuse.to)) continue;
      const now = lastAtOrBefore(truth, sample.at);
      const healthy = new Set(now?.healthy ?? []);
      const running = new Set(now?.running ?? now?.healthy ?? []);
      // Docker's own view lags: an endpoint that a poll within I1's bound no longer shows healthy was
      // dying then (the poll after the kill may still show it, on a loaded machine).
      const after = truth.slice(truth.indexOf(now!) + 1).filter((later) => later.at <= sample.at + bounds.listedMs);
      const dying = (endpoint: string) => after.some((later) => !later.healthy.includes(endpoint));
      // And the other way: a new container scs listed between two polls (often on the port a dead one
      // had) is shown running by the next; it was starting, not a dead endpoint kept.
      const starting = (endpoint: string) => after.some((later) => (later.running ?? later.healthy).includes(endpoint));
      const seen = new Set(sample.endpoints);
      const excused = own.filter((excuse) => excuse.to < sample.at).sort((a, b) => b.to - a.to)[0];
      // A difference already open when the excuse began (a change just before a cut) counts again from
      // the excuse's end, with its settle time, as one that began during it.
      for (const entry of open.values())
        if (excused && entry.violation === undefined && excused.to > entry.since) {
          entry.since = excused.to;
          entry.bound = Math.min(entry.bound, excused.settleMs);
        }
      const dependent = isDependent(observer);
      checks[dependent ? 'I3' : 'I1']++;
      if (!dependent) checks.I2++;
      const differences = new Map<string, 'missing' | 'extra'>();
      for (const endpoint of healthy) if (!seen.has(endpoint) && !dying(endpoint)) differences.set(endpoint, 'missing');
      // I2 is about dead containers: a running one's endpoint, healthy or not yet, is not judged.
      for (const endpoint of seen)
        if (!healthy.has(endpoint) && !running.has(endpoint) && !starting(endpoint)) differences.set(endpoint, 'extra');
      for (const [endpoint, entry] of open) {
        if (differences.get(endpoint) === entry.difference) continue;
        convergenceMs.push(sample.at - entry.since);
        if (entry.violation !== undefined) violations[entry.violation] = { ...violations[entry.violation]!, until: sample.at };
        open.delete(endpoint);
      }
      for (const [endpoint, difference] of differences) {
        let entry = open.get(endpoint);
        if (!entry) {
          // The difference counts from the change that made it, or from the end of the observer's
          // last excuse when that came later: it had no way to see the change before.
          const last = lastAtOrBefore((difference === 'extra' ? lives : changes).get(endpoint) ?? [], sample.at);
          // An endpoint Docker has not shown running yet (its poll lags a moment) counts from when it was first seen.
          const change = last?.at ?? sample.at;
          const bound = dependent ? bounds.dependentMs : difference === 'missing' ? bounds.listedMs : bounds.goneMs;
          entry =
            excused && excused.to > change && last
              ? { since: excused.to, began: sample.at, difference, bound: Math.min(bound, excused.settleMs) }
              : { since: change, began: sample.at, difference, bound };
          open.set(endpoint, entry);
        }
        if (entry.violation === undefined && sample.at - entry.since > entry.bound) {
          entry.violation = violations.length;
          violations.push({
            invariant: dependent ? 'I3' : difference === 'missing' ? 'I1' : 'I2',
            observer,
            endpoint,
            difference,
            since: entry.since,
            began: entry.began,
            at: sample.at,
            boundMs: entry.bound,
          });
        }
      }
    }
  }
  return { checks, violations, convergenceMs };
}

/** The p-th percentile (0–100) of `values`, by nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
