// The server's side of one client socket, on a real loopback socket pair but without a server:
// line splitting and its deadline, the bad-line budget, backlog and drain, and closing. The server
// tests reach all of this through whole sessions; here each rule is pinned down on its own.

import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { Connection } from '../../src/server/connection.ts';
import { closePairs, connectionPair as pair } from '../helpers/connection-pair.ts';
import { eventually, sleep } from '../helpers/wait.ts';

afterEach(async () => {
  vi.useRealTimers();
  await closePairs();
});

describe('a server connection', () => {
  it('names its peer by address and port, and turns off Nagle so that small replies leave at once', async () => {
    let noDelay: boolean | undefined;
    const { connection, peer } = await pair(
      {},
      {
        before: (socket) => {
          const original = socket.setNoDelay.bind(socket);
          socket.setNoDelay = (value?: boolean) => {
            noDelay = value;
            return original(value);
          };
        },
      },
    );
    expect(connection.source).toBe('127.0.0.1');
    expect(connection.remote).toBe(`127.0.0.1:${peer.localPort}`);
    expect(noDelay).toBe(true);
  });

  it('hands over whole lines only, across chunks, without their "\\r\\n"', async () => {
    const { peer, lines } = await pair();
    peer.write('{"op":"p');
    await sleep(20);
    expect(lines).toEqual([]);
    peer.write('ing"}\r\n{"a":1}\n{"b"');
    await eventually(() => lines.length === 2);
    expect(lines).toEqual(['{"op":"ping"}', '{"a":1}']);
  });

  it('times a line from its first byte to its newline, and not while nothing is partial', async () => {
    const { connection, peer, lines } = await pair();
    const far = () => Date.now() + 10_000;
    /** When the current line's clock started, read back from its age. */
    const clockStart = () => {
      const now = far();
      return now - connection.partialLineAge(now);
    };
    expect(connection.partialLineAge(far())).toBe(0);
    const beforeFirst = Date.now();
    peer.write('{"op":');
    await eventually(() => connection.partialLineAge(far()) > 0);
    const afterFirst = Date.now();
    expect(clockStart()).toBeGreaterThanOrEqual(beforeFirst);
    expect(clockStart()).toBeLessThanOrEqual(afterFirst);
    // A second chunk of the same line does not restart its clock.
    await sleep(30);
    peer.write('"pi');
    await sleep(30);
    expect(clockStart()).toBeLessThanOrEqual(afterFirst);
    // The newline ends it; the start of the next line, sent with it, starts a new clock.
    const sent = Date.now();
    peer.write('ng"}\n{');
    await eventually(() => lines.length === 1);
    const next = Date.now();
    expect(connection.partialLineAge(next + 1000)).toBeGreaterThanOrEqual(1000);
    expect(connection.partialLineAge(next + 1000)).toBeLessThanOrEqual(next + 1000 - sent);
    peer.write('}\n');
    await eventually(() => lines.length === 2);
    expect(connection.partialLineAge(Date.now() + 5000)).toBe(0);
  });

  it('closes on a line past the limit, with an error line that names the limit', async () => {
    const { peer, violations, counts, received, lines } = await pair({ maxLineBytes: 16 });
    peer.write(`${'x'.repeat(17)}\n`);
    await eventually(() => counts.closed === 1);
    expect(violations).toEqual([[ErrorCode.lineTooLong, 'line longer than 16 bytes']]);
    expect(JSON.parse(received())).toEqual({
      re: null,
      ok: false,
      error: { code: ErrorCode.lineTooLong, message: 'line longer than 16 bytes' },
    });
    expect(lines).toEqual([]);
  });

  it('takes a burst of bad lines, refills the budget with time, and closes once it is spent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { connection, violations, received, counts } = await pair({ errorBurst: 3, errorRefillPerSecond: 2 });
    expect([connection.chargeError(), connection.chargeError(), connection.chargeError()]).toEqual([true, true, true]);
    // Half a second refills one bad line at 2 a second; a quarter second, half a one, not enough.
    vi.setSystemTime(1_000_500);
    expect(connection.chargeError()).toBe(true);
    vi.setSystemTime(1_000_750);
    expect(connection.isOpen).toBe(true);
    expect(connection.chargeError()).toBe(false);
    expect(violations).toEqual([[ErrorCode.tooManyErrors, 'too many bad lines']]);
    expect(connection.isOpen).toBe(false);
    vi.useRealTimers();
    await eventually(() => counts.closed === 1);
    expect(JSON.parse(received())).toEqual({
      re: null,
      ok: false,
      error: { code: ErrorCode.tooManyErrors, message: 'too many bad lines' },
    });
  });

  it('refills no more than the burst, however long the peer behaved', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { connection } = await pair({ errorBurst: 2, errorRefillPerSecond: 1 });
    vi.setSystemTime(1_000_000 + 3_600_000);
    expect([connection.chargeError(), connection.chargeError(), connection.chargeError()]).toEqual([true, true, false]);
  });

  it('reports one violation only, and sends nothing after it has begun closing', async () => {
    const { connection, peer, violations, counts, received } = await pair({ maxLineBytes: 8 });
    connection.close({ bye: true });
    expect(connection.chargeError()).toBe(true);
    connection.chargeError();
    connection.chargeError();
    expect(connection.chargeError()).toBe(false);
    connection.send({ after: true });
    peer.write(`${'x'.repeat(20)}\n`);
    await eventually(() => counts.closed === 1);
    expect(violations).toEqual([]);
    expect(received()).toBe('{"bye":true}\n');
  });

  it('is backlogged past maxQueueBytes unsent, not at it, and not stalled while it is not backlogged', async () => {
    const { connection } = await pair({ maxQueueBytes: 10 });
    // Within one tick the writes are corked: every byte written is still unsent.
    connection.sendLine('123456789\n');
    expect(connection.backlogged).toBe(false);
    expect(connection.stalledFor(Date.now() + 60_000)).toBe(0);
    connection.sendLine('\n');
    expect(connection.backlogged).toBe(true);
  });

  it('lets go of a peer that keeps its end open a second after closing', async () => {
    const { connection, peer, counts } = await pair({}, { allowHalfOpen: true });
    connection.close();
    await once(peer, 'end');
    await sleep(300);
    expect(counts.closed).toBe(0);
    await eventually(() => counts.closed === 1, 3000, 'the socket to be destroyed');
  });

  it('is no longer open once destroyed, and its peer sees the socket end', async () => {
    const { connection, peer, counts } = await pair();
    connection.destroy();
    expect(connection.isOpen).toBe(false);
    await once(peer, 'close');
    await eventually(() => counts.closed === 1);
  });

  it('survives a peer that resets the connection, and tells that it closed', async () => {
    const { peer, counts } = await pair();
    peer.resetAndDestroy();
    await eventually(() => counts.closed === 1);
  });

  describe('with a peer that stops reading', () => {
    let big: string;
    beforeEach(() => {
      big = `${JSON.stringify({ push: 'x'.repeat(60_000) })}\n`;
    });

    /** Writes to a peer that has paused until the connection is backlogged. */
    async function backlog(connection: Connection) {
      for (let i = 0; i < 10_000 && !connection.backlogged; i++) {
        connection.sendLine(big);
        await sleep(1);
      }
      expect(connection.backlogged).toBe(true);
    }

    it('holds its requests while backlogged and hands them over, in order, once the peer has read', async () => {
      const { connection, peer, lines, counts } = await pair({ maxQueueBytes: 100_000 });
      peer.pause();
      await backlog(connection);
      peer.write('{"n":1}\n{"n":2}\n');
      await sleep(50);
      expect(lines).toEqual([]);
      peer.resume();
      await eventually(() => lines.length === 2, 5000);
      expect(lines).toEqual(['{"n":1}', '{"n":2}']);
      expect(counts.drained).toBe(1);
      expect(connection.backlogged).toBe(false);
    });

    it('counts a stall from when the peer last read anything', async () => {
      // Backlogged at 8 MB: a peer that reads 2 MB leaves it backlogged, with less unsent.
      const { connection, peer } = await pair({ maxQueueBytes: 8 << 20 });
      peer.pause();
      await backlog(connection);
      expect(connection.stalledFor(Date.now() + 5000)).toBeGreaterThanOrEqual(5000);
      // The peer reads 2 MB: the stall starts again from the time that progress was seen.
      let read = 0;
      const reader = (chunk: Buffer) => {
        read += chunk.length;
        if (read < 2 << 20) return;
        peer.pause();
        peer.off('data', reader);
      };
      peer.on('data', reader);
      peer.resume();
      const later = Date.now() + 60_000;
      await eventually(() => connection.stalledFor(later) === 0, 5000, 'the read to be seen');
      expect(connection.backlogged).toBe(true);
      expect([0, 100]).toContain(connection.stalledFor(later + 100));
    });

    it('does not count the time it stopped reading a partial line as the line arriving slowly', async () => {
      const { connection, peer } = await pair({ maxQueueBytes: 100_000 });
      peer.write('{"half":');
      await sleep(20);
      peer.pause();
      await backlog(connection);
      expect(connection.partialLineAge(Date.now() + 60_000)).toBe(0);
      peer.resume();
      await eventually(() => !connection.backlogged, 5000);
      // Its clock restarts when reading resumes.
      expect(connection.partialLineAge(Date.now())).toBeLessThan(50);
    });

    it('keeps the lines that came with one whose answer backlogged it, and hands them over once, after the drain', async () => {
      let socket: Socket | undefined;
      const { connection, peer, lines } = await pair(
        { maxQueueBytes: 100_000 },
        {
          before: (accepted) => void (socket = accepted),
          // The first line's answer (12 MB, more than the socket buffers hold) backs the connection
          // up; so does the third's, after the drain.
          onLine: (line, connection) => {
            if (line === '{"n":1}' || line === '{"n":3}') for (let i = 0; i < 200; i++) connection.sendLine(big);
          },
        },
      );
      peer.pause();
      peer.write('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
      await eventually(() => lines.length === 1 && connection.backlogged, 5000, 'the backlog');
      await sleep(50);
      expect(lines).toEqual(['{"n":1}']);
      expect(socket!.isPaused()).toBe(true);
      peer.resume();
      await eventually(() => lines.length === 3, 5000, 'the waiting lines');
      // Backlogged again by the third: the fourth waits, and the socket stays unread.
      expect(lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      if (connection.backlogged) expect(socket!.isPaused()).toBe(true);
      await eventually(() => lines.length === 4, 5000, 'the last line');
      expect(lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    });

    it('has no line on the clock after a drain when none was arriving', async () => {
      const { connection, peer } = await pair({ maxQueueBytes: 100_000 });
      peer.pause();
      await backlog(connection);
      peer.resume();
      await eventually(() => !connection.backlogged, 5000);
      expect(connection.partialLineAge(Date.now() + 60_000)).toBe(0);
    });

    it('is not brought back by a drain once closing', async () => {
      const { connection, peer, counts } = await pair({ maxQueueBytes: 100_000 });
      peer.pause();
      await backlog(connection);
      connection.close();
      peer.resume();
      await eventually(() => counts.closed === 1, 5000);
      expect(counts.drained).toBe(0);
    });
  });
});
