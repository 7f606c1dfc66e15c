import { describe, expect, it } from 'vitest';
import { LineSplitter, logName, prefixed, splitTimestamp } from '../../src/agent/log-stream.ts';

describe('container output lines', () => {
  it('are prefixed by the service, padded to the longest', () => {
    expect(['web', 'client'].map((service) => prefixed(service, 6, 'hi'))).toEqual(['web    | hi', 'client | hi']);
  });

  it('name the instance from the second on, as Compose names replicas, and the container without a service label', () => {
    expect(logName({ 'scs.service': 'web' }, 'scs-shop-dev-web')).toBe('web');
    expect(logName({ 'scs.service': 'web', 'scs.instance': '2' }, 'scs-shop-dev-web-2')).toBe('web-2');
    expect(logName({}, 'elsewhere')).toBe('elsewhere');
  });

  it('are whole lines, however the text arrives', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\ntw')).toEqual(['one']);
    expect(splitter.push('o\r\nthree')).toEqual(['two']);
    expect(splitter.push('')).toEqual([]);
    expect(splitter.flush()).toEqual(['three']);
    expect(splitter.flush()).toEqual([]);
  });

  it('lose Docker’s timestamp, which orders them to the nanosecond', () => {
    const a = splitTimestamp('2026-11-25T01:02:03.123456789Z hello | world');
    expect(a).toEqual({ ns: 1795568523123456789n, text: 'hello | world' });
    // Docker trims trailing zeros: .1Z is 100 ms.
    expect(splitTimestamp('2026-11-25T01:02:03.1Z x').ns).toBe(1795568523100000000n);
    expect(splitTimestamp('2026-11-25T01:02:03Z ').ns).toBe(1795568523000000000n);
    expect(splitTimestamp('no time here')).toEqual({ ns: undefined, text: 'no time here' });
  });
});
