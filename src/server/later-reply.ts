// A reply that waits on the backend (etcd), sent when it is ready, with the changes it made
// fanned out after it, so a client that provides and requires the same name hears the reply first.

import type { ConsolaInstance } from 'consola';
import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import type { Change } from '../registry/types.ts';
import type { Outcome } from './backend.ts';
import type { Connection } from './connection.ts';
import type { FanOut } from './fanout.ts';
import type { ServerMeter } from './meter.ts';

/** A reply's fields, beside `re` and `ok`. */
export type Reply = Record<string, unknown>;

/** A reply's fields, and the changes to fan out once it is sent. */
export interface Settled {
  readonly reply: Reply;
  readonly changes: Change[];
}

export type LaterReply = Promise<Settled>;

/** Sends a reply that had to wait on the backend, then fans out what it changed; a failure to reach the store is `unavailable`. */
export function replyLater(
  connection: Connection,
  id: number | null,
  later: LaterReply,
  fanOut: FanOut,
  { logger, meter }: { logger: ConsolaInstance; meter?: ServerMeter | undefined },
): void {
  later.then(
    ({ reply, changes }) => {
      // Stryker disable next-line ConditionalExpression: a request that is answered passed its schema, which requires an id, so id is never null here
      if (id !== null) connection.send({ re: id, ok: true, ...reply });
      fanOut.publish(changes);
    },
    // The store failed (`unavailable`), or it answered no to what was asked (a place's `conflict`), which the client hears as it is.
    (thrown: Error) => {
      const refused = thrown instanceof ProtocolError;
      if (!refused) logger.warn(thrown.message);
      const code = refused ? thrown.code : ErrorCode.unavailable;
      meter?.refused(code);
      connection.send({ re: id, ok: false, error: { code, message: thrown.message } });
    },
  );
}

/** The backend's answer as a reply: now, its changes handed to `after` to fan out once it is sent; or later, once the store has it (`undo` if it fails). */
export function answerOf<T>(
  outcome: Outcome<T>,
  settle: (value: T) => Settled,
  after: (changes: Change[]) => void,
  undo?: () => void,
): Reply | LaterReply {
  if (outcome instanceof Promise) {
    return outcome.then(settle, (error: unknown) => {
      undo?.();
      throw error;
    });
  }
  const { reply, changes } = settle(outcome);
  after(changes);
  return reply;
}
