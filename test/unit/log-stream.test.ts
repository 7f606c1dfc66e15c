import { describe, expect, it } from 'vitest';
import { LineSplitter, prefixed } from '../../src/agent/log-stream.ts';

describe('container output lines', () => {
  it('are prefixed by the service, padded to the longest', () => {
    expect(['web', 'client'].map((role) => prefixed(role, 6, 'hi'))).toEqual(['web    | hi', 'client | hi']);
  });

  it('are whole lines, however the text arrives', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\ntw')).toEqual(['one']);
    expect(splitter.push('o\r\nthree')).toEqual(['two']);
    expect(splitter.push('')).toEqual([]);
    expect(splitter.flush()).toEqual(['three']);
    expect(splitter.flush()).toEqual([]);
  });
});
