// What the DNS server answered, counted on its hot path with one array increment per query and
// turned into metrics only when they are read (src/metrics/): prom-client's own counters cost a
// label lookup per call. Every label comes from a closed set: a type outside the common ones is
// "other", never its number.

import type { Rejection } from './query.ts';

/** Which records answered: disco's zones, the host's local view (split horizon), or neither (forwarded or refused). */
export const VIEWS = ['zone', 'local', 'outside'] as const;
export const VIEW = { zone: 0, local: 1, outside: 2 } as const;
export type ViewIndex = (typeof VIEW)[keyof typeof VIEW];

/** `invalid`: a packet the guard turned away before its question was read. */
export const TYPES = ['A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'ANY', 'other', 'invalid'] as const;
const TYPE_CODES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 255];
const OTHER = TYPES.indexOf('other');
const INVALID = TYPES.indexOf('invalid');
const TYPE_INDEX = new Uint8Array(256).fill(OTHER);
TYPE_CODES.forEach((code, at) => {
  TYPE_INDEX[code] = at;
});

/** The header's four rcode bits by name, and `none` for a packet that got no reply at all. */
export const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'RCODE11',
  'RCODE12',
  'RCODE13',
  'RCODE14',
  'RCODE15',
  'none',
] as const;
const NONE = RCODES.length - 1;

export class DnsCounts {
  /** By [type][rcode][view], flattened. */
  readonly queries = new Float64Array(TYPES.length * RCODES.length * VIEWS.length);

  /** One query and its reply; a reply that comes later (forwarded) is counted when it comes. */
  count(type: number | Rejection, reply: Buffer | Promise<Buffer> | undefined, view: ViewIndex): void {
    if (reply instanceof Promise) {
      // A question that waited for the views is counted by the answer it is given then; only forwards are counted here.
      if (view === VIEW.outside) void reply.then((later) => this.count(type, later, view));
      return;
    }
    const t = typeof type !== 'number' ? INVALID : type < 256 ? TYPE_INDEX[type]! : OTHER;
    const rcode = reply === undefined || reply.length < 4 ? NONE : reply[3]! & 15;
    this.queries[(t * RCODES.length + rcode) * VIEWS.length + view]!++;
  }

  /** Every count that is not zero, with its labels. */
  *entries(): Generator<{ type: string; rcode: string; view: string; count: number }> {
    for (let at = 0; at < this.queries.length; at++) {
      const count = this.queries[at]!;
      if (count === 0) continue;
      const view = at % VIEWS.length;
      const rcode = Math.floor(at / VIEWS.length) % RCODES.length;
      const type = Math.floor(at / VIEWS.length / RCODES.length);
      yield { type: TYPES[type]!, rcode: RCODES[rcode]!, view: VIEWS[view]!, count };
    }
  }
}
