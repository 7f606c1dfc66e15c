// What the `placement` and `instances` requests share: records kept by service, read a page at a time
// in service name order, and watched, each change pushed to the watches whose pattern picks it, after
// the reply of the request that made it. A watch belongs to the connection it was asked on, and a
// connection whose output is backed up is cut rather than buffered for (or skipped, which would leave
// its client wrong): its client reconnects, resumes its session and asks again.

import type { ConsolaInstance } from 'consola';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/framing.ts';
import { placementMatches } from '../protocol/placement.ts';
import type { Connection } from './connection.ts';
import { PART_BYTES } from './parts.ts';

export interface WatchedKind {
  /** `placement`, `instances`: what its errors and logs call its watches. */
  readonly noun: string;
  /** The field of a page and of a push that lists the records: `placements`, `records`. */
  readonly field: string;
  /** The push of one change: `placed`, `instances-changed`. */
  readonly push: string;
  /** The first letter of its watch ids, so that two kinds' ids never meet. */
  readonly prefix: string;
  /** Watches one connection may hold. */
  readonly limit: number;
  readonly logger: ConsolaInstance;
}

export class RecordWatches<T extends { readonly service: string }> {
  /** Each connection's watches, id → pattern; at most `limit` each, gone with the connection. */
  private readonly watches = new Map<Connection, Map<string, string>>();
  /** Changed in this turn, pushed at its end, after the reply of the request that changed them. */
  private pending: T[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private nextWatch = 1;

  constructor(private readonly kind: WatchedKind) {}

  /** Watches held, over every connection (for tests and metrics). */
  get count(): number {
    let count = 0;
    for (const watches of this.watches.values()) count += watches.size;
    return count;
  }

  /** A record changed: pushed at the end of this turn to every watch that picks it. */
  changed(record: T): void {
    if (this.watches.size === 0) return;
    this.pending.push(record);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /**
   * One page of `sorted` (in service name order) that `pattern` picks, after `after`, as a reply line
   * (newline included); with `watch`, a watch of the connection too.
   */
  pageLine(
    connection: Connection,
    request: { readonly id: number; readonly after?: string | undefined; readonly watch?: boolean | undefined },
    pattern: string,
    sorted: readonly T[],
  ): string {
    const { after } = request;
    const records = sorted.filter((record) => (after === undefined || record.service > after) && placementMatches(pattern, record.service));
    const page: string[] = [];
    let bytes = 0;
    for (const record of records) {
      const json = JSON.stringify(record);
      const size = Buffer.byteLength(json) + 1;
      // A record is a few KiB at the most, so a page of one stays well within a server line.
      if (page.length > 0 && bytes + size > PART_BYTES) break;
      page.push(json);
      bytes += size;
    }
    const last = records[page.length - 1];
    const next = page.length < records.length && last ? `,"next":${JSON.stringify(last.service)}` : '';
    const watch = request.watch ? `,"watch":${JSON.stringify(this.watch(connection, pattern))}` : '';
    return `{"re":${request.id},"ok":true,"${this.kind.field}":[${page.join(',')}]${next}${watch}}\n`;
  }

  /** The connection closed: its watches go with it. */
  unwatch(connection: Connection): void {
    this.watches.delete(connection);
  }

  private watch(connection: Connection, pattern: string): string {
    let watches = this.watches.get(connection);
    if (watches && watches.size >= this.kind.limit) {
      throw new ProtocolError(ErrorCode.overloaded, `this session holds its maximum of ${this.kind.limit} ${this.kind.noun} watches`);
    }
    if (!watches) this.watches.set(connection, (watches = new Map()));
    const id = `${this.kind.prefix}${(this.nextWatch++).toString(36)}`;
    watches.set(id, pattern);
    return id;
  }

  private flush(): void {
    this.flushing = undefined;
    const records = this.pending;
    this.pending = [];
    for (const [connection, watches] of this.watches) {
      if (!connection.isOpen) {
        this.watches.delete(connection);
        continue;
      }
      this.pushTo(connection, watches, records);
    }
  }

  private pushTo(connection: Connection, watches: Map<string, string>, records: readonly T[]): void {
    for (const record of records) {
      for (const [id, pattern] of watches) {
        if (!placementMatches(pattern, record.service)) continue;
        if (connection.backlogged) {
          this.cut(connection);
          return;
        }
        connection.sendLine(encodeLine({ op: this.kind.push, watch: id, [this.kind.field]: [record] }));
      }
    }
  }

  private cut(connection: Connection): void {
    this.watches.delete(connection);
    const { noun } = this.kind;
    this.kind.logger.debug(`closing ${connection.remote}: it read too slowly for its ${noun} watches`);
    connection.fail(ErrorCode.overloaded, `this connection read too slowly for its ${noun} watches: ask again once reconnected`);
  }
}
