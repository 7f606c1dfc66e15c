// `list` in pages: a registry of 100,000 endpoints is read a page at a time, each page a short
// line. The cursor names the last endpoint sent, so a page follows on correctly even when the
// registry changed in between (what was added before the cursor is not shown, as with any scan).

import * as v from 'valibot';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { MAX_PAGE_ENDPOINTS } from '../protocol/messages.ts';
import { compareAddresses } from '../registry/order.ts';
import type { Registry } from '../registry/registry.ts';
import type { Provision } from '../registry/types.ts';
import { toWireEndpoint } from './endpoint.ts';
import { PART_BYTES } from './parts.ts';

/** Where the previous page ended: the sort key of its last endpoint. */
const CursorSchema = v.tuple([v.string(), v.string(), v.number(), v.string(), v.string()]);
type CursorKey = v.InferOutput<typeof CursorSchema>;

function keyOf(provision: Provision): CursorKey {
  const { name, address, id } = provision;
  return [name, address.host, address.port, address.protocol, id];
}

/** The listing order (name, then address, then id), against a cursor's key. */
function compareToKey(provision: Provision, key: CursorKey): number {
  const [name, host, port, protocol, id] = key;
  // Stryker disable next-line EqualityOperator: runs only for two different names, where < and <= agree
  if (provision.name !== name) return provision.name < name ? -1 : 1;
  const byAddress = compareAddresses(provision.address, { host, port, protocol: protocol as Provision['address']['protocol'] });
  if (byAddress !== 0) return byAddress;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the search only asks whether a result is <= 0, and 0 for "before" is as good as -1
  return provision.id < id ? -1 : provision.id > id ? 1 : 0;
}

export function encodeCursor(provision: Provision): string {
  return Buffer.from(JSON.stringify(keyOf(provision))).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = v.safeParse(CursorSchema, raw);
  if (!parsed.success) throw new ProtocolError(ErrorCode.badRequest, 'after: expected a cursor from a "next" field');
  return parsed.output;
}

export interface PageRequest {
  readonly name?: string | undefined;
  readonly after?: string | undefined;
  readonly limit?: number | undefined;
}

export class Listing {
  /** The last listing made, kept while the registry is unchanged: paging must not re-sort it per page. */
  private last: { version: number; name: string | undefined; provisions: Provision[] } | undefined;

  constructor(private readonly registry: Registry) {}

  /** One page as a reply line, newline included. */
  pageLine(re: number, request: PageRequest): string {
    const key = request.after === undefined ? undefined : decodeCursor(request.after);
    const sorted = this.sorted(request.name);
    let start = 0;
    if (key) {
      // The first endpoint after the cursor, by binary search over the sorted list.
      let high = sorted.length;
      while (start < high) {
        const middle = (start + high) >>> 1;
        if (compareToKey(sorted[middle]!, key) <= 0) start = middle + 1;
        else high = middle;
      }
    }
    const limit = request.limit ?? MAX_PAGE_ENDPOINTS;
    const endpoints: string[] = [];
    let bytes = 0;
    let end = start;
    for (; end < sorted.length && endpoints.length < limit; end++) {
      const json = JSON.stringify(toWireEndpoint(sorted[end]!));
      const size = Buffer.byteLength(json) + 1;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: differs only for an endpoint over 32 KiB alone, which the protocol's limits (32 attributes of 255 bytes) rule out
      if (endpoints.length > 0 && bytes + size > PART_BYTES) break;
      endpoints.push(json);
      bytes += size;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a page has at least one endpoint (limit is 1 or more and the first always fits), so end > start whenever there is more
    const next = end < sorted.length && end > start ? `,"next":${JSON.stringify(encodeCursor(sorted[end - 1]!))}` : '';
    return `{"re":${re},"ok":true,"endpoints":[${endpoints.join(',')}]${next}}\n`;
  }

  private sorted(name: string | undefined): Provision[] {
    const version = this.registry.version;
    if (this.last?.version !== version || this.last.name !== name) {
      const provisions = name === undefined ? this.registry.list() : this.registry.lookup(name);
      this.last = { version, name, provisions };
    }
    return this.last.provisions;
  }
}
