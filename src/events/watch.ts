// `scs events`, less its flags: follow one disco server's events from a time, print each, and stop
// at `until` (right after the replay, when that is past), on a signal, or when the stream ends.
// Like `docker events`: a past `until` replays and exits; without it, the stream runs until stopped.

import type { DiscoClient } from '../client/client.ts';
import { followEvents } from '../client/events.ts';
import { UserError } from '../errors.ts';
import type { WireEvent } from './event.ts';

export interface WatchOptions {
  readonly name?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly print: (event: WireEvent) => void;
  /** Resolves when the user asks to stop (Ctrl-C). */
  readonly stopped: Promise<unknown>;
}

/** Resolves when it ends as asked (`until`, a signal); rejects with the reason when the server ends the stream. */
export async function watchEvents(client: DiscoClient, options: WatchOptions): Promise<void> {
  const { name, since, until, print } = options;
  let ended: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    ended = (error) => (error ? reject(error) : resolve());
  });
  // Once stopped, the connection's end is no news.
  done.catch(() => {});
  const onEvent = (event: WireEvent) => {
    if (until !== undefined && Date.parse(event.time) > until) return ended();
    print(event);
  };
  const onEnd = (_reason: string, message: string) => ended(new UserError(`the event stream ended: ${message}`));
  await followEvents(client, { name, since }, onEvent, onEnd);
  let timer: NodeJS.Timeout | undefined;
  if (until !== undefined) timer = setTimeout(() => ended(), Math.max(0, until - Date.now()));
  try {
    await Promise.race([done, options.stopped]);
  } finally {
    clearTimeout(timer);
  }
}
