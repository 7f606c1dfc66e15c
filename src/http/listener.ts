// The one HTTP listener of a process (disco's, an agent's): GET and HEAD on the routes its owner
// registered, nothing else. It trusts nothing from outside: headers are bounded in size and time,
// requests carry no body, connections are counted in total and by source, and a reader too slow to
// take a reply is cut off rather than buffered for.

import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type ConsolaInstance, consola } from 'consola';
import { type HttpTokens, refusal } from './auth.ts';
import { type HttpReply, type RouteTable, textReply } from './routes.ts';

export interface HttpListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Without them, every route is open: only a loopback address may be without (settings.ts). */
  readonly tokens?: HttpTokens;
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /** The request line and headers together. */
  readonly maxHeaderBytes: number;
  /** Time to send the headers once connected; time a kept-alive connection may sit idle. */
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Time a reader has to take a whole reply; past it the connection is cut. */
  readonly sendTimeoutMs: number;
  /** What a stream may hold unsent for a slow reader before it is cut. */
  readonly maxBufferedBytes: number;
  readonly logger: ConsolaInstance;
}

export const defaultHttpOptions: Omit<HttpListenerOptions, 'host' | 'port'> = {
  maxConnections: 64,
  maxConnectionsPerSource: 16,
  maxHeaderBytes: 8192,
  headersTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  sendTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  logger: consola.withTag('http'),
};

const TOO_MANY = 'too many connections\n';
const TOO_MANY_RESPONSE = `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${TOO_MANY.length}\r\n\r\n${TOO_MANY}`;

export class HttpListener {
  readonly options: HttpListenerOptions;
  /** Sockets are admitted here, counted, and only then handed to the HTTP parser. */
  private readonly gate: Server;
  private readonly http: HttpServer;
  private readonly sockets = new Set<Socket>();
  private readonly bySource = new Map<string, number>();

  constructor(
    private readonly routes: RouteTable,
    options: Partial<HttpListenerOptions> & Pick<HttpListenerOptions, 'host' | 'port'>,
  ) {
    this.options = { ...defaultHttpOptions, ...options };
    const { maxHeaderBytes, headersTimeoutMs, idleTimeoutMs } = this.options;
    this.http = createHttpServer(
      {
        maxHeaderSize: maxHeaderBytes,
        headersTimeout: headersTimeoutMs,
        requestTimeout: headersTimeoutMs,
        keepAliveTimeout: idleTimeoutMs,
        // Node checks the two timeouts above this often; its default (30 s) would let them run long.
        connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
      },
      (request, response) => void this.onRequest(request, response),
    );
    this.http.setTimeout(idleTimeoutMs, (socket) => socket.destroy());
    this.gate = createServer((socket) => this.admit(socket));
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.gate.once('error', reject);
      this.gate.listen(this.options.port, this.options.host, () => {
        this.gate.off('error', reject);
        resolve();
      });
    });
    // The HTTP server itself never listens (the gate does), so Node would not start the timer that
    // enforces its header and request timeouts: 'listening' is what starts it.
    this.http.emit('listening');
    return this.address();
  }

  address(): AddressInfo {
    return this.gate.address() as AddressInfo;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.gate.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.http.close(() => {});
    await closed;
  }

  private admit(socket: Socket): void {
    const source = socket.remoteAddress ?? '';
    const fromSource = this.bySource.get(source) ?? 0;
    if (this.sockets.size >= this.options.maxConnections || fromSource >= this.options.maxConnectionsPerSource) {
      this.options.logger.debug(`refused a connection from ${source}: too many connections`);
      socket.on('error', () => {});
      socket.end(TOO_MANY_RESPONSE);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.sockets.add(socket);
    this.bySource.set(source, fromSource + 1);
    socket.once('close', () => {
      this.sockets.delete(socket);
      const left = (this.bySource.get(source) ?? 1) - 1;
      if (left === 0) this.bySource.delete(source);
      else this.bySource.set(source, left);
    });
    this.http.emit('connection', socket);
  }

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) {
      return this.send(response, { ...textReply(405, 'only GET and HEAD are served here'), headers: { allow: 'GET, HEAD' } }, head);
    }
    const length = request.headers['content-length'];
    if ((length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined) {
      // The body is not read: the connection goes with the reply.
      response.shouldKeepAlive = false;
      return this.send(response, textReply(413, 'requests here carry no body'), head);
    }
    const route = this.routes.find(request.url ?? '/');
    if (!route) return this.send(response, textReply(404, 'no such page'), head);
    const refused = refusal(route.access, request.headers, this.options.tokens);
    if (refused) return this.send(response, refused, head);
    if (route.stream) return route.stream(request, response, (chunk) => this.write(response, chunk));
    let reply: HttpReply;
    try {
      reply = await route.reply!(request);
    } catch (error) {
      this.options.logger.error(error);
      reply = textReply(500, 'the page could not be made');
    }
    this.send(response, reply, head);
  }

  private send(response: ServerResponse, reply: HttpReply, head: boolean): void {
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
    response.writeHead(reply.status, {
      'content-type': reply.type,
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    });
    response.end(head ? undefined : body);
    this.deadline(response);
  }

  /** A stream's writer: a reader that lets more than maxBufferedBytes pile up is cut off. */
  private write(response: ServerResponse, chunk: string): boolean {
    if (response.destroyed) return false;
    if (response.writableLength + chunk.length > this.options.maxBufferedBytes) {
      this.options.logger.debug('cut off a reader that fell behind a stream');
      response.destroy();
      return false;
    }
    response.write(chunk);
    return true;
  }

  private deadline(response: ServerResponse): void {
    if (response.writableFinished) return;
    const timer = setTimeout(() => response.destroy(), this.options.sendTimeoutMs).unref();
    response.once('finish', () => clearTimeout(timer));
    response.once('close', () => clearTimeout(timer));
  }
}
