// The `scale`, `drain` and `instances` requests: a session sets how many instances of some services
// should run, or drains and undrains some of them, and an observer reads the records a page at a time,
// and may watch them. The same rules as placement's (placement-requests.ts): who may set them is the
// token's `place`, who may read them its `observe`; where they are kept is the backend's (memory, or
// etcd without a lease). A watch belongs to the connection it was asked on.

import type { ConsolaInstance } from 'consola';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/framing.ts';
import { drainEdits, INSTANCES_LIMITS, type Instances, scaleEdits } from '../protocol/instances.ts';
import type { Request } from '../protocol/messages.ts';
import { placementMatches } from '../protocol/placement.ts';
import type { Backend } from './backend.ts';
import type { Connection } from './connection.ts';
import { InstancesBook, type InstancesChange } from './instances-book.ts';
import type { LaterReply, Reply } from './later-reply.ts';
import { PART_BYTES } from './parts.ts';
import { EVERY_NAME, forbidden } from './scopes.ts';
import type { Session } from './session.ts';

type InstancesRequest = Extract<Request, { op: 'scale' | 'drain' | 'instances' }>;

export class InstancesRequests {
  readonly book = new InstancesBook();
  /** Each connection's watches, id → pattern; at most INSTANCES_LIMITS.watches each, gone with the connection. */
  private readonly watches = new Map<Connection, Map<string, string>>();
  /** Set in this turn, pushed at its end, after the reply of the request that set them. */
  private pending: Instances[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private nextWatch = 1;

  constructor(
    private readonly backend: Backend,
    private readonly logger: ConsolaInstance,
    onChange: (change: InstancesChange) => void,
  ) {
    this.book.listen((change) => {
      onChange(change);
      if (this.watches.size === 0) return;
      this.pending.push(change.record);
      this.flushing ??= setImmediate(() => this.flush());
    });
  }

  /** Watches held, over every connection (for tests). */
  get watchCount(): number {
    let count = 0;
    for (const watches of this.watches.values()) count += watches.size;
    return count;
  }

  /** A `scale`, `drain` or `instances` request: answered now, or (a change stored in etcd) once the store has it. */
  handle(connection: Connection, session: Session, request: InstancesRequest): Reply | string | LaterReply {
    if (request.op === 'instances') return this.pageLine(connection, session, request);
    const edits = request.op === 'scale' ? scaleEdits(request.services) : drainEdits(request.drains);
    for (const { service } of edits)
      if (session.scope && !session.scope.mayPlace(service)) throw forbidden('place', `*.${service}`, session.scope);
    const setter = { by: session.named ?? 'unknown', since: new Date().toISOString() };
    const stored = this.backend.editInstances(edits, setter);
    return stored instanceof Promise ? stored.then((records) => ({ reply: { records }, changes: [] })) : { records: stored };
  }

  /** One page of the records `request.name` picks, as a reply line, newline included; with `watch`, a watch too. */
  private pageLine(connection: Connection, session: Session, request: Extract<Request, { op: 'instances' }>): string {
    const pattern = request.name ?? EVERY_NAME;
    if (session.scope && !session.scope.mayReadPlacement(pattern)) throw forbidden('observe', pattern, session.scope);
    const after = request.after;
    const records = this.book
      .list()
      .filter((record) => (after === undefined || record.service > after) && placementMatches(pattern, record.service));
    const page: string[] = [];
    let bytes = 0;
    for (const record of records) {
      const json = JSON.stringify(record);
      const size = Buffer.byteLength(json) + 1;
      // A record is some KiB at the most (64 drains), so a page of one stays well within a server line.
      if (page.length > 0 && bytes + size > PART_BYTES) break;
      page.push(json);
      bytes += size;
    }
    const last = records[page.length - 1];
    const next = page.length < records.length && last ? `,"next":${JSON.stringify(last.service)}` : '';
    const watch = request.watch ? `,"watch":${JSON.stringify(this.watch(connection, pattern))}` : '';
    return `{"re":${request.id},"ok":true,"records":[${page.join(',')}]${next}${watch}}\n`;
  }

  /** The connection closed: its watches go with it. */
  unwatch(connection: Connection): void {
    this.watches.delete(connection);
  }

  private watch(connection: Connection, pattern: string): string {
    let watches = this.watches.get(connection);
    if (watches && watches.size >= INSTANCES_LIMITS.watches) {
      throw new ProtocolError(ErrorCode.overloaded, `this session holds its maximum of ${INSTANCES_LIMITS.watches} instances watches`);
    }
    if (!watches) this.watches.set(connection, (watches = new Map()));
    const id = `i${(this.nextWatch++).toString(36)}`;
    watches.set(id, pattern);
    return id;
  }

  /** Pushes what was set since the last time to every watch it concerns; a connection backed up is cut, as placement's are. */
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

  private pushTo(connection: Connection, watches: Map<string, string>, records: readonly Instances[]): void {
    for (const record of records) {
      for (const [id, pattern] of watches) {
        if (!placementMatches(pattern, record.service)) continue;
        if (connection.backlogged) {
          this.watches.delete(connection);
          this.logger.debug(`closing ${connection.remote}: it read too slowly for its instances watches`);
          connection.fail(ErrorCode.overloaded, 'this connection read too slowly for its instances watches: ask again once reconnected');
          return;
        }
        connection.sendLine(encodeLine({ op: 'instances-changed', watch: id, records: [record] }));
      }
    }
  }
}
