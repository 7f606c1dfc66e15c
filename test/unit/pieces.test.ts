import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from '../../src/address.ts';
import { CoalescingRunner } from '../../src/agent/coalesce.ts';
import { requireEnv } from '../../src/agent/env.ts';
import { Backoff } from '../../src/client/backoff.ts';
import { applyChange, type Endpoint, reconcile } from '../../src/client/view.ts';
import { ago, parseDuration, parseSince } from '../../src/duration.ts';
import { LineSplitter, LineTooLongError } from '../../src/protocol/framing.ts';

const endpoint = (id: string, host: string, attrs: Record<string, string> = {}): Endpoint => ({
  id,
  name: 'mysql.db.blog.prod',
  host,
  port: 3306,
  protocol: 'tcp',
  attrs,
});

describe('line framing', () => {
  it('splits lines across chunks and strips CR', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push(Buffer.from('{"a":1}\r\n{"b"'))).toEqual(['{"a":1}']);
    expect(splitter.push(Buffer.from(':2}\n\n'))).toEqual(['{"b":2}', '']);
  });

  it('refuses a line over the limit even before its newline arrives', () => {
    const splitter = new LineSplitter(10);
    expect(() => splitter.push(Buffer.from('x'.repeat(11)))).toThrow(LineTooLongError);
    expect(() => new LineSplitter(10).push(Buffer.from(`${'x'.repeat(11)}\n`))).toThrow(LineTooLongError);
    expect(new LineSplitter(10).push(Buffer.from(`${'x'.repeat(10)}\n`))).toEqual(['x'.repeat(10)]);
  });

  it('keeps multi-byte characters split across chunks whole', () => {
    const bytes = Buffer.from('"é"\n');
    const splitter = new LineSplitter();
    expect(splitter.push(bytes.subarray(0, 2))).toEqual([]);
    expect(splitter.push(bytes.subarray(2))).toEqual(['"é"']);
  });
});

describe('views', () => {
  it('reconciles by what endpoints are, not by their ids', () => {
    const view = new Map([
      ['p1', endpoint('p1', '10.0.0.5')],
      ['p2', endpoint('p2', '10.0.0.6')],
    ]);
    const change = reconcile(view, [endpoint('p9', '10.0.0.5'), endpoint('p10', '10.0.0.7')]);
    expect(change.add.map((e) => e.host)).toEqual(['10.0.0.7']);
    expect(change.drop.map((e) => e.host)).toEqual(['10.0.0.6']);
    expect([...view.keys()].sort()).toEqual(['p10', 'p9']);
  });

  it('tells endpoints apart by their attributes', () => {
    const view = new Map([['p1', endpoint('p1', '10.0.0.5', { az: 'a' })]]);
    const change = reconcile(view, [endpoint('p2', '10.0.0.5', { az: 'b' })]);
    expect(change.add).toHaveLength(1);
    expect(change.drop).toHaveLength(1);
  });

  it('counts endpoints that are alike, as two provisions at one address are', () => {
    const one = new Map([['p1', endpoint('p1', '10.0.0.5')]]);
    expect(reconcile(one, [endpoint('p8', '10.0.0.5'), endpoint('p9', '10.0.0.5')])).toEqual({
      add: [endpoint('p9', '10.0.0.5')],
      drop: [],
    });
    const two = new Map([
      ['p1', endpoint('p1', '10.0.0.5')],
      ['p2', endpoint('p2', '10.0.0.5')],
    ]);
    // One of the two goes; which, a subscriber cannot tell.
    const change = reconcile(two, [endpoint('p9', '10.0.0.5')]);
    expect(change.add).toEqual([]);
    expect(change.drop.map((e) => e.host)).toEqual(['10.0.0.5']);
  });

  it('takes the same attributes in another order for the same endpoint', () => {
    const view = new Map([['p1', endpoint('p1', '10.0.0.5', { az: 'a', rack: 'r7' })]]);
    expect(reconcile(view, [endpoint('p2', '10.0.0.5', { rack: 'r7', az: 'a' })])).toEqual({ add: [], drop: [] });
  });

  it('ignores replayed adds and drops of unknown ids', () => {
    const view = new Map([['p1', endpoint('p1', '10.0.0.5')]]);
    expect(applyChange(view, [endpoint('p1', '10.0.0.5')], [endpoint('p7', 'x')])).toEqual({ add: [], drop: [] });
  });
});

describe('require environment', () => {
  it('lists endpoints in order and names the first', () => {
    expect(
      requireEnv('mysql-main', [
        { host: '10.0.0.5', port: 3306 },
        { host: '::1', port: 3307 },
      ]),
    ).toEqual({
      SCS_REQUIRE_MYSQL_MAIN: '10.0.0.5:3306;[::1]:3307',
      SCS_REQUIRE_MYSQL_MAIN_HOST: '10.0.0.5',
      SCS_REQUIRE_MYSQL_MAIN_PORT: '3306',
    });
  });

  it('is empty, not missing, when there is no endpoint', () => {
    expect(requireEnv('web', [])).toEqual({ SCS_REQUIRE_WEB: '', SCS_REQUIRE_WEB_HOST: '', SCS_REQUIRE_WEB_PORT: '' });
  });
});

describe('flags', () => {
  it('parses addresses, IPv6 in brackets', () => {
    expect(parseHostPort('[::1]:9640')).toEqual({ host: '::1', port: 9640 });
    expect(parseHostPort('db.local:5')).toEqual({ host: 'db.local', port: 5 });
    expect(() => parseHostPort('db.local')).toThrow(/not an address/);
    expect(() => parseHostPort('h:70000')).toThrow(/not an address/);
  });

  it('writes an address back as it parses, IPv6 (with a zone too) in brackets', () => {
    expect(formatHostPort('::1', 9640)).toBe('[::1]:9640');
    expect(formatHostPort('fe80::1%eth0', 53)).toBe('[fe80::1%eth0]:53');
    expect(formatHostPort('::ffff:10.0.0.5', 3306)).toBe('[::ffff:10.0.0.5]:3306');
    expect(formatHostPort('10.0.0.5', 3306)).toBe('10.0.0.5:3306');
    expect(formatHostPort('db.local', 5)).toBe('db.local:5');
    for (const text of ['[::1]:9640', '10.0.0.5:3306', 'db.local:5']) {
      const { host, port } = parseHostPort(text);
      expect(formatHostPort(host, port)).toBe(text);
    }
  });

  it('parses durations, a bare number as seconds (as Compose)', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('40')).toBe(40_000);
    expect(parseDuration('0.25')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDuration('5 s')).toThrow(/not a duration/);
    expect(() => parseDuration('s')).toThrow(/not a duration/);
    expect(() => parseDuration('')).toThrow(/not a duration/);
  });

  it('parses --since as Docker: a duration ago, an RFC 3339 time or date, or Unix seconds', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
    expect(parseSince('10m', now)).toBe(ns('2026-12-06T09:50:00Z'));
    expect(parseSince('1h30m', now)).toBe(ns('2026-12-06T08:30:00Z'));
    expect(parseSince('2026-12-06T09:00:00Z', now)).toBe(ns('2026-12-06T09:00:00Z'));
    expect(parseSince('2026-12-06T09:00:00.5Z', now)).toBe(ns('2026-12-06T09:00:00.500Z'));
    expect(parseSince('1700000000', now)).toBe(1_700_000_000_000_000_000n);
    expect(() => parseSince('yesterday', now)).toThrow(/neither a duration like 10m nor a time/);
    expect(() => parseSince('2026-13-45', now)).toThrow(/not a time/);
  });

  it('says how long ago a time was, as a table shows it', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(ago('2026-12-06T09:59:48Z', now)).toBe('12 s ago');
    expect(ago('2026-12-06T09:57:00Z', now)).toBe('3 min ago');
    expect(ago('2026-12-06T05:00:00Z', now)).toBe('5 h ago');
    expect(ago('2026-12-03T10:00:00Z', now)).toBe('3 days ago');
    expect(ago('2026-12-06T10:00:02Z', now)).toBe('now');
    expect(ago('soon', now)).toBe('soon');
  });
});

describe('backoff', () => {
  it('grows to its cap, with jitter, and starts over on reset', () => {
    const backoff = new Backoff(100, 1000, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400, 800, 1000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('jitters each wait between 80% and 120% of its step', () => {
    const low = new Backoff(100, 1000, () => 0);
    const high = new Backoff(100, 1000, () => 0.999);
    expect([low.next(), low.next(), low.next()]).toEqual([80, 160, 320]);
    expect([high.next(), high.next(), high.next()]).toEqual([120, 240, 480]);
  });
});

describe('coalescing runner', () => {
  it('folds a burst of triggers into one run after the one under way', async () => {
    let runs = 0;
    let release!: () => void;
    const runner = new CoalescingRunner(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 5);
    runner.trigger();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 10; i++) runner.trigger();
    release();
    await runner.idle();
    expect(runs).toBe(2);
  });
});
