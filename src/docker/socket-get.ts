// One HTTP GET on a Unix socket, answered whole: what src/docker/reader.ts asks of the Engine API for
// `scs ps` and `scs logs`. node:net, not node:http: Node's HTTP client (its agent, parser and
// streams) takes some 4 ms to load, at every start of those commands, for a request and an answer
// that this reads in a few lines. One connection a request (`Connection: close`); the answer's
// length is its Content-Length, its chunks (`Transfer-Encoding: chunked`) or, with neither, all the
// Engine sent before it closed the connection.

import { connect } from 'node:net';

export interface SocketReply {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

/** GETs `path` on the HTTP server at `socketPath`; rejects when it does not answer whole within `timeoutMs`. */
export function socketGet(socketPath: string, path: string, timeoutMs: number): Promise<SocketReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (ended: boolean) => {
      try {
        const reply = parseReply(Buffer.concat(chunks, received), ended);
        if (reply === undefined) return;
        socket.destroy();
        resolve(reply);
      } catch (error) {
        socket.destroy();
        reject(error);
      }
    };
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from Docker in ${timeoutMs / 1000}s`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      // An answer that came in one piece, or whose last chunk came, is read without waiting for the close.
      if (chunks.length === 1 || chunk.subarray(-5).toString('latin1') === '0\r\n\r\n') settle(false);
    });
    socket.on('error', reject);
    socket.on('end', () => settle(true));
    // Written, not ended: the Engine takes a connection its client closed for a client gone, and
    // stops a streamed answer (logs) short. It closes the connection once it has answered.
    socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * The status, headers and body of an HTTP/1.x answer; undefined while it is not whole and the
 * connection is still open (`ended` false).
 */
export function parseReply(answer: Buffer, ended = true): SocketReply | undefined {
  const headEnd = answer.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (!ended) return undefined;
    throw new Error('Docker closed the connection before answering');
  }
  const [statusLine, ...lines] = answer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  if (!status) throw new Error(`not an HTTP answer: ${statusLine}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = answer.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
    const body = unchunk(rest);
    if (body === undefined && ended) throw new Error('Docker ended a chunked answer early');
    return body && { status, headers, body };
  }
  const length = headers.get('content-length');
  if (length === undefined) return ended ? { status, headers, body: rest } : undefined;
  if (rest.length < Number(length)) {
    if (ended) throw new Error('Docker ended its answer early');
    return undefined;
  }
  return { status, headers, body: rest.subarray(0, Number(length)) };
}

/**
 * The body of a chunked answer: each chunk's size in hex on a line, the bytes, and a size of 0 to
 * end; undefined when the end has not come.
 */
function unchunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16); // a ";extension" is ignored
    if (Number.isNaN(size)) throw new Error('Docker sent a chunk without a size');
    if (size === 0) return Buffer.concat(parts);
    if (lineEnd + 2 + size > data.length) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
