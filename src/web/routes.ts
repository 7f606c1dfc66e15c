// The web view on disco's HTTP listener: the page and its two sources. /v1/status is the whole
// system at one moment (disco's members, the agents, and the endpoints of the registry); /v1/events
// is the event ring as server-sent events, the last ten minutes (or `?since=`) and then each new one.
// Both show who runs what where, so both need a token that may observe every name, as /metrics does;
// the page's own files hold nothing of the system and are open.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDuration } from '../duration.ts';
import type { WireEvent } from '../events/event.ts';
import { type HttpReply, type RouteTable, textReply } from '../http/routes.ts';
import { toWireEndpoint } from '../server/endpoint.ts';
import { EVERY_NAME } from '../server/scopes.ts';
import type { DiscoServer } from '../server/server.ts';
import { webAssets } from './assets.ts';

/** What one status holds at most: a page for people, not an export (`scs ls` and `scs status --json` page through all). */
export const STATUS_LIMITS = { members: 1000, endpoints: 5000 };
/** How far back a stream starts when not told, and how far it may be asked to. */
const DEFAULT_SINCE_MS = 10 * 60_000;
const MAX_SINCE_MS = 60 * 60_000;
/** The newest events a stream begins with, at most: what the page shows, well within a reader's buffer. */
export const REPLAY_EVENTS = 200;
/** A comment line this often keeps a quiet stream from being taken for an idle connection. */
export const KEEPALIVE_MS = 10_000;

export interface WebParts {
  readonly server: DiscoServer;
  readonly version: string;
  readonly keepaliveMs?: number;
}

const observesAll = (scope: { mayObserve(pattern: string): boolean }) => scope.mayObserve(EVERY_NAME);

export function addWebRoutes(routes: RouteTable, parts: WebParts): void {
  for (const [path, asset] of webAssets()) {
    routes.add(path, { access: 'open', reply: () => ({ status: 200, type: asset.type, body: asset.body }) });
  }
  routes.add('/v1/status', { access: observesAll, reply: () => status(parts) });
  routes.add('/v1/events', {
    access: observesAll,
    stream: (request, response, write) => stream(parts, request, response, write),
  });
}

function status({ server, version }: WebParts): HttpReply {
  const members = server.members.book.list();
  const endpoints = server.registry.list();
  const body = {
    server: { id: server.events.server, version },
    members: members.slice(0, STATUS_LIMITS.members),
    endpoints: endpoints.slice(0, STATUS_LIMITS.endpoints).map(toWireEndpoint),
    truncated: members.length > STATUS_LIMITS.members || endpoints.length > STATUS_LIMITS.endpoints,
  };
  return { status: 200, type: 'application/json', body: JSON.stringify(body) };
}

/** `?since=5m`: how far back the stream begins; a bad value is the asker's mistake, said in one line. */
function sinceOf(request: IncomingMessage): number | string {
  const given = new URL(request.url ?? '/', 'http://disco').searchParams.get('since');
  if (given === null) return DEFAULT_SINCE_MS;
  try {
    return Math.min(parseDuration(given), MAX_SINCE_MS);
  } catch (error) {
    return `since: ${(error as Error).message}`;
  }
}

function stream(parts: WebParts, request: IncomingMessage, response: ServerResponse, write: (chunk: string) => boolean): void {
  const since = sinceOf(request);
  if (typeof since === 'string') {
    const reply = textReply(400, since);
    response.writeHead(reply.status, { 'content-type': reply.type });
    response.end(reply.body);
    return;
  }
  const events = parts.server.events;
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  const line = (event: WireEvent) => `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
  let ended = false;
  // The listener's writer cuts a reader that falls behind; the feed then forgets it.
  const { replay, stop } = events.watch(EVERY_NAME, Date.now() - since, {
    get open() {
      return !ended && !response.destroyed;
    },
    behind: false,
    send: (event) => {
      if (!write(line(event))) end();
    },
    cut: () => end(),
  });
  const keepalive = setInterval(() => {
    if (!write(': keepalive\n\n')) end();
  }, parts.keepaliveMs ?? KEEPALIVE_MS);
  keepalive.unref();
  const end = () => {
    ended = true;
    stop();
    clearInterval(keepalive);
  };
  response.once('close', end);
  if (!write(replay.slice(-REPLAY_EVENTS).map(line).join('') || ': no events yet\n\n')) end();
}
