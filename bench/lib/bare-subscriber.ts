// A disco subscriber made of the protocol alone: one socket, JSON.parse per line, acks coalesced
// as the client library coalesces them (one per subscription every 50 ms). It is what the etcd
// side of the fan-out is, a bare reader of the wire, so that at W = 10,000 subscriptions in the
// one bench process the figure is the server's fan-out, not the client library's parsing.

import { connect, type Socket } from 'node:net';

const ACK_DELAY_MS = 50;

interface Line {
  readonly op?: string;
  readonly re?: number;
  readonly ok?: boolean;
  readonly sub?: string;
  readonly seq?: number;
  readonly more?: boolean;
  readonly add?: unknown[];
  readonly drop?: unknown[];
  readonly error?: { message: string };
}

export class BareSubscriber {
  private buffer = '';
  private readonly due = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  private waiting = 0;
  private welcomed: (() => void) | undefined;
  private ready: { resolve(): void; reject(error: Error): void } | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly onChanged: (add: number, drop: number) => void,
  ) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.ready?.reject(error));
  }

  /** Opens a session on `port` and `count` subscriptions to `name`; resolves once every one is answered. */
  static open(port: number, name: string, count: number, onChanged: (add: number, drop: number) => void): Promise<BareSubscriber> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        const subscriber = new BareSubscriber(socket, onChanged);
        subscriber.waiting = count;
        subscriber.ready = { resolve: () => resolve(subscriber), reject };
        // The requires wait for the welcome: through etcd (HA) a session is opened by a round trip.
        subscriber.welcomed = () => {
          let lines = '';
          for (let id = 1; id <= count; id++) lines += `{"op":"require","id":${id},"name":${JSON.stringify(name)}}\n`;
          socket.write(lines);
        };
        socket.write(`{"op":"hello","id":0,"version":1,"client":"bench-bare"}\n`);
      });
      socket.once('error', reject);
    });
  }

  close(): void {
    clearTimeout(this.ackTimer);
    this.socket.end('{"op":"bye","id":999999}\n');
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    let end: number;
    while ((end = this.buffer.indexOf('\n', start)) !== -1) {
      this.onLine(JSON.parse(this.buffer.slice(start, end)) as Line);
      start = end + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private onLine(line: Line): void {
    if (line.re !== undefined) {
      if (!line.ok) this.ready?.reject(new Error(`disco refused: ${line.error?.message}`));
      else if (line.re === 0) this.welcomed?.();
      else if (line.more !== true && --this.waiting === 0) this.ready?.resolve();
      return;
    }
    if (line.op === 'ping') {
      this.socket.write('{"op":"pong"}\n');
      return;
    }
    if (line.op !== 'changed' && line.op !== 'resync') return;
    if (line.op === 'changed') this.onChanged(line.add!.length, line.drop!.length);
    if (line.more === true) return;
    this.due.set(line.sub!, line.seq!);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), ACK_DELAY_MS);
  }

  private flushAcks(): void {
    this.ackTimer = undefined;
    let lines = '';
    for (const [sub, seq] of this.due) lines += `{"op":"ack","sub":${JSON.stringify(sub)},"seq":${seq}}\n`;
    this.due.clear();
    this.socket.write(lines);
  }
}
