// A raw protocol peer for tests: sends exact lines and waits for the messages it expects.

import { connect, type Socket } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: tests read any field of a wire message they just received
export type Message = Record<string, any>;

export class WirePeer {
  readonly messages: Message[] = [];
  closed = false;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let at: number;
      while ((at = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 1);
        this.messages.push(JSON.parse(line));
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** `localAddress` (another loopback address, say) lets a test play several hosts. */
  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<WirePeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new WirePeer(socket)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and a session. */
  static async session(port: number): Promise<WirePeer> {
    const peer = await WirePeer.open(port);
    peer.send({ op: 'hello', id: 0, version: 1 });
    await peer.reply(0);
    return peer;
  }

  send(message: Message | string): void {
    this.socket.write(typeof message === 'string' ? message : `${JSON.stringify(message)}\n`);
  }

  /** Sends a request and returns its reply. */
  async request(message: Message): Promise<Message> {
    this.send(message);
    return this.reply(message.id);
  }

  reply(id: number | null, timeoutMs = 3000): Promise<Message> {
    return this.next((m) => 're' in m && m.re === id, timeoutMs);
  }

  /** Waits for the first message (seen or to come) that passes `test`, and removes it. */
  async next(test: (message: Message) => boolean, timeoutMs = 3000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.messages.findIndex(test);
      if (at !== -1) return this.messages.splice(at, 1)[0]!;
      if (this.closed) throw new Error(`connection closed while waiting; saw ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; saw ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
