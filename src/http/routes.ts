// The routes of a process's one HTTP listener: each owner (disco, the agent) registers what it
// serves, with who may see it, so that disco can add its web view and event stream later without
// the listener knowing about them. Pure: the listener asks, this answers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '../server/scopes.ts';

/** A whole reply: small enough to build before sending (metrics, health, a page of the bundle). */
export interface HttpReply {
  readonly status: number;
  readonly type: string;
  readonly body: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Who may ask, when the listener has tokens: `open` for anyone (liveness), `known` for any token the
 * server knows whatever it grants (readiness), or a check of the token's scope. Without tokens, anyone.
 */
export type Access = 'open' | 'known' | ((scope: Scope) => boolean);

export interface Route {
  readonly access: Access;
  /** A whole reply, or for a stream (server-sent events) the listener's bounded writer takes over. */
  readonly reply?: (request: IncomingMessage) => HttpReply | Promise<HttpReply>;
  readonly stream?: (request: IncomingMessage, response: ServerResponse, write: (chunk: string) => boolean) => void;
}

export class RouteTable {
  private readonly routes = new Map<string, Route>();

  /** `path` is exact: `/metrics`, not a prefix; a path given twice is a mistake of the owner. */
  add(path: string, route: Route): this {
    if (!path.startsWith('/')) throw new Error(`a route's path starts with "/": ${path}`);
    if (this.routes.has(path)) throw new Error(`the route ${path} is already taken`);
    if (!route.reply === !route.stream) throw new Error(`the route ${path} needs exactly one of reply and stream`);
    this.routes.set(path, route);
    return this;
  }

  /** The route of a request's target, its query ignored; undefined for no route. */
  find(target: string): Route | undefined {
    const at = target.indexOf('?');
    return this.routes.get(at === -1 ? target : target.slice(0, at));
  }

  get paths(): string[] {
    return [...this.routes.keys()];
  }
}

/** A plain-text reply of one line. */
export function textReply(status: number, line: string): HttpReply {
  return { status, type: 'text/plain; charset=utf-8', body: `${line}\n` };
}
