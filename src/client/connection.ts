// The client's connection to one server, as an explicit state machine: it dials, says hello,
// keeps the heartbeat, carries requests, and backs off and dials again when the stream is lost.
// Away from its first server (home), it asks home now and then to take the session back, and moves
// there once welcomed, before it lets go of the other: nothing waits meanwhile.
// What the session holds (provisions, watches) is the client's business, told through `hooks`.

import type { Duplex } from 'node:stream';
import type { ConsolaInstance } from 'consola';
import { formatHostPort, type HostPort } from '../address.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { type Line, MAX_SERVER_LINE_BYTES } from '../protocol/framing.ts';
import { PROTOCOL_VERSION, type Request, welcomeSchema } from '../protocol/messages.ts';
import { LineTransport } from '../transport/line-transport.ts';
import { checkLiveness, type HeartbeatTimes } from '../transport/liveness.ts';
import { AddressRing } from './addresses.ts';
import { Backoff } from './backoff.ts';
import { type ConnectionState, ConnectionStateMachine } from './connection-state.ts';
import { describeSocketError, dialTcp, dialTls, refusedTls, tlsProblem } from './dial.ts';
import { Homeward, type Welcome } from './homeward.ts';
import { type Push, parseReply, readServerLine } from './inbound.ts';
import { type Outgoing, type ReplyFields, RequestTracker } from './requests.ts';
import { ClientErrorCode, type DiscoClientOptions, DiscoError } from './types.ts';

/** How long `close` waits for the server to answer `bye`. */
const BYE_WAIT_MS = 1000;
/** Until the server's welcome says otherwise. */
const DEFAULT_HEARTBEAT: HeartbeatTimes = { interval: 5000, timeout: 15000 };

export type ConnectionSettings = Required<
  Omit<DiscoClientOptions, 'dial' | 'logger' | 'tls' | 'token' | 'addresses' | 'resume' | 'onRecord'>
> &
  Pick<DiscoClientOptions, 'dial' | 'tls' | 'token' | 'addresses'>;

export interface ConnectionHooks {
  /** A session is open; when not `resumed` the server knows nothing of what came before. */
  ready(session: string, resumed: boolean): void;
  /** A ready connection was lost; the connection is backing off to dial again. */
  disconnected(reason: string): void;
  push(push: Push): void;
  /** Final: nothing more will be sent or received. */
  closed(): void;
}

export class ServerConnection {
  private readonly machine: ConnectionStateMachine;
  private readonly requests = new RequestTracker();
  private readonly backoff: Backoff;
  private readonly ring: AddressRing;
  private transport: LineTransport | undefined;
  private session: string | undefined;
  // Stryker disable next-line BooleanLiteral: set from the welcome before anything reads it
  private resumed = false;
  private heartbeat = DEFAULT_HEARTBEAT;
  /** The server's grace, in ms, from its welcome. */
  grace = 10000;
  private livenessTimer: NodeJS.Timeout | undefined;
  private livenessDueAt = Infinity;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Asks home to take the session back while away from it (src/client/homeward.ts). */
  private readonly homeward: Homeward;
  private firstConnect: { resolve(): void; reject(error: Error): void } | undefined;
  /** Why the connection is closing: what `start` and waiting requests are rejected with. */
  private closeError = new DiscoError(ClientErrorCode.closed, 'the disco client was closed');
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly logger: ConsolaInstance,
    private readonly hooks: ConnectionHooks,
    /** A session a predecessor held: the first hello asks to resume it. */
    session?: string,
  ) {
    this.session = session;
    this.backoff = new Backoff(settings.backoffMinMs, settings.backoffMaxMs);
    this.ring = new AddressRing(settings.addresses?.length ? settings.addresses : [{ host: settings.host, port: settings.port }]);
    this.homeward = new Homeward({
      everyMs: settings.homeCheckMs,
      home: () => (this.ring.atHome ? undefined : this.ring.home),
      session: () => this.session,
      timeoutMs: () => this.heartbeat.timeout,
      ready: () => this.machine.state === 'ready',
      dial: (target) => this.dialer(target),
      carry: (stream) => this.carry(stream),
      hello: () => this.hello(),
      welcomed: (transport, welcome) => this.movedHome(transport, welcome),
      declined: (why, stranded) => {
        this.logger.debug(`connection: staying on ${this.where()}: ${why}`);
        if (stranded) this.lost(stranded.transport, stranded.error);
      },
    });
    this.machine = new ConnectionStateMachine(
      (to, from, reason) => this.enter(to, from, reason),
      (line) => logger.debug(`connection: ${line}`),
    );
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
  }

  get state(): ConnectionState {
    return this.machine.state;
  }

  get transitions(): readonly string[] {
    return this.machine.history;
  }

  get sessionId(): string | undefined {
    return this.session;
  }

  /** Dials; resolves once the first session is open (or rejects, unless told to wait for the server). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.machine.transition('connecting', 'connect');
    });
  }

  /** Sends a request now or once connected; rejected at once while closing. */
  request(message: Outgoing, onReply?: (reply: ReplyFields) => void): Promise<ReplyFields> {
    const state = this.machine.state;
    if (state === 'closing' || state === 'closed') return Promise.reject(this.closeError);
    const reply = this.requests.request(message, onReply);
    // Sent now: its deadline may come before the next check.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,ArithmeticOperator: these only schedule the liveness check more often, and each run of it recomputes the same next deadline
    if (state === 'ready' && Date.now() + this.settings.requestTimeoutMs < this.livenessDueAt) this.scheduleLiveness();
    return reply;
  }

  /** Sends a message that expects no reply, if connected; dropped otherwise. */
  send(message: Request): void {
    this.transport?.send(message);
  }

  /** Says goodbye if connected, and stops for good. */
  async close(): Promise<void> {
    const state = this.machine.state;
    if (state === 'ready') this.machine.transition('closing', 'close()');
    else if (state !== 'closing' && state !== 'closed') this.machine.transition('closed', 'close()');
    await this.closedPromise;
  }

  /** Stops for good without goodbye: the server keeps the session for its grace, for whoever resumes it. */
  async leave(): Promise<void> {
    const state = this.machine.state;
    if (state !== 'closing' && state !== 'closed') this.machine.transition('closed', 'left without goodbye');
    await this.closedPromise;
  }

  /** The entry actions of every state, in one place (none for `idle`, where it starts: no move leads back). */
  private enter(to: ConnectionState, from: ConnectionState, reason: string): void {
    switch (to) {
      case 'connecting':
        this.dial();
        return;
      case 'handshaking':
        this.send(this.hello());
        this.scheduleLiveness();
        return;
      case 'ready':
        this.backoff.reset();
        this.ring.worked();
        this.requests.attach((message) => this.send(message), this.resumed);
        this.hooks.ready(this.session!, this.resumed);
        this.firstConnect?.resolve();
        this.firstConnect = undefined;
        this.scheduleLiveness();
        this.homeward.schedule();
        return;
      case 'backing-off':
        clearTimeout(this.livenessTimer);
        this.homeward.stop('the connection was lost');
        this.transport = undefined;
        this.requests.detach();
        if (from === 'ready') this.hooks.disconnected(reason);
        this.reconnectTimer = setTimeout(() => this.machine.transition('connecting', 'backoff over'), this.backoff.next());
        return;
      case 'closing': {
        this.homeward.stop('closing');
        const goodbye = this.requests.request({ op: 'bye' }).catch(() => undefined);
        const waited = new Promise((resolve) => setTimeout(resolve, BYE_WAIT_MS).unref());
        void Promise.race([goodbye, waited]).then(() => {
          if (this.machine.state === 'closing') this.machine.transition('closed', 'said goodbye');
        });
        return;
      }
      case 'closed':
        clearTimeout(this.livenessTimer);
        clearTimeout(this.reconnectTimer);
        this.homeward.stop('closed');
        this.transport?.destroy();
        this.transport = undefined;
        this.requests.rejectAll(this.closeError);
        this.firstConnect?.reject(this.closeError);
        this.firstConnect = undefined;
        this.hooks.closed();
        this.markClosed();
        return;
    }
  }

  private dial(): void {
    const target = this.ring.current;
    this.dialer(target).then(
      (stream) => {
        if (this.machine.state !== 'connecting') return void stream.destroy(); // Closed while dialling.
        this.transport = this.carry(stream);
        this.machine.transition('handshaking', 'stream open');
      },
      (error: Error) => {
        if (this.machine.state === 'connecting') this.lost(undefined, error);
      },
    );
  }

  private dialer(target: HostPort): Promise<Duplex> {
    const tls = this.settings.tls;
    return (this.settings.dial ?? (tls ? (to: HostPort) => dialTls(to, tls) : dialTcp))(target);
  }

  /**
   * A transport over `stream`. Lines go to the connection while it is the connection's stream, and
   * to the homeward attempt while that one waits for home's welcome.
   */
  private carry(stream: Duplex): LineTransport {
    const transport: LineTransport = new LineTransport(
      stream,
      { maxLineBytes: MAX_SERVER_LINE_BYTES },
      {
        line: (line) => (this.homeward.owns(transport) ? this.homeward.line(line) : transport === this.transport && this.onLine(line)),
        tooLong: (error) => {
          transport.destroy();
          if (transport !== this.transport) return void this.homeward.end(`it sent a line longer than ${error.limit} bytes`, transport);
          // Sent again, the same request would get the same line: fail it rather than loop.
          const message = `disco sent a line longer than ${error.limit} bytes`;
          this.logger.warn(`${message}; reconnecting`);
          this.requests.rejectSent(new DiscoError(ErrorCode.lineTooLong, message));
          this.lost(transport, error);
        },
        closed: (error) => {
          if (transport === this.transport) this.lost(transport, error);
          else this.homeward.end(error ? error.message : 'it closed the connection', transport);
        },
      },
    );
    return transport;
  }

  /** Home welcomed the session back: its stream is the connection's now, and the other one goes, without goodbye. */
  private movedHome(transport: LineTransport, welcome: Welcome): void {
    const away = this.transport;
    const from = this.where();
    this.transport = transport;
    this.ring.wentHome();
    this.resumed = welcome.resumed;
    this.heartbeat = welcome.heartbeat;
    this.grace = welcome.grace;
    this.requests.detach();
    this.requests.attach((message) => this.send(message), this.resumed);
    away?.destroy();
    this.logger.debug(`connection: moved the session from ${from} back home to ${this.where()}`);
    this.hooks.ready(this.session!, this.resumed);
    this.scheduleLiveness();
  }

  private hello(): Request {
    return {
      op: 'hello',
      id: 0,
      version: PROTOCOL_VERSION,
      client: this.settings.name,
      // Stryker disable next-line ConditionalExpression: { token: undefined } encodes to the same line: JSON leaves undefined fields out
      ...(this.settings.token === undefined ? {} : { token: this.settings.token }),
      ...(this.session ? { session: this.session } : {}),
    };
  }

  /** The stream, or the attempt to open one, failed. */
  private lost(transport: LineTransport | undefined, error: Error | undefined): void {
    if (transport !== this.transport) return; // An old stream, already given up.
    if (transport && this.machine.state === 'ready' && this.homeward.strand(transport, error)) return;
    const where = this.ring.current;
    const reason = error ? describeSocketError(error, where) : 'connection closed';
    // Stryker disable next-line ConditionalExpression,StringLiteral,BooleanLiteral: while closing, triedAll is not read (the closing branch comes first) and the ring is never used again
    const triedAll = this.machine.state === 'closing' ? false : this.ring.failed();
    if (this.machine.state === 'closing') this.machine.transition('closed', reason);
    else if (this.firstConnect && tlsProblem(error)) {
      // Waiting would not help: the certificates or the TLS settings must change.
      this.closeError = new DiscoError(ClientErrorCode.tls, `cannot connect to disco at ${this.where()}: ${reason}`);
      this.machine.transition('closed', reason);
    } else if (this.firstConnect && !this.settings.waitForServer && triedAll) {
      const at = this.ring.addresses.map((address) => `${address.host}:${address.port}`).join(' nor at ');
      this.closeError = new DiscoError(ClientErrorCode.unreachable, `cannot reach disco at ${at}: ${reason}`);
      this.machine.transition('closed', reason);
    } else this.machine.transition('backing-off', reason);
  }

  /** One timer serves the heartbeat and the requests' deadlines, set to whichever is due first. */
  private scheduleLiveness(): void {
    clearTimeout(this.livenessTimer);
    const transport = this.transport;
    // Stryker disable next-line ConditionalExpression: it runs only while there is a stream (handshaking, ready, closing), and leaving those clears its timer
    if (!transport) return;
    const check = checkLiveness(Date.now(), transport.lastHeard, transport.lastSent, this.heartbeat);
    if (check.dead) {
      transport.destroy();
      this.lost(transport, new Error(`heard nothing from disco for ${this.heartbeat.timeout} ms`));
      return;
    }
    if (check.ping) transport.send({ op: 'ping' });
    const requestDue = this.requests.expire(this.settings.requestTimeoutMs);
    // Stryker disable next-line ConditionalExpression,MethodExpression: the check then runs every millisecond: the same pings and timeouts, at a cost in CPU no test reads
    const delay = Math.min(check.nextCheckIn, requestDue === undefined ? Infinity : Math.max(1, requestDue - Date.now()));
    this.livenessDueAt = Date.now() + delay;
    this.livenessTimer = setTimeout(() => this.scheduleLiveness(), delay);
    this.livenessTimer.unref();
  }

  private onLine(line: Line): void {
    const inbound = readServerLine(line);
    if (inbound.kind === 'unreadable') return void this.logger.warn(inbound.warning);
    if (inbound.kind === 'push') {
      if (inbound.push.op === 'ping') this.send({ op: 'pong' });
      else if (inbound.push.op !== 'pong') this.hooks.push(inbound.push);
      return;
    }
    const { re, fields, error } = inbound;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: refusedTls answers only tls_required and certificate_required, which only a listener's first line (re: null) carries
    const tlsRefusal = re === null && this.machine.state === 'handshaking' ? refusedTls(error, this.where()) : undefined;
    if (tlsRefusal) return void this.refused(new DiscoError(ClientErrorCode.tls, tlsRefusal));
    // Stryker disable next-line ConditionalExpression: re: 0 answers hello, which the client says once per connection, in handshaking
    if (re === 0 && this.machine.state === 'handshaking') {
      this.onWelcome(fields, error);
      return;
    }
    // Stryker disable next-line ConditionalExpression: no request waits under null: onReply(null) finds none and says so
    const known = re !== null && this.requests.onReply(re, fields, error);
    // The server left behind says it let the session go, to the client that is taking it home: no news.
    if (!known && error)
      this.logger[error.code === ErrorCode.replaced && this.homeward.pending ? 'debug' : 'warn'](`disco: ${error.message}`);
  }

  private onWelcome(fields: ReplyFields, error: { code: string; message: string } | undefined): void {
    if (error?.code === ErrorCode.unavailable) {
      // That server cannot reach its etcd now: another (or it, later) may.
      const transport = this.transport;
      // Stryker disable next-line OptionalChaining: a welcome comes in handshaking, which has its stream
      transport?.destroy();
      this.lost(transport, new Error(error.message));
      return;
    }
    if (error) {
      this.refused(new DiscoError(error.code, `disco refused the session: ${error.message}`));
      return;
    }
    let welcome: Welcome;
    try {
      welcome = parseReply(welcomeSchema, fields);
    } catch (failure) {
      this.refused(failure as DiscoError);
      return;
    }
    this.resumed = welcome.resumed && welcome.session === this.session;
    this.session = welcome.session;
    this.heartbeat = welcome.heartbeat;
    this.grace = welcome.grace;
    this.machine.transition('ready', this.resumed ? 'welcomed back (resumed)' : 'welcomed (new session)');
  }

  private where(): string {
    const { host, port } = this.ring.current;
    return formatHostPort(host, port);
  }

  /** The server will not have us: nothing a retry would change. */
  private refused(error: DiscoError): void {
    this.closeError = error;
    if (!this.firstConnect) this.logger.error(error.message);
    this.machine.transition('closed', `refused: ${error.code}`);
  }
}
