// The server's side of `scs events`: what happens is recorded in the ring (src/events/ring.ts),
// in memory only, and pushed to the connections that follow it. A follower that does not read
// is cut off, never buffered for: once its connection is backlogged, it gets one `events-end`
// line and no more events. Agents' `report`s of their plan steps come in here too, bounded in
// size (by the schema) and in rate (per session). Events are pushed once the turn that made them
// is over, so that a reply comes before the events its own request caused, as it does before pushes.

import type { ConsolaInstance } from 'consola';
import { formatHostPort } from '../address.ts';
import { type DiscoEvent, type EventInput, toWire, type WireEvent } from '../events/event.ts';
import { eventMatches } from '../events/match.ts';
import { EventRing, type RingBounds } from '../events/ring.ts';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { encodeLine } from '../protocol/framing.ts';
import { formatDrain } from '../protocol/instances.ts';
import type { Request } from '../protocol/messages.ts';
import { formatTarget } from '../protocol/placement.ts';
import type { Cause, Provision } from '../registry/types.ts';
import type { Connection } from './connection.ts';
import type { InstancesChange } from './instances-book.ts';
import type { MemberEvent } from './member-book.ts';
import type { PlacementChange } from './placement-book.ts';
import { covers, EVERY_NAME, forbidden } from './scopes.ts';
import type { Session } from './session.ts';

/** Steps a session may report in a burst, and how many more it may each second after it. */
export const REPORT_BURST = 64;
export const REPORT_PER_SECOND = 16;

/** Where a follower's events go: a protocol connection, or another transport's stream (an HTTP event stream). */
export interface EventReader {
  readonly open: boolean;
  /** Its output backed up: it is cut off, never buffered for. */
  readonly behind: boolean;
  /** `line` is the event as the protocol pushes it, made once for every connection that follows. */
  send(event: WireEvent, line: string): void;
  /** It was cut off for reading too slowly: no event follows. */
  cut(message: string): void;
}

/** A protocol connection as a reader: `event` pushes, and `events-end` when cut off. */
function connectionReader(connection: Connection): EventReader {
  return {
    get open() {
      return connection.isOpen;
    },
    get behind() {
      return connection.backlogged;
    },
    send: (_event, line) => connection.sendLine(line),
    cut: (message) => connection.sendLine(encodeLine({ op: 'events-end', reason: 'slow-reader', message })),
  };
}

interface Follower {
  readonly reader: EventReader;
  readonly pattern: string;
  /** The last event it had when it began: later ones are pushed, earlier ones were replayed or not asked for. */
  readonly after: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EventFeed {
  readonly ring: EventRing;
  /** By connection, or by the reader another transport gave. */
  private readonly followers = new Map<Connection | EventReader, Follower>();
  private readonly buckets = new WeakMap<Session, Bucket>();
  /** Recorded in this turn, pushed at its end; bounded by what one turn records. */
  private pending: DiscoEvent[] = [];
  private flushing: NodeJS.Immediate | undefined;

  constructor(
    readonly server: string,
    private readonly logger: ConsolaInstance,
    bounds?: RingBounds,
  ) {
    this.ring = new EventRing(server, bounds);
    this.record({ kind: 'server-joined', name: server, reason: 'started', detail: 'this disco server started' });
  }

  get followerCount(): number {
    return this.followers.size;
  }

  /** Records one event, to be pushed at the end of this turn to every follower whose pattern selects it. */
  record(input: EventInput): void {
    const event = this.ring.record(input, Date.now());
    if (this.followers.size === 0) return;
    this.pending.push(event);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Pushes what was recorded since the last time. */
  flush(): void {
    clearImmediate(this.flushing);
    this.flushing = undefined;
    const events = this.pending;
    this.pending = [];
    for (const event of events) {
      let wire: WireEvent | undefined;
      let line: string | undefined;
      for (const [key, follower] of this.followers) {
        if (event.seq <= follower.after || !eventMatches(follower.pattern, event.name)) continue;
        wire ??= toWire(event);
        line ??= encodeLine({ op: 'event', event: wire });
        this.push(key, follower.reader, wire, line);
      }
    }
  }

  /** A registry listener: every provision added or dropped, with its cause. */
  readonly provisionChanged = (kind: 'add' | 'drop', provision: Provision, cause: Cause): void => {
    const { host, port, protocol } = provision.address;
    this.record({
      kind: kind === 'add' ? 'endpoint-added' : 'endpoint-dropped',
      name: provision.name,
      reason: cause.reason,
      detail: `${formatHostPort(host, port)}/${protocol}`,
      client: cause.client || undefined,
    });
  };

  /** Another disco server sharing the etcd was first seen, or holds no session any more (server-presence.ts). */
  serverSeen(server: string, joined: boolean): void {
    const detail = joined ? 'first seen holding a session in etcd' : 'holds no session in etcd any more';
    this.record({ kind: joined ? 'server-joined' : 'server-left', name: server, reason: joined ? 'first-session' : 'no-sessions', detail });
  }

  /**
   * A member book's listener: an agent registered itself, or went for the same reasons as a session
   * (goodbye, heartbeat-timeout…). Named `stack.environment`, so that `*.*.blog.prod` selects blog's
   * agents with its endpoints; a record stated again is not an event.
   */
  readonly memberChanged = (event: MemberEvent): void => {
    if (event.type === 'changed') return;
    const { member } = event;
    const name = `${member.stack}.${member.environment}`;
    const detail = `${member.host} (project ${member.project}, ${member.address}, scs ${member.version})`;
    if (event.type === 'joined') this.record({ kind: 'member-joined', name, reason: 'registered', detail });
    else this.record({ kind: 'member-left', name, reason: event.reason ?? 'goodbye', detail });
  };

  /** A placement book's listener: a service was placed (set again, or first), for its cause, by the client that set it. */
  readonly placementChanged = ({ placement }: PlacementChange): void => {
    const from = placement.from === undefined ? '' : ` (from ${placement.from})`;
    const detail = `${formatTarget(placement.target)}${from}`;
    this.record({ kind: 'placed', name: placement.service, reason: placement.cause, detail, client: placement.by });
  };

  /**
   * An instances book's listener: a service was scaled (`scaled`, its reason the count's cause), or
   * drained or undrained (`drained`, `undrained`: the drains added or taken away), by the client that did.
   */
  readonly instancesChanged = ({ record, previous }: InstancesChange): void => {
    const name = record.service;
    const client = record.by;
    const count = record.replicas?.count;
    if (count !== undefined && (count !== previous?.replicas?.count || record.replicas?.cause !== previous?.replicas?.cause))
      this.record({
        kind: 'scaled',
        name,
        reason: record.replicas!.cause === 'files' ? 'files' : 'scale',
        detail: `${count} instances`,
        client,
      });
    const key = (drain: { host?: string; instance?: number }) => formatDrain(drain);
    const before = new Set((previous?.drained ?? []).map(key));
    const after = new Set(record.drained.map(key));
    const added = [...after].filter((drain) => !before.has(drain));
    const taken = [...before].filter((drain) => !after.has(drain));
    if (added.length > 0) this.record({ kind: 'drained', name, reason: 'drain', detail: added.join(', '), client });
    if (taken.length > 0) this.record({ kind: 'undrained', name, reason: 'undrain', detail: taken.join(', '), client });
  };

  /**
   * `events`: the lines of the replay (what the ring holds since `since` that the pattern selects),
   * then the reply; from then on, each new event is pushed to the connection until it closes.
   */
  follow(connection: Connection, session: Session, request: Extract<Request, { op: 'events' }>): string {
    const pattern = request.name ?? EVERY_NAME;
    if (session.scope && !session.scope.mayObserve(pattern)) throw forbidden('observe', pattern, session.scope);
    if (this.followers.has(connection)) throw new ProtocolError(ErrorCode.badRequest, 'this connection follows events already');
    const replay = this.replay(pattern, request.since);
    const lines = replay.map((event) => encodeLine({ op: 'event', event })).join('');
    this.followers.set(connection, { reader: connectionReader(connection), pattern, after: this.ring.lastSeq });
    return `${lines}${encodeLine({ re: request.id, ok: true, server: this.server, replayed: replay.length })}`;
  }

  /**
   * For another transport (the HTTP listener's event stream), which checks the scope itself: the
   * events kept since `since` that `pattern` selects, to send first; then each new one goes to
   * `reader` until `stop`, or until it falls behind and is cut.
   */
  watch(pattern: string, since: number | undefined, reader: EventReader): { replay: WireEvent[]; stop: () => void } {
    const replay = this.replay(pattern, since);
    this.followers.set(reader, { reader, pattern, after: this.ring.lastSeq });
    return { replay, stop: () => this.followers.delete(reader) };
  }

  private replay(pattern: string, since: number | undefined): WireEvent[] {
    if (since === undefined) return [];
    return this.ring
      .since(since, Date.now())
      .filter((event) => eventMatches(pattern, event.name))
      .map(toWire);
  }

  /** The connection closed: it follows nothing any more. */
  unfollow(connection: Connection): void {
    this.followers.delete(connection);
  }

  /** `report`: an agent's steps on one service, stamped with the session's client name. */
  report(session: Session, request: Extract<Request, { op: 'report' }>): Record<string, never> {
    const scope = session.scope;
    // Who may provide a service's endpoints may say what it did to them.
    if (scope && !scope.provide.some((granted) => covers(granted, `*.${request.service}`))) {
      throw forbidden('provide', `*.${request.service}`, scope);
    }
    this.charge(session, request.steps.length);
    for (const step of request.steps) {
      this.record({
        kind: step.kind,
        name: request.service,
        reason: step.reason,
        detail: step.detail,
        client: session.client,
        ok: step.ok,
      });
    }
    return {};
  }

  /** Takes `steps` from the session's bucket, or refuses the whole report. */
  private charge(session: Session, steps: number): void {
    const now = Date.now();
    const bucket = this.buckets.get(session) ?? { tokens: REPORT_BURST, at: now };
    bucket.tokens = Math.min(REPORT_BURST, bucket.tokens + ((now - bucket.at) / 1000) * REPORT_PER_SECOND);
    bucket.at = now;
    this.buckets.set(session, bucket);
    if (bucket.tokens < steps) {
      throw new ProtocolError(
        ErrorCode.overloaded,
        `this session reports more than ${REPORT_PER_SECOND} steps a second (${REPORT_BURST} in a burst); these ${steps} were not recorded`,
      );
    }
    bucket.tokens -= steps;
  }

  private push(key: Connection | EventReader, reader: EventReader, event: WireEvent, line: string): void {
    if (!reader.open) return void this.followers.delete(key);
    if (!reader.behind) return void reader.send(event, line);
    this.followers.delete(key);
    this.logger.debug('an event reader was cut off: it read too slowly');
    reader.cut('this reader read too slowly: events waited unread, so the stream was cut; ask again with "since"');
  }
}
