// A TCP proxy on loopback whose connections a test can cut, to play a network failure.

import { connect, createServer, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (inbound) => {
      if (proxy.refusing) return void inbound.destroy();
      const outbound = connect({ host: '127.0.0.1', port: targetPort });
      const pair: [Socket, Socket] = [inbound, outbound];
      proxy.pairs.add(pair);
      inbound.pipe(outbound).pipe(inbound);
      const end = () => {
        inbound.destroy();
        outbound.destroy();
        proxy.pairs.delete(pair);
      };
      inbound.on('error', end).on('close', end);
      outbound.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Connections carried now. */
  get connections(): number {
    return this.pairs.size;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  cut(): void {
    for (const [inbound, outbound] of this.pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    this.pairs.clear();
  }

  /** Cuts every connection and turns new ones away, until `heal`: a link that is down, not just reset. */
  isolate(): void {
    this.refusing = true;
    this.cut();
  }

  heal(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
