// Messages too long for one line go out in parts (docs/protocol.md, "Messages in parts"). Pure:
// endpoints come in already encoded, lines go out encoded, newline included.

/** Bytes of encoded endpoints per part: with the largest endpoint added, a line stays under 64 KiB. */
export const PART_BYTES = 32 * 1024;

/**
 * Cuts a list of encoded items into consecutive runs of at most `budget` bytes each, as
 * [start, end) index pairs. A run holds at least one item, so an item larger than the budget
 * travels alone; an empty list gives one empty run, as a message with no items is still sent.
 */
export function partRanges(items: readonly string[], budget = PART_BYTES): Array<[number, number]> {
  let total = 0;
  for (const item of items) total += item.length;
  // A UTF-8 byte is at most three per UTF-16 unit: most messages need no byte count at all.
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: a shortcut: the exact count below gives the same single part
  if (total * 3 + items.length <= budget) return [[0, items.length]];
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const size = Buffer.byteLength(items[i]!) + 1;
    if (i > start && bytes + size > budget) {
      ranges.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  ranges.push([start, items.length]);
  return ranges;
}

const more = (last: boolean) => (last ? '' : ',"more":true');

/** A `require` reply: the first part carries `sub` and `seq`, later ones only the endpoints. */
export function requireReplyLines(re: number, sub: string, seq: number, endpoints: readonly string[]): string {
  const ranges = partRanges(endpoints);
  return ranges
    .map(([start, end], i) => {
      const head = i === 0 ? `"sub":${JSON.stringify(sub)},"seq":${seq},` : '';
      return `{"re":${re},"ok":true,${head}"endpoints":[${endpoints.slice(start, end).join(',')}]${more(i === ranges.length - 1)}}\n`;
    })
    .join('');
}

/** A `resync` push: every part carries `sub` and `seq`, each a slice of the whole list. */
export function resyncLines(sub: string, seq: number, endpoints: readonly string[]): string {
  const ranges = partRanges(endpoints);
  const head = `{"op":"resync","sub":${JSON.stringify(sub)},"seq":${seq},"endpoints":[`;
  return ranges.map(([start, end], i) => `${head}${endpoints.slice(start, end).join(',')}]${more(i === ranges.length - 1)}}\n`).join('');
}

/**
 * A `changed` push's parts without their head: each is what follows `"seq":N` in its line, newline
 * included. The same for every subscription that sees the same adds and drops, so a fan-out builds
 * them once and puts each subscription's own head before them (changedHead).
 */
export function changedTails(add: readonly string[], drop: readonly string[]): string[] {
  // Stryker disable next-line ConditionalExpression: concatenating with an empty list gives the same list
  const all = add.length === 0 ? drop : drop.length === 0 ? add : [...add, ...drop];
  const ranges = partRanges(all);
  return ranges.map(([start, end], i) => {
    const adds = add.slice(Math.min(start, add.length), Math.min(end, add.length));
    const drops = drop.slice(Math.max(start - add.length, 0), Math.max(end - add.length, 0));
    return `,"add":[${adds.join(',')}],"drop":[${drops.join(',')}]${more(i === ranges.length - 1)}}\n`;
  });
}

/**
 * What one subscription's `changed` lines start with: its own `sub` and `seq`. A subscription id is
 * made by this server (`r` and a number: src/registry/registry.ts) and needs no escaping, which at
 * one head per subscriber is worth not asking JSON.stringify for.
 */
export const changedHead = (sub: string, seq: number) => `{"op":"changed","sub":"${sub}","seq":${seq}`;

/** A `changed` push: the adds come first, then the drops, cut wherever a part fills up. */
export function changedLines(sub: string, seq: number, add: readonly string[], drop: readonly string[]): string {
  return joinParts(changedHead(sub, seq), changedTails(add, drop));
}

/** One subscription's lines: its head before each shared tail. */
export function joinParts(head: string, tails: readonly string[]): string {
  // Stryker disable next-line ConditionalExpression: the loop below gives the same line for one tail
  if (tails.length === 1) return head + tails[0];
  let lines = '';
  for (const tail of tails) lines += head + tail;
  return lines;
}
