// A server Connection on a real loopback socket pair, without a disco server: for tests of what
// the server does to one peer (framing, budgets, backlog, pushes). Close every pair with
// closePairs() after each test.

import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Line } from '../../src/protocol/framing.ts';
import { Connection, type ConnectionLimits } from '../../src/server/connection.ts';
import { eventually } from './wait.ts';

export const PAIR_LIMITS: ConnectionLimits = { maxQueueBytes: 1 << 20, errorBurst: 3, errorRefillPerSecond: 1, maxLineBytes: 64 };

export interface ConnectionPair {
  readonly connection: Connection;
  /** The peer: what a client holds. */
  readonly peer: Socket;
  /** Lines the connection handed over, violations it reported, and its other events. */
  readonly lines: Line[];
  readonly violations: Array<[string, string]>;
  readonly counts: { drained: number; closed: number };
  /** Everything the peer has received so far. */
  received(): string;
}

const open: Array<{ listener: Server; peer: Socket }> = [];

export interface PairOptions {
  /** Sees the server's socket before the Connection wraps it. */
  readonly before?: (socket: Socket) => void;
  /** Keeps the peer's end open when the server ends its own, as a careless client would. */
  readonly allowHalfOpen?: boolean;
  /** Runs for each line handed over, after it is recorded: a stand-in for the server's answer. */
  readonly onLine?: (line: Line, connection: Connection) => void;
}

export async function connectionPair(limits: Partial<ConnectionLimits> = {}, options: PairOptions = {}): Promise<ConnectionPair> {
  const { before, allowHalfOpen = false, onLine } = options;
  const lines: Line[] = [];
  const violations: Array<[string, string]> = [];
  const counts = { drained: 0, closed: 0 };
  let connection: Connection | undefined;
  const listener = createServer((accepted) => {
    before?.(accepted);
    connection = new Connection(
      accepted,
      { ...PAIR_LIMITS, ...limits },
      {
        line: (line) => {
          lines.push(line);
          onLine?.(line, connection!);
        },
        violation: (code, message) => void violations.push([code, message]),
        drained: () => void counts.drained++,
        closed: () => void counts.closed++,
      },
    );
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const peer = connect({ port, host: '127.0.0.1', allowHalfOpen });
  open.push({ listener, peer });
  let text = '';
  peer.on('data', (chunk: Buffer) => void (text += chunk.toString('utf8')));
  peer.on('error', () => {});
  await once(peer, 'connect');
  await eventually(() => connection, 2000, 'the connection');
  return { connection: connection!, peer, lines, violations, counts, received: () => text };
}

export async function closePairs(): Promise<void> {
  for (const { listener, peer } of open.splice(0)) {
    peer.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}
