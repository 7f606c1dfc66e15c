// Newline-delimited framing with a hard bound on line length, so a peer that never sends a
// newline cannot make us buffer without limit.

/** The longest line a client may send. */
export const MAX_LINE_BYTES = 64 * 1024;
/**
 * The longest line a server may send. The server splits long messages into parts well under
 * this; a client accepts lines up to it, so a future server can send somewhat longer parts.
 */
export const MAX_SERVER_LINE_BYTES = 1024 * 1024;

export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  constructor(readonly limit: number) {
    super(`line longer than ${limit} bytes`);
  }
}

/**
 * Handed on by `read` in place of a line that is not valid UTF-8, so that the reader refuses it in
 * its turn with its own error, instead of taking U+FFFD for what the peer sent.
 */
export const NOT_UTF8: unique symbol = Symbol('not UTF-8');
export type Line = string | typeof NOT_UTF8;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** True while part of a line has arrived without its newline. */
  get hasPartialLine(): boolean {
    return this.pendingBytes > 0;
  }

  /**
   * Returns the complete lines in `chunk` (without "\n" or a trailing "\r"). A "\r" counts
   * toward the limit, the "\n" does not. Throws LineTooLongError.
   */
  push(chunk: Buffer): string[] {
    return this.split(chunk, (line) => line.toString('utf8'));
  }

  /** As `push`, except that a line that is not valid UTF-8 comes out as NOT_UTF8. */
  read(chunk: Buffer): Line[] {
    return this.split<Line>(chunk, (line) => {
      try {
        return strictUtf8.decode(line);
      } catch {
        return NOT_UTF8;
      }
    });
  }

  private split<T extends Line>(chunk: Buffer, decode: (line: Buffer) => T): T[] {
    const lines: T[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      const bytes = this.pendingBytes + (end - start);
      if (bytes > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      let line: Buffer = chunk.subarray(start, end);
      if (this.pendingBytes > 0) {
        line = Buffer.concat([...this.pending, line], bytes);
        this.pending = [];
        this.pendingBytes = 0;
      }
      const text = decode(line);
      lines.push((typeof text === 'string' && text.endsWith('\r') ? text.slice(0, -1) : text) as T);
      start = end + 1;
    }
    if (start < chunk.length) {
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      this.pending.push(chunk.subarray(start));
    }
    return lines;
  }
}

export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
