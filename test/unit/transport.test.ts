import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Line, LineTooLongError } from '../../src/protocol/framing.ts';
import { LineTransport } from '../../src/transport/line-transport.ts';
import { checkLiveness } from '../../src/transport/liveness.ts';

/** An in-memory stream that records each batch of writes the transport hands it. */
class RecordingStream extends Duplex {
  readonly batches: string[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.batches.push([chunk.toString()]);
    done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    this.batches.push(chunks.map(({ chunk }) => chunk.toString()));
    done();
  }
}

function open(maxLineBytes = 64, now = () => 0) {
  const stream = new RecordingStream();
  const lines: Line[] = [];
  const tooLong: LineTooLongError[] = [];
  const closed: Array<Error | undefined> = [];
  const transport = new LineTransport(
    stream,
    { maxLineBytes, now, lingerMs: 10 },
    {
      line: (line) => lines.push(line),
      tooLong: (error) => tooLong.push(error),
      closed: (error) => closed.push(error),
    },
  );
  return { stream, transport, lines, tooLong, closed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('liveness', () => {
  const times = { interval: 100, timeout: 300 };

  it('takes the peer for dead once it has been silent for the timeout, not a moment before', () => {
    expect(checkLiveness(1299, 1000, 1250, times).dead).toBe(false);
    expect(checkLiveness(1300, 1000, 1250, times)).toEqual({ dead: true, ping: false, nextCheckIn: 0 });
  });

  it('pings when nothing has been sent for the interval', () => {
    expect(checkLiveness(1099, 1000, 1000, times).ping).toBe(false);
    expect(checkLiveness(1100, 1000, 1000, times).ping).toBe(true);
  });

  it('checks again exactly when the next ping or the timeout is due', () => {
    // Sent at 1000, heard at 1050: the next ping is due at 1100.
    expect(checkLiveness(1020, 1050, 1000, times).nextCheckIn).toBe(80);
    // Pinging now (1200): the next ping at 1300, but silence since 1000 ends it at 1300 too.
    expect(checkLiveness(1200, 1000, 1100, times)).toEqual({ dead: false, ping: true, nextCheckIn: 100 });
    // Heard at 1000 and pinged at 1250: dead at 1300, before the next ping at 1350.
    expect(checkLiveness(1260, 1000, 1250, times).nextCheckIn).toBe(40);
    // Never less than a millisecond, so a timer cannot spin.
    expect(checkLiveness(1299.5, 1000, 1250, times).nextCheckIn).toBe(1);
  });
});

describe('the line transport', () => {
  it('hands over whole lines, joined across chunks', () => {
    const { stream, lines } = open();
    stream.push('{"a":1}\n{"b"');
    stream.push(':2}\r\n');
    return tick().then(() => expect(lines).toEqual(['{"a":1}', '{"b":2}']));
  });

  it('sends the lines written in one tick in one write, joined in the order they were written', async () => {
    const { stream, transport } = open();
    transport.send({ op: 'ping' });
    transport.send({ op: 'ack', sub: 'r1', seq: 2 });
    transport.sendLine('{"op":"pong"}\n');
    await tick();
    transport.send({ op: 'ping' });
    await tick();
    expect(stream.batches).toEqual([['{"op":"ping"}\n{"op":"ack","sub":"r1","seq":2}\n{"op":"pong"}\n'], ['{"op":"ping"}\n']]);
  });

  it('sends a last line after the lines sent before it in the same tick, never before them', async () => {
    const { stream, transport } = open();
    transport.send({ op: 'ping' });
    transport.sendLine('{"op":"pong"}\n');
    transport.close('{"bye":1}\n');
    stream.push(null);
    await new Promise((resolve) => stream.once('close', resolve));
    expect(stream.batches.flat().join('')).toBe('{"op":"ping"}\n{"op":"pong"}\n{"bye":1}\n');
  });

  it('keeps the times a line was last heard and last sent', async () => {
    let now = 5;
    const { stream, transport } = open(64, () => now);
    expect([transport.lastHeard, transport.lastSent]).toEqual([5, 5]);
    now = 10;
    transport.send({ op: 'ping' });
    now = 20;
    stream.push('{"op":"pong"}\n');
    await tick();
    expect([transport.lastHeard, transport.lastSent]).toEqual([20, 10]);
  });

  it('stops reading at a line over its limit and says so once', async () => {
    const { stream, lines, tooLong } = open(8);
    stream.push('12345678\n');
    await tick();
    stream.push('123456789');
    await tick();
    stream.push('\n{}\n');
    await tick();
    expect(lines).toEqual(['12345678']);
    expect(tooLong.map((error) => error.limit)).toEqual([8]);
  });

  it('still lets its owner say why and close after a line over the limit', async () => {
    const { stream, transport, lines } = open(8);
    stream.push('123456789');
    await tick();
    transport.close('{"error":"line_too_long"}\n');
    stream.push(null);
    await new Promise((resolve) => stream.once('close', resolve));
    expect(lines).toEqual([]);
    expect(stream.batches.flat()).toEqual(['{"error":"line_too_long"}\n']);
  });

  it('sends a last line, then ends, and tells why it closed', async () => {
    const { stream, transport, closed } = open();
    transport.close('{"bye":1}\n');
    expect(transport.isOpen).toBe(false);
    transport.send({ op: 'ping' }); // Dropped: the transport is closing.
    stream.push(null);
    await new Promise((resolve) => stream.once('close', resolve));
    expect(stream.batches.flat()).toEqual(['{"bye":1}\n']);
    expect(closed).toEqual([undefined]);

    const failing = open();
    failing.transport.destroy(new Error('heard nothing'));
    await new Promise((resolve) => failing.stream.once('close', resolve));
    expect(failing.closed.map((error) => error?.message)).toEqual(['heard nothing']);
  });
});
