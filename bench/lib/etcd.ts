// etcd as a peer for the fan-out measurement: its v3 JSON gateway, prefix watches over HTTP streams.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { portsOutsideEphemeral, retryOnAddressInUse } from '../../test/helpers/ports.ts';
import { startProcess } from './processes.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

export class Etcd {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  /**
   * Its data lives on tmpfs, so the comparison is of notification, not of the disk's fsync. etcd takes
   * port numbers only: two from outside the ephemeral range, others while one is taken.
   */
  static start(): Promise<Etcd> {
    return retryOnAddressInUse(() => {
      const [port, peer] = portsOutsideEphemeral(2) as [number, number];
      return Etcd.startOn(port, peer);
    });
  }

  private static async startOn(port: number, peer: number): Promise<Etcd> {
    const dataDir = mkdtempSync('/dev/shm/scs-bench-etcd-');
    const { child } = await startProcess(
      'etcd',
      [
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        `http://127.0.0.1:${port}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${port}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${peer}`,
      ],
      /ready to serve client requests/,
    ).catch((error) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    });
    return new Etcd(child, dataDir, port);
  }

  async post(path: string, body: unknown): Promise<unknown> {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, method: 'POST', agent: this.agent }, (res) => {
        let data = '';
        res
          .setEncoding('utf8')
          .on('data', (chunk) => (data += chunk))
          .on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    return JSON.parse(text);
  }

  put(key: string, value: string): Promise<unknown> {
    return this.post('/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  delete(key: string): Promise<unknown> {
    return this.post('/v3/kv/deleterange', { key: b64(key) });
  }

  /** Watches every key under `prefix`; calls `onEvent` with PUT or DELETE. Resolves once created. */
  watch(prefix: string, onEvent: (type: 'PUT' | 'DELETE') => void): Promise<() => void> {
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path: '/v3/watch', method: 'POST', agent: new Agent() }, (res) => {
        let buffer = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          let at: number;
          while ((at = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, at).trim();
            buffer = buffer.slice(at + 1);
            if (!line) continue;
            const result = JSON.parse(line).result ?? {};
            if (result.created) resolve(() => req.destroy());
            for (const event of result.events ?? []) onEvent(event.type === 'DELETE' ? 'DELETE' : 'PUT');
          }
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ create_request: { key: b64(prefix), range_end: b64(end) } }));
    });
  }

  /** etcd's process, for its memory and CPU. */
  get pid(): number {
    return this.child.pid!;
  }

  stop(): void {
    this.child.kill('SIGKILL');
    this.agent.destroy();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
