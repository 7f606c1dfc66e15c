// A reader of the local Docker Engine for the commands that only look (`scs ps`, `scs logs`): the
// Engine API over its Unix socket with node:http. dockerode (with gRPC, protobuf and ssh2 behind
// it) takes longer to load than these commands take to answer; what changes Docker stays in Engine.
// Only for a local socket: `dockerReader` gives Engine itself when DOCKER_HOST names another.

import { request } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { ContainerInfo, ContainerSummary } from '../agent/container-engine.ts';
import { DockerError } from './errors.ts';
import { containerInfoOf, containerSummaryOf, dockerSince, type InspectData, type ListData, labelFilter } from './mapping.ts';
import type { LogOptions } from './output.ts';

/** What `scs ps` and `scs logs` ask of Docker. */
export interface ReadEngine {
  ping(): Promise<void>;
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  volumeExists(name: string): Promise<boolean>;
  volumeOptions(name: string): Promise<Record<string, string> | undefined>;
  logs(id: string, options: LogOptions, onText: (text: string, stream: 'stdout' | 'stderr') => void): Promise<void>;
}

/** The light reader on the local socket; Engine when DOCKER_HOST is not a Unix socket. */
export async function dockerReader(env: NodeJS.ProcessEnv = process.env): Promise<ReadEngine> {
  const host = env.DOCKER_HOST;
  if (!host) return new DockerReader('/var/run/docker.sock');
  if (host.startsWith('unix://')) return new DockerReader(host.slice('unix://'.length));
  return new (await import('./engine.ts')).Engine();
}

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: Buffer;
}

/** Docker's own bound on an answer we wait for whole: a stuck daemon must not hang `scs ps`. */
const TIMEOUT_MS = 30_000;

export class DockerReader implements ReadEngine {
  constructor(private readonly socketPath: string) {}

  async ping(): Promise<void> {
    try {
      await this.get('/_ping');
    } catch (error) {
      throw new DockerError(`cannot reach the Docker Engine (${(error as Error).message}); is dockerd running? (scripts/start-docker)`);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labelFilter(labels) }));
    return (await this.json<ListData[]>(`/containers/json?all=1&filters=${filters}`)).map(containerSummaryOf);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const reply = await this.get(`/containers/${encodeURIComponent(id)}/json`, [404]);
    return reply.status === 404 ? undefined : containerInfoOf(JSON.parse(reply.body.toString('utf8')) as InspectData);
  }

  async volumeExists(name: string): Promise<boolean> {
    return (await this.volumeOptions(name)) !== undefined;
  }

  async volumeOptions(name: string): Promise<Record<string, string> | undefined> {
    const reply = await this.get(`/volumes/${encodeURIComponent(name)}`, [404]);
    if (reply.status === 404) return undefined;
    return (JSON.parse(reply.body.toString('utf8')) as { Options?: Record<string, string> | null }).Options ?? {};
  }

  /** What a container printed, each line led by its timestamp; following is Engine's (it streams). */
  async logs(id: string, options: LogOptions, onText: (text: string, stream: 'stdout' | 'stderr') => void): Promise<void> {
    if (options.follow) {
      const { Engine } = await import('./engine.ts');
      return new Engine().logs(id, options, onText);
    }
    const query = new URLSearchParams({ stdout: '1', stderr: '1', timestamps: '1' });
    if (options.tail !== undefined) query.set('tail', String(options.tail));
    if (options.sinceNs !== undefined) query.set('since', dockerSince(options.sinceNs));
    const reply = await this.get(`/containers/${encodeURIComponent(id)}/logs?${query}`);
    // A container with a terminal has one raw stream; the others' output comes in frames that say which.
    if (reply.type.includes('raw-stream')) return onText(reply.body.toString('utf8'), 'stdout');
    for (const frame of frames(reply.body)) onText(frame.text, frame.stream);
  }

  private async json<T>(path: string): Promise<T> {
    return JSON.parse((await this.get(path)).body.toString('utf8')) as T;
  }

  private get(path: string, accepted: readonly number[] = []): Promise<Reply> {
    return new Promise((resolve, reject) => {
      // servername '': on a socket there is no TLS name to work out, and working it out (net.isIP on
      // "localhost") compiles Node's IPv6 pattern, some 10 ms of every `scs ps`.
      const options = { socketPath: this.socketPath, servername: '', path, method: 'GET', timeout: TIMEOUT_MS };
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks);
          if (status >= 400 && !accepted.includes(status)) {
            const message = (() => {
              try {
                return (JSON.parse(body.toString('utf8')) as { message?: string }).message;
              } catch {
                return undefined;
              }
            })();
            return reject(
              new DockerError(`Docker answered ${status} to ${path.split('?')[0]}: ${message ?? body.toString('utf8').trim()}`),
            );
          }
          resolve({ status, type: String(res.headers['content-type'] ?? ''), body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from Docker in ${TIMEOUT_MS / 1000}s`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/**
 * Docker's multiplexed output: frames of a header (stream, 3 zero bytes, big-endian length) and the
 * bytes. A character cut between two frames of a stream is joined again.
 */
export function* frames(body: Buffer): Generator<{ stream: 'stdout' | 'stderr'; text: string }> {
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  let at = 0;
  while (at + 8 <= body.length) {
    const size = body.readUInt32BE(at + 4);
    const stream = body[at] === 2 ? 'stderr' : 'stdout';
    const text = decoders[stream].write(body.subarray(at + 8, at + 8 + size));
    if (text) yield { stream, text };
    at += 8 + size;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = decoders[stream].end();
    if (rest) yield { stream, text: rest };
  }
}
