import { describe, expect, it } from 'vitest';
import { LineSplitter, LineTooLongError } from '../../src/protocol/framing.ts';
import { decodeCursor } from '../../src/server/listing.ts';
import { changedLines, partRanges, requireReplyLines, resyncLines } from '../../src/server/parts.ts';

describe('LineSplitter', () => {
  it('counts a \\r toward the limit but not the \\n', () => {
    expect(new LineSplitter(4).push(Buffer.from('abc\r\n'))).toEqual(['abc']);
    expect(() => new LineSplitter(4).push(Buffer.from('abcd\r\n'))).toThrow(LineTooLongError);
    expect(new LineSplitter(4).push(Buffer.from('abcd\n'))).toEqual(['abcd']);
  });

  it('says when part of a line is waiting for its newline', () => {
    const splitter = new LineSplitter();
    splitter.push(Buffer.from('{"op":'));
    expect(splitter.hasPartialLine).toBe(true);
    expect(splitter.push(Buffer.from('"ping"}\n'))).toEqual(['{"op":"ping"}']);
    expect(splitter.hasPartialLine).toBe(false);
  });
});

describe('messages in parts', () => {
  const endpoint = (i: number, pad = 0) => JSON.stringify({ id: `p${i}`, pad: 'x'.repeat(pad) });

  it('keeps a short list in one part and an empty one as one empty part', () => {
    expect(partRanges(['a', 'b'])).toEqual([[0, 2]]);
    expect(partRanges([])).toEqual([[0, 0]]);
  });

  it('cuts by UTF-8 bytes, not characters, and sends an item over the budget alone', () => {
    expect(partRanges(['☃☃', '☃☃', 'a'], 9)).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(partRanges(['x'.repeat(20), 'y'], 8)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('fills a part to its budget exactly, counting one separator per item', () => {
    // 3 bytes and a comma each: two fill a budget of 8, a third starts the next part.
    expect(partRanges(['aaa', 'bbb', 'ccc'], 8)).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });

  it('writes a require reply whose later parts carry only endpoints, every line under 64 KiB', () => {
    const endpoints = Array.from({ length: 2000 }, (_, i) => endpoint(i, 100));
    const lines = requireReplyLines(7, 'r2', 3, endpoints).trimEnd().split('\n');
    const parts = lines.map((line) => JSON.parse(line));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]).toMatchObject({ re: 7, ok: true, sub: 'r2', seq: 3, more: true });
    expect(parts.slice(1).every((part) => part.re === 7 && part.sub === undefined && part.seq === undefined)).toBe(true);
    expect(parts.slice(0, -1).every((part) => part.more === true)).toBe(true);
    expect(parts.at(-1).more).toBeUndefined();
    expect(parts.flatMap((part) => part.endpoints.map((e: { id: string }) => e.id))).toEqual(endpoints.map((_, i) => `p${i}`));
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line)))).toBeLessThan(64 * 1024);
  });

  it('cuts a changed push across its adds and drops, each part with the same sub and seq', () => {
    const add = Array.from({ length: 300 }, (_, i) => endpoint(i, 200));
    const drop = Array.from({ length: 300 }, (_, i) => endpoint(1000 + i, 200));
    const parts = changedLines('r1', 9, add, drop)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((part) => part.op === 'changed' && part.sub === 'r1' && part.seq === 9)).toBe(true);
    expect(parts.flatMap((part) => part.add.map((e: { id: string }) => e.id))).toEqual(add.map((_, i) => `p${i}`));
    expect(parts.flatMap((part) => part.drop.map((e: { id: string }) => e.id))).toEqual(drop.map((_, i) => `p${1000 + i}`));
  });

  it('writes a resync with its whole list, even an empty one', () => {
    expect(JSON.parse(resyncLines('r1', 4, []))).toEqual({ op: 'resync', sub: 'r1', seq: 4, endpoints: [] });
  });
});

describe('list cursors', () => {
  it.each(['', 'not base64 at all!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"__proto__":1}').toString('base64url')])(
    'refuses the cursor %j with a clear error',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow('after: expected a cursor from a "next" field');
    },
  );
});
