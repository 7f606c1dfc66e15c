// A client that had to move away from its first server (home) asks home, now and then, to take its
// session back: a hello with the session, on a stream of its own, while the connection carries on
// elsewhere. Only a welcome to the very same session counts; home then holds the session (it adopted
// it from etcd), and the connection moves there before it lets go of the other server.

import type * as v from 'valibot';
import type { Line } from '../protocol/framing.ts';
import { welcomeSchema } from '../protocol/messages.ts';
import type { LineTransport } from '../transport/line-transport.ts';
import { parseReply, readServerLine } from './inbound.ts';

export type Welcome = v.InferOutput<typeof welcomeSchema>;

export interface HomeCallEvents {
  /** Home took the session: `transport` is the connection's now. */
  welcomed(transport: LineTransport, welcome: Welcome): void;
  /** Home did not take it (`why`, for the log): the connection stays where it is. */
  declined(why: string): void;
}

export class HomeCall {
  private transport: LineTransport | undefined;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly session: string,
    timeoutMs: number,
    private readonly events: HomeCallEvents,
  ) {
    this.timer = setTimeout(() => this.decline(`no welcome within ${timeoutMs} ms`), timeoutMs);
    this.timer.unref();
  }

  /** Whether lines of `transport` are this call's to read. */
  owns(transport: LineTransport): boolean {
    return !this.settled && transport === this.transport;
  }

  /** The stream to home is open: say hello with the session. False when the call already ended. */
  opened(transport: LineTransport, hello: unknown): boolean {
    if (this.settled) return false;
    this.transport = transport;
    transport.send(hello as never);
    return true;
  }

  /** A line from home before its welcome. */
  line(line: Line): void {
    const transport = this.transport!;
    const inbound = readServerLine(line);
    if (inbound.kind === 'push') {
      if (inbound.push.op === 'ping') transport.send({ op: 'pong' });
      return;
    }
    if (inbound.kind === 'unreadable' || inbound.re !== 0) return void this.decline('it sent something other than a welcome');
    if (inbound.error) return void this.decline(inbound.error.message);
    let welcome: Welcome;
    try {
      welcome = parseReply(welcomeSchema, inbound.fields);
    } catch (failure) {
      return void this.decline((failure as Error).message);
    }
    if (welcome.session !== this.session) {
      // Home could not take this session over (it did not know it yet): the one it opened instead, which
      // holds nothing, is told goodbye rather than left to wait out its grace.
      transport.send({ op: 'bye', id: 1 });
      transport.close();
      this.transport = undefined;
      return void this.decline('it opened another session');
    }
    this.settled = true;
    clearTimeout(this.timer);
    this.events.welcomed(transport, welcome);
  }

  /** Gives up on home, for now: its stream, if any, is closed. */
  decline(why: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.transport?.destroy();
    this.events.declined(why);
  }
}
