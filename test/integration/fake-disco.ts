// A scripted disco server for client tests: a raw TCP server on loopback that records every line
// a client sends and lets the test answer, push, fall silent or drop the connection at will.

import { createServer, type Server, type Socket } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: tests read any field of a wire message they just received
export type Message = Record<string, any>;

export const WELCOME = {
  re: 0,
  ok: true,
  session: 's1',
  resumed: false,
  version: 1,
  heartbeat: { interval: 5000, timeout: 15000 },
  grace: 10000,
};

export class FakeConnection {
  readonly received: Message[] = [];
  closed = false;
  /** False: a goodbye is recorded but not answered, for the test to answer or hang up on. */
  answersBye = true;
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let at: number;
      while ((at = this.buffer.indexOf('\n')) !== -1) {
        const message = JSON.parse(this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at + 1);
        this.received.push(message);
        // As the real server does: answer, then close.
        if (message.op === 'bye' && this.answersBye) this.socket.end(`${JSON.stringify({ re: message.id, ok: true })}\n`);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  send(...messages: Array<Message | string>): void {
    this.socket.write(messages.map((m) => (typeof m === 'string' ? m : `${JSON.stringify(m)}\n`)).join(''));
  }

  /** Waits for the first message received that passes `test` (seen already or to come). */
  async next(test: (message: Message) => boolean, what = 'a message', timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(test);
      if (found) return found;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}; got ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  op(op: string, extra: (message: Message) => boolean = () => true): Promise<Message> {
    return this.next((m) => m.op === op && extra(m), `"${op}"`);
  }

  /** Answers the client's hello. */
  async welcome(fields: Partial<typeof WELCOME> = {}): Promise<Message> {
    const hello = await this.op('hello');
    this.send({ ...WELCOME, ...fields });
    return hello;
  }

  /** Answers the first request of `op` not yet answered. */
  async answer(op: string, fields: Message): Promise<Message> {
    const request = await this.next((m) => m.op === op && !m.answered, `"${op}"`);
    request.answered = true;
    this.send({ re: request.id, ok: true, ...fields });
    return request;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

export class FakeDisco {
  readonly connections: FakeConnection[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.connections.push(new FakeConnection(socket));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async start(): Promise<FakeDisco> {
    const fake = new FakeDisco(createServer());
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** The `index`th connection made to this server (from 0), once it is made. */
  async connection(index: number, timeoutMs = 5000): Promise<FakeConnection> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connections[index]) {
      if (Date.now() > deadline) throw new Error(`no connection #${index} came`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.connections[index]!;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    if (this.server.listening) await new Promise((resolve) => this.server.close(resolve));
  }
}
