// The soak's judge (bench/soak/checker.ts) and its partition rule, on made-up timelines: a difference
// within its bound passes, one past it is a violation with its cause, an excuse moves the clock.

import { describe, expect, it } from 'vitest';
import { type Bounds, judge, percentile, type Sample, type Truth, truthOf } from '../../bench/soak/checker.ts';
import { agentOf, containerOf, drawFaults } from '../../bench/soak/faults.ts';
import { checkPartitions } from '../../bench/soak/partition.ts';
import { successorUp } from '../../bench/soak/topology.ts';

const BOUNDS: Bounds = { listedMs: 2000, goneMs: 6000, dependentMs: 7000 };
const A = '10.0.0.1:80';
const B = '10.0.0.2:80';

/** Truth every 250 ms from 0 to `until`: `healthy(at)` gives the endpoints then. */
const truthUntil = (until: number, healthy: (at: number) => string[]): Truth[] => {
  const list: Truth[] = [];
  for (let at = 0; at <= until; at += 250) list.push({ at, healthy: healthy(at) });
  return list;
};
const samplesUntil = (observer: string, until: number, seen: (at: number) => string[] | undefined): Sample[] => {
  const list: Sample[] = [];
  for (let at = 0; at <= until; at += 250) {
    const endpoints = seen(at);
    list.push(endpoints ? { at, observer, endpoints } : { at, observer, error: 'timeout' });
  }
  return list;
};

describe('the soak checker', () => {
  it('passes a new provider listed 1.5 s after it turned healthy, and gives its convergence', () => {
    const truth = truthUntil(10_000, (at) => (at >= 3000 ? [A] : []));
    const samples = samplesUntil('list@h1', 10_000, (at) => (at >= 4500 ? [A] : []));
    const verdict = judge(truth, samples, [], BOUNDS);
    expect(verdict.violations).toEqual([]);
    expect(verdict.convergenceMs).toEqual([1500]);
    expect(verdict.checks.I1).toBe(41);
  });

  it('reports I1 when a healthy provider is missing past 2 s, with when it began and ended', () => {
    const truth = truthUntil(10_000, () => [A]);
    const samples = samplesUntil('dns@h3', 10_000, (at) => (at >= 4000 && at < 7000 ? [] : [A]));
    const { violations } = judge(truth, samples, [], BOUNDS);
    expect(violations).toEqual([
      {
        invariant: 'I1',
        observer: 'dns@h3',
        endpoint: A,
        difference: 'missing',
        since: 0,
        began: 4000,
        at: 4000,
        boundMs: 2000,
        until: 7000,
      },
    ]);
  });

  it('gives a dead container 6 s before its endpoint must be gone (I2), and a dependent 7 s (I3)', () => {
    const truth = truthUntil(20_000, (at) => (at < 2000 ? [A, B] : [B]));
    const server = samplesUntil('list@h1', 20_000, (at) => (at < 7500 ? [A, B] : [B]));
    const late = samplesUntil('list@h2', 20_000, (at) => (at < 8500 ? [A, B] : [B]));
    const dependent = samplesUntil('client@h2', 20_000, (at) => (at < 8750 ? [A, B] : [B]));
    const { violations } = judge(truth, [...server, ...late, ...dependent], [], BOUNDS);
    expect(violations.map((v) => `${v.invariant} ${v.observer} ${v.at}`)).toEqual(['I2 list@h2 8250']);
  });

  it('does not judge an excused observer, and holds it to the excuse settle time after', () => {
    const truth = truthUntil(20_000, (at) => (at >= 3000 ? [A] : []));
    // The server is down from 2 s to 10 s (no answers), then lists A 1.5 s after it is back: fine.
    const back = samplesUntil('list@h2', 20_000, (at) => (at < 2000 ? [] : at <= 10_000 ? undefined : at >= 11_500 ? [A] : []));
    const excuse = { observer: 'list@h2', from: 2000, to: 10_000, why: 'down', settleMs: 2000 };
    expect(judge(truth, back, [excuse], BOUNDS).violations).toEqual([]);
    // Lists it 2.5 s after: a violation counted from the excuse's end.
    const slow = samplesUntil('list@h2', 20_000, (at) => (at < 2000 ? [] : at <= 10_000 ? undefined : at >= 12_500 ? [A] : []));
    const { violations } = judge(truth, slow, [excuse], BOUNDS);
    expect(violations).toMatchObject([{ invariant: 'I1', since: 10_000, at: 12_250, until: 12_500 }]);
  });

  it("counts a difference that was open when the excuse began from the excuse's end (found by the soak: a cut just after a change)", () => {
    // B turns healthy at 1 s; the dependent on h2 is cut off from 1.5 s to 12 s, before it could see it.
    const truth = truthUntil(20_000, (at) => (at >= 1000 ? [A, B] : [A]));
    const excuse = { observer: 'client@h2', from: 1500, to: 12_000, why: 'the WAN was cut', settleMs: 2000 };
    const seen = (late: number) => (at: number) => (at > 1500 && at <= 12_000 ? undefined : at >= late ? [A, B] : [A]);
    // Seen 1.5 s after the heal: within the settle time, though 11.5 s after B turned healthy.
    expect(judge(truth, samplesUntil('client@h2', 20_000, seen(13_500)), [excuse], BOUNDS).violations).toEqual([]);
    // Seen 3 s after the heal: a violation, counted from the heal.
    const { violations } = judge(truth, samplesUntil('client@h2', 20_000, seen(15_000)), [excuse], BOUNDS);
    expect(violations).toMatchObject([{ invariant: 'I3', since: 12_000, boundMs: 2000, until: 15_000 }]);
  });

  it('does not hold against a server an endpoint whose container runs but Docker does not show healthy yet (I2 is about dead ones)', () => {
    const truth = truthUntil(12_000, (at) => (at < 9000 ? [] : [B])).map((sample) => ({ ...sample, running: [B] }));
    const samples = samplesUntil('list@h1', 12_000, () => [B]);
    expect(judge(truth, samples, [], BOUNDS).violations).toEqual([]);
    // Once its container is gone, the bound runs from then.
    const gone = truthUntil(12_000, () => []).map((sample) => ({ ...sample, running: sample.at < 1000 ? [B] : [] }));
    expect(judge(gone, samples, [], BOUNDS).violations).toMatchObject([{ invariant: 'I2', since: 1000, at: 7250 }]);
  });

  it("takes the truth from Docker with the running providers, so a new container on a dead one's port is not held as the dead one", () => {
    const shown = (healthy: boolean) => [
      { service: 'web', running: true, healthy, endpoint: B },
      { service: 'web', running: false, healthy: false, endpoint: A },
      { service: 'client', running: true, healthy: true },
    ];
    expect(truthOf(5, shown(false))).toEqual({ at: 5, healthy: [], running: [B] });
    expect(truthOf(6, shown(true))).toEqual({ at: 6, healthy: [B], running: [B] });
    // The soak's 30-minute run at 590 s: B died at 1 s, a new container took its port at 9 s and scs
    // listed it (its own run of the image's check) a second before Docker said healthy.
    const truth = truthUntil(12_000, (at) => (at < 1000 ? [B] : at >= 10_000 ? [B] : [])).map((sample) =>
      sample.at >= 1000 && sample.at < 9000 ? truthOf(sample.at, []) : truthOf(sample.at, shown(sample.at >= 10_000)),
    );
    const samples = samplesUntil('list@h1', 12_000, (at) => (at < 1500 || at >= 9000 ? [B] : []));
    expect(judge(truth, samples, [], BOUNDS).violations).toEqual([]);
  });

  it('does not hold a new container listed between two polls against a server as the dead one on its port (the next poll shows it running)', () => {
    // The 10-minute run of seed 37 at 595 s: B's port died at 1 s; a new container on it was listed
    // at 9,010 ms, 10 ms before the poll that first showed it running.
    const truth = truthUntil(12_000, () => []).map((sample) => ({
      ...sample,
      at: sample.at + 20,
      running: sample.at < 1000 || sample.at >= 9000 ? [B] : [],
    }));
    const samples = samplesUntil('list@h1', 12_000, (at) => (at < 1000 || at >= 9000 ? [B] : [])).map((sample) => ({
      ...sample,
      at: sample.at + 10,
    }));
    expect(judge(truth, samples, [], BOUNDS).violations).toEqual([]);
  });

  it('does not count a provider missing while Docker, a poll later, shows it no longer healthy (its view lags a moment)', () => {
    const truth = truthUntil(10_000, (at) => (at <= 5000 ? [A] : []));
    const samples = samplesUntil('dns@h1', 10_000, (at) => (at < 5000 ? [A] : []));
    expect(judge(truth, samples, [], BOUNDS).violations).toEqual([]);
  });

  it('takes the nearest-rank percentile', () => {
    expect(percentile([], 99)).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
  });
});

describe('the soak faults', () => {
  it('draws the same faults from the same seed, and others from another', () => {
    const take = (seed: number) => {
      const next = drawFaults(seed);
      return Array.from({ length: 20 }, () => next());
    };
    expect(take(28)).toEqual(take(28));
    expect(take(28)).not.toEqual(take(29));
    expect(new Set(take(28).map((draw) => draw.kind)).size).toBeGreaterThan(3);
    expect(take(28).every((draw) => draw.gapMs >= 2000 && draw.gapMs < 5000)).toBe(true);
  });

  it("draws seed 28's faults as before the blog was added, so CI's soak (hello alone) does not change", () => {
    const next = drawFaults(28);
    const first = Array.from({ length: 4 }, () => next()).map(({ kind, host, choice, gapMs }) => [kind, host, choice.toFixed(6), gapMs]);
    expect(first).toEqual([
      ['etcd-kill', 'h3', '0.737442', 4241],
      ['disco-stop', 'h1', '0.430216', 2246],
      ['wan-cut', 'h2', '0.920689', 4516],
      ['wan-cut', 'h1', '0.325838', 4751],
    ]);
  });

  it("hits hello's agents and containers alone without the blog, and the blog's too with it", () => {
    const next = drawFaults(28);
    const choices = Array.from({ length: 200 }, () => next().choice);
    const hello = ['web'];
    const blog = ['db'];
    expect(new Set(choices.map((choice) => agentOf(choice, false)))).toEqual(new Set(['hello']));
    expect(new Set(choices.map((choice) => containerOf(choice, hello)))).toEqual(new Set(['web']));
    // Without the blog, the pick is the one the soak made before: by choice, among hello's running containers.
    const two = ['web', 'client'];
    expect(choices.map((choice) => containerOf(choice, two))).toEqual(choices.map((choice) => two[Math.floor(choice * two.length)]));
    expect(new Set(choices.map((choice) => agentOf(choice, true)))).toEqual(new Set(['hello', 'blog']));
    expect(new Set(choices.map((choice) => containerOf(choice, hello, blog)))).toEqual(new Set(['web', 'db']));
    expect(containerOf(0.5, [], [])).toBeUndefined();
  });
});

describe("the soak's wait for a killed agent's successor", () => {
  it('does not take the killed agent, which its supervisor and its state still show, for the one started after it', () => {
    const killed = { pid: 100, phase: 'running' };
    expect(successorUp(killed, 100, 100)).toBe(false);
    expect(successorUp(killed, 101, 100)).toBe(false);
    expect(successorUp({ pid: 101, phase: 'starting' }, 101, 100)).toBe(false);
    expect(successorUp({ pid: 101, phase: 'running' }, 101, 100)).toBe(101);
    // Without a kill (the first start), the agent the supervisor runs is the one waited for.
    expect(successorUp(killed, 100)).toBe(100);
  });
});

describe('the partition rule', () => {
  const client = { host: 'h2' as const, id: 'c1', service: 'client', running: true, healthy: true };
  const cut = { from: 1000, to: 5000 };

  it('holds when the minority keeps its client, lists from its mirror and refuses a write as unavailable', () => {
    const history = [0, 2000, 4000].map((at) => ({ at, containers: [client] }));
    const samples: Sample[] = [{ at: 2000, observer: 'list@h2', endpoints: [A] }];
    const rules = checkPartitions([cut], history, samples, [{ at: 1500, ms: 10_000, error: 'unavailable' }]);
    expect(rules.map((rule) => [rule.checks, rule.violations.length])).toEqual([
      [2, 0],
      [1, 0],
      [1, 0],
    ]);
  });

  it('does not judge as a read a list that first had to open a session (a write), and judges one of a session already open', () => {
    const history = [0, 2000, 4000].map((at) => ({ at, containers: [client] }));
    const samples: Sample[] = [
      { at: 2000, observer: 'list@h2', error: 'timeout', opened: true },
      { at: 3000, observer: 'list@h2', error: 'timeout' },
    ];
    const [, reads] = checkPartitions([cut], history, samples, []);
    expect([reads!.checks, reads!.violations.map((v) => v.at)]).toEqual([1, [3000]]);
  });

  it('reports a stopped client, a read not answered and a write accepted', () => {
    const history = [
      { at: 0, containers: [client] },
      { at: 2000, containers: [{ ...client, running: false }] },
    ];
    const samples: Sample[] = [{ at: 2000, observer: 'dns@h2', error: 'timeout' }];
    const rules = checkPartitions([cut], history, samples, [{ at: 1500, ms: 20, ok: true }]);
    expect(rules.map((rule) => rule.violations.map((v) => v.what))).toEqual([
      ['client (c1) on h2 is not running'],
      ['dns@h2 answered no read: timeout'],
      ["a write to h2's disco answered ok after 20 ms"],
    ]);
  });
});
