// One line from a client, read as a request: its id first (so that even a refusal can answer it),
// then the request, validated against its op's schema.

import * as v from 'valibot';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { describeIssues } from '../protocol/fields.ts';
import { isRequestOp, type Request, requestSchemas } from '../protocol/messages.ts';

/** The line's id, if it has one a reply may echo, and its request or why it is none. */
export function parseRequest(line: string): { id: number | null; request: Request | ProtocolError } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { id: null, request: new ProtocolError(ErrorCode.parseError, 'line is not valid JSON') };
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
  const parsed = v.safeParse(requestSchemas[fields.op], fields);
  if (!parsed.success) {
    const onName = v.getDotPath(parsed.issues[0]!) === 'name' && typeof fields.name === 'string';
    return { id, request: new ProtocolError(onName ? ErrorCode.invalidName : ErrorCode.badRequest, describeIssues(parsed.issues)) };
  }
  return { id, request: parsed.output as Request };
}
