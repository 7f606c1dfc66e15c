// One line from a client, read as a request: its id first (so that even a refusal can answer it),
// then the request, validated against its op's schema.

import * as v from 'valibot';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { describeIssues } from '../protocol/fields.ts';
import { type Line, NOT_UTF8 } from '../protocol/framing.ts';
import { isRequestOp, type Request, type RequestOp, requestSchemas } from '../protocol/messages.ts';

/** A UTF-16 surrogate without its other half: JSON's `\ud800` escape can make one, UTF-8 cannot carry it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Only a `\u` escape of a surrogate can make one, so lines without one skip the walk. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether any string in a parsed line, keys included, holds a lone surrogate. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return false;
  for (const [key, inner] of Object.entries(value)) if (LONE_SURROGATE.test(key) || hasLoneSurrogate(inner)) return true;
  return false;
}

/**
 * An ack exactly as clients write it (JSON.stringify's order, no spaces): the line a server reads
 * most, one per subscription per push. It is read without JSON.parse or the schema, and holds what
 * the schema checks: `sub` an Ident, `seq` a whole number of at most 15 digits (always safe). Any
 * other spelling of an ack takes the general path. No nested quantifier: linear in the line.
 */
const PLAIN_ACK = /^\{"op":"ack","sub":"([A-Za-z0-9_-]{1,64})","seq":(0|[1-9][0-9]{0,14})\}$/;

/** Requests that a connection may send before its `hello`; every other op needs a session. */
export function needsSession(op: RequestOp): boolean {
  return op !== 'hello' && op !== 'ping' && op !== 'pong';
}

export function noSession(op: RequestOp): ProtocolError {
  return new ProtocolError(ErrorCode.noSession, `send "hello" before "${op}"`);
}

/**
 * The line's id, if it has one a reply may echo, its op if it names one, and its request or why it
 * is none. Before hello (`inSession` false), what is wrong with a session's request is first that
 * there is no session yet, however malformed it is.
 */
export function parseRequest(line: Line, inSession = true): { id: number | null; op?: RequestOp; request: Request | ProtocolError } {
  if (line === NOT_UTF8) return { id: null, request: new ProtocolError(ErrorCode.parseError, 'line is not valid UTF-8') };
  const ack = inSession ? PLAIN_ACK.exec(line) : null;
  if (ack) return { id: null, op: 'ack', request: { op: 'ack', sub: ack[1]!, seq: Number(ack[2]) } };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { id: null, request: new ProtocolError(ErrorCode.parseError, 'line is not valid JSON') };
  }
  if (SURROGATE_ESCAPE.test(line) && hasLoneSurrogate(raw)) {
    return {
      id: null,
      request: new ProtocolError(ErrorCode.parseError, 'line holds a lone UTF-16 surrogate escape, which is not a character'),
    };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { id: null, request: new ProtocolError(ErrorCode.badRequest, 'expected a JSON object') };
  }
  const fields = raw as Record<string, unknown>;
  // The same test as the schemas' `id`: an id they would refuse is not echoed either.
  // Stryker disable next-line ConditionalExpression: Number.isSafeInteger is false for anything but a number; the typeof is there for the type checker
  const id = typeof fields.id === 'number' && Number.isSafeInteger(fields.id) && fields.id >= 0 ? fields.id : null;
  if (!isRequestOp(fields.op)) {
    const message = fields.op === undefined ? 'missing "op"' : `unknown op ${JSON.stringify(fields.op).slice(0, 80)}`;
    return { id, request: new ProtocolError(ErrorCode.unknownOp, message) };
  }
  const op = fields.op;
  if (!inSession && needsSession(op)) return { id, op, request: noSession(op) };
  const parsed = v.safeParse(requestSchemas[op], fields);
  if (!parsed.success) {
    const onName = v.getDotPath(parsed.issues[0]!) === 'name' && typeof fields.name === 'string';
    return { id, op, request: new ProtocolError(onName ? ErrorCode.invalidName : ErrorCode.badRequest, describeIssues(parsed.issues)) };
  }
  return { id, op, request: parsed.output as Request };
}
