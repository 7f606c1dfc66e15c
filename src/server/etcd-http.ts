// POSTs to etcd's JSON gateway over node:http, or node:https with the cluster's CA and a client
// certificate (etcd's --client-cert-auth): Node 20's fetch takes no TLS options of its own.
// Connections are kept alive, as fetch kept them; what a member sends back is bounded.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** PEM text: the CA that signed the members' certificates, and this server's client certificate and key. */
export interface EtcdTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** A reply bigger than this is refused rather than held: etcd's own limit on a request is 1.5 MiB. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export class EtcdHttp {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https: HttpsAgent;

  constructor(tls: EtcdTls = {}) {
    this.https = new HttpsAgent({ keepAlive: true, ...tls });
  }

  /** Sends `body` as JSON; resolves once the status and headers are in, with the body still to read. */
  open(url: string, path: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const target = new URL(path, url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(target, {
        method: 'POST',
        agent: secure ? this.https : this.http,
        headers: { 'content-type': 'application/json', ...headers },
        signal,
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(JSON.stringify(body));
    });
  }

  /** Sends `body` and reads the whole JSON reply; throws when it is not JSON or too big. */
  async json(url: string, path: string, body: unknown, headers: Record<string, string>, signal: AbortSignal) {
    const response = await this.open(url, path, body, headers, signal);
    let text = '';
    response.setEncoding('utf8');
    for await (const chunk of response as AsyncIterable<string>) {
      text += chunk;
      if (text.length > MAX_REPLY_BYTES) {
        response.destroy();
        throw new Error(`the reply of ${url}${path} is over ${MAX_REPLY_BYTES} bytes`);
      }
    }
    return { status: response.statusCode ?? 0, body: JSON.parse(text) as unknown };
  }

  /** Closes the idle connections kept for the next call. */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
