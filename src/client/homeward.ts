// A client that had to move away from its first server (home) asks home, now and then, to take its
// session back: a hello with the session, on a stream of its own, while the connection carries on
// elsewhere. Only a welcome to the very same session counts; home then holds the session (it adopted
// it from etcd), and the connection moves there before it lets go of the other server.

import type { Duplex } from 'node:stream';
import type * as v from 'valibot';
import { formatHostPort, type HostPort } from '../address.ts';
import type { Line } from '../protocol/framing.ts';
import { type Request, welcomeSchema } from '../protocol/messages.ts';
import type { LineTransport } from '../transport/line-transport.ts';
import { describeSocketError } from './dial.ts';
import { parseReply, readServerLine } from './inbound.ts';

export type Welcome = v.InferOutput<typeof welcomeSchema>;

/** The connection's stream, lost while home was being asked. */
export interface Stranded {
  readonly transport: LineTransport;
  readonly error: Error | undefined;
}

/** What the connection lends the homeward calls. */
export interface HomewardOptions {
  /** How often home is asked; 0 never. */
  readonly everyMs: number;
  /** Home, while the connection is away from it; undefined at home. */
  home(): HostPort | undefined;
  session(): string | undefined;
  /** How long home has to welcome the session. */
  timeoutMs(): number;
  ready(): boolean;
  dial(target: HostPort): Promise<Duplex>;
  carry(stream: Duplex): LineTransport;
  hello(): Request;
  /** Home took the session: `transport` is the connection's now. */
  welcomed(transport: LineTransport, welcome: Welcome): void;
  /** Home did not take it (`why`, for the log); a stream lost meanwhile is handed back, to be given up. */
  declined(why: string, stranded: Stranded | undefined): void;
}

export class Homeward {
  private timer: NodeJS.Timeout | undefined;
  private call: { transport?: LineTransport; timer: NodeJS.Timeout } | undefined;
  private stranded: Stranded | undefined;

  constructor(private readonly options: HomewardOptions) {}

  /** Whether home is being asked now. */
  get pending(): boolean {
    return this.call !== undefined;
  }

  /** Asks home after a while, if the connection is away from it. */
  schedule(): void {
    clearTimeout(this.timer);
    if (!this.options.home() || this.options.everyMs <= 0) return;
    this.timer = setTimeout(() => this.ask(), this.options.everyMs);
    this.timer.unref();
  }

  stop(why: string): void {
    clearTimeout(this.timer);
    this.end(why);
  }

  /** Whether lines of `transport` are the homeward call's to read. */
  owns(transport: LineTransport): boolean {
    return this.call !== undefined && this.call.transport === transport;
  }

  /**
   * The connection lost its stream while home was asked, and home's taking the session may be what
   * ended it (the server left behind lets the session go): home's answer decides. False when home is
   * not being asked.
   */
  strand(transport: LineTransport, error: Error | undefined): boolean {
    if (!this.call?.transport) return false;
    this.stranded = { transport, error };
    return true;
  }

  private ask(): void {
    const home = this.options.home();
    const session = this.options.session();
    if (!this.options.ready() || !home || !session || this.call) return;
    const timeoutMs = this.options.timeoutMs();
    const call: NonNullable<Homeward['call']> = { timer: setTimeout(() => this.end(`no welcome within ${timeoutMs} ms`), timeoutMs) };
    call.timer.unref();
    this.call = call;
    this.options.dial(home).then(
      (stream) => {
        if (this.call !== call) return void stream.destroy();
        call.transport = this.options.carry(stream);
        call.transport.send(this.options.hello());
      },
      (error: Error) => this.call === call && this.end(describeSocketError(error, home)),
    );
  }

  /** A line from home before its welcome: only the welcome counts, and only for this very session. */
  line(line: Line): void {
    const transport = this.call!.transport!;
    const inbound = readServerLine(line);
    if (inbound.kind === 'push') {
      if (inbound.push.op === 'ping') transport.send({ op: 'pong' });
      return;
    }
    if (inbound.kind === 'unreadable' || inbound.re !== 0) return void this.end('it sent something other than a welcome');
    if (inbound.error) return void this.end(inbound.error.message);
    let welcome: Welcome;
    try {
      welcome = parseReply(welcomeSchema, inbound.fields);
    } catch (failure) {
      return void this.end((failure as Error).message);
    }
    if (welcome.session !== this.options.session()) {
      // Home could not take this session over (it did not know it yet): the one it opened instead, which
      // holds nothing, is told goodbye rather than left to wait out its grace.
      transport.send({ op: 'bye', id: 1 });
      transport.close();
      this.call!.transport = undefined;
      return void this.end('it opened another session');
    }
    clearTimeout(this.call!.timer);
    this.call = undefined;
    this.stranded = undefined;
    this.options.welcomed(transport, welcome);
  }

  /** Gives up on home for now, if `transport` is its call's (any call when not given). */
  end(why: string, transport?: LineTransport): void {
    const call = this.call;
    if (!call || (transport && call.transport !== transport)) return;
    this.call = undefined;
    clearTimeout(call.timer);
    call.transport?.destroy();
    const stranded = this.stranded;
    this.stranded = undefined;
    const home = this.options.home();
    this.options.declined(`${home ? formatHostPort(home.host, home.port) : 'home'} did not take the session back (${why})`, stranded);
    if (!stranded && this.options.ready()) this.schedule();
  }
}
