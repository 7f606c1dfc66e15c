// What a client asks of disco's event ring: to follow it (`scs events`), and, for an agent, to
// report its plan steps to it. Neither keeps intent across sessions, as provide and require do:
// a stream ends with its connection, and a report is a record of the past.

import type { WireEvent } from '../events/event.ts';
import { eventsReplySchema, type Request } from '../protocol/messages.ts';
import type { DiscoClient } from './client.ts';
import { parseReply } from './inbound.ts';

export interface FollowOptions {
  /** A name or pattern (canonical); every event when absent. */
  readonly name?: string | undefined;
  /** Milliseconds since the epoch: the events kept since then come first. */
  readonly since?: number | undefined;
}

export interface Following {
  /** The disco server that answers, and how many events it replayed (those came before this resolved). */
  readonly server: string;
  readonly replayed: number;
}

/**
 * Follows disco's events: `onEvent` gets the replay, then every new event. `onEnd` is told when the
 * server cut the stream (a reader too slow) or the connection went, after which no event comes.
 */
export async function followEvents(
  client: DiscoClient,
  options: FollowOptions,
  onEvent: (event: WireEvent) => void,
  onEnd: (reason: string, message: string) => void,
): Promise<Following> {
  let ended = false;
  const end = (reason: string, message: string) => {
    if (ended) return;
    ended = true;
    onEnd(reason, message);
  };
  client.on('push', (push) => {
    if (ended) return;
    if (push.op === 'event') onEvent(push.event);
    else if (push.op === 'events-end') end(push.reason, push.message);
  });
  client.on('disconnected', (reason) => end('disconnected', `lost the connection to disco (${reason})`));
  const { name, since } = options;
  const reply = await client.request({
    op: 'events',
    ...(name === undefined ? {} : { name }),
    ...(since === undefined ? {} : { since }),
  });
  return parseReply(eventsReplySchema, reply);
}

export type ReportedStep = Extract<Request, { op: 'report' }>['steps'][number];

/** An agent's steps on one service (`service.stack.environment`), recorded in the server's ring. */
export async function reportSteps(client: DiscoClient, service: string, steps: readonly ReportedStep[]): Promise<void> {
  await client.request({ op: 'report', service, steps: [...steps] });
}
