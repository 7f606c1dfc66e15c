// The `place` and `placement` requests: a session sets the desired placement of some services, and an
// observer reads the placements a page at a time, and may watch them. Who may do which is the token's
// word (scopes.ts); where placements are kept is the backend's (memory, or etcd without a lease). A
// watch belongs to the connection it was asked on: a session that resumes on another connection asks
// again, as the client does after every reconnect (src/client/placement.ts).

import type { ConsolaInstance } from 'consola';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/framing.ts';
import type { Request } from '../protocol/messages.ts';
import { PLACEMENT_LIMITS, type Place, type Placement, placementMatches } from '../protocol/placement.ts';
import type { Backend } from './backend.ts';
import type { Connection } from './connection.ts';
import type { LaterReply, Reply } from './later-reply.ts';
import { PART_BYTES } from './parts.ts';
import { checkDistinct, PlacementBook, type PlacementChange } from './placement-book.ts';
import { EVERY_NAME, forbidden, type Scope } from './scopes.ts';
import type { Session } from './session.ts';

type PlaceRequest = Extract<Request, { op: 'place' }>;
type PlacementRequest = Extract<Request, { op: 'placement' }>;

export class PlacementRequests {
  readonly book = new PlacementBook();
  /** Each connection's watches, id → pattern; at most PLACEMENT_LIMITS.watches each, gone with the connection. */
  private readonly watches = new Map<Connection, Map<string, string>>();
  /** Set in this turn, pushed at its end, after the reply of the request that set them. */
  private pending: Placement[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private nextWatch = 1;

  constructor(
    private readonly backend: Backend,
    private readonly logger: ConsolaInstance,
    onChange: (change: PlacementChange) => void,
  ) {
    this.book.listen((change) => {
      onChange(change);
      if (this.watches.size === 0) return;
      this.pending.push(change.placement);
      this.flushing ??= setImmediate(() => this.flush());
    });
  }

  /** Watches held, over every connection (for tests and metrics). */
  get watchCount(): number {
    let count = 0;
    for (const watches of this.watches.values()) count += watches.size;
    return count;
  }

  /** A `place` or `placement` request: answered now, or (a place stored in etcd) once the store has it. */
  handle(connection: Connection, session: Session, request: PlaceRequest | PlacementRequest): Reply | string | LaterReply {
    if (request.op === 'placement') return this.pageLine(connection, session, request);
    for (const place of request.placements) authorize(session.scope, place);
    checkDistinct(request.placements);
    const placer = { by: session.named ?? 'unknown', since: new Date().toISOString() };
    const stored = this.backend.place(request.placements, placer);
    return stored instanceof Promise ? stored.then((placements) => ({ reply: { placements }, changes: [] })) : { placements: stored };
  }

  /** One page of the placements `request.name` picks, as a reply line, newline included; with `watch`, a watch too. */
  pageLine(connection: Connection, session: Session, request: PlacementRequest): string {
    const pattern = request.name ?? EVERY_NAME;
    if (session.scope && !session.scope.mayReadPlacement(pattern)) throw forbidden('observe', pattern, session.scope);
    const after = request.after;
    const placements = this.book
      .list()
      .filter((placement) => (after === undefined || placement.service > after) && placementMatches(pattern, placement.service));
    const page: string[] = [];
    let bytes = 0;
    for (const placement of placements) {
      const json = JSON.stringify(placement);
      const size = Buffer.byteLength(json) + 1;
      // A placement is a few KiB at the most (its attributes), so a page of one stays well within a server line.
      if (page.length > 0 && bytes + size > PART_BYTES) break;
      page.push(json);
      bytes += size;
    }
    const last = placements[page.length - 1];
    const next = page.length < placements.length && last ? `,"next":${JSON.stringify(last.service)}` : '';
    const watch = request.watch ? `,"watch":${JSON.stringify(this.watch(connection, pattern))}` : '';
    return `{"re":${request.id},"ok":true,"placements":[${page.join(',')}]${next}${watch}}\n`;
  }

  /** The connection closed: its watches go with it. */
  unwatch(connection: Connection): void {
    this.watches.delete(connection);
  }

  private watch(connection: Connection, pattern: string): string {
    let watches = this.watches.get(connection);
    if (watches && watches.size >= PLACEMENT_LIMITS.watches) {
      throw new ProtocolError(ErrorCode.overloaded, `this session holds its maximum of ${PLACEMENT_LIMITS.watches} placement watches`);
    }
    if (!watches) this.watches.set(connection, (watches = new Map()));
    const id = `w${(this.nextWatch++).toString(36)}`;
    watches.set(id, pattern);
    return id;
  }

  /**
   * Pushes what was set since the last time to every watch it concerns. A connection whose output is
   * backed up is cut rather than buffered for (or skipped, which would leave its client wrong): its
   * client reconnects, resumes its session and asks again.
   */
  private flush(): void {
    this.flushing = undefined;
    const placements = this.pending;
    this.pending = [];
    for (const [connection, watches] of this.watches) {
      if (!connection.isOpen) {
        this.watches.delete(connection);
        continue;
      }
      this.pushTo(connection, watches, placements);
    }
  }

  private pushTo(connection: Connection, watches: Map<string, string>, placements: readonly Placement[]): void {
    for (const placement of placements) {
      for (const [id, pattern] of watches) {
        if (!placementMatches(pattern, placement.service)) continue;
        if (connection.backlogged) {
          this.cut(connection);
          return;
        }
        connection.sendLine(encodeLine({ op: 'placed', watch: id, placements: [placement] }));
      }
    }
  }

  private cut(connection: Connection): void {
    this.watches.delete(connection);
    this.logger.debug(`closing ${connection.remote}: it read too slowly for its placement watches`);
    connection.fail(ErrorCode.overloaded, 'this connection read too slowly for its placement watches: ask again once reconnected');
  }
}

/**
 * Whether the session may set this placement: its token's `place` covers the service; or it claims a
 * service nobody placed yet (cause `claim`, revision 0) that it may provide some endpoint of.
 */
function authorize(scope: Scope | undefined, place: Place): void {
  if (!scope || scope.mayPlace(place.service)) return;
  if (place.cause === 'claim' && place.revision === 0 && scope.mayClaim(place.service)) return;
  throw forbidden('place', `*.${place.service}`, scope);
}
