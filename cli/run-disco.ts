// A disco server and, unless DNS is off, its DNS front end over the same registry: what `scs disco`
// runs, and what `scs up` embeds when a stack names no disco. Either fails with one sentence, and a
// DNS that cannot listen takes the server down with it.

import { consola } from 'consola';
import { formatHostPort } from '../src/address.ts';
import type { DnsServer, DnsServerOptions } from '../src/dns/server.ts';
import type { DiscoServer, DiscoServerOptions } from '../src/server/server.ts';
import { UserError } from './common.ts';

export interface RunningDisco {
  readonly server: DiscoServer;
  readonly dns: DnsServer | undefined;
  /** HOST:PORT of the protocol listener, and of DNS when it runs. */
  readonly disco: string;
  readonly dnsAddress: string | undefined;
  close(): Promise<void>;
}

export async function runDisco(options: Partial<DiscoServerOptions>, dnsOptions: Partial<DnsServerOptions> | 'off'): Promise<RunningDisco> {
  const { DiscoServer } = await import('../src/server/server.ts');
  let server: DiscoServer;
  try {
    server = new DiscoServer({ logger: consola.withTag('disco'), ...options });
  } catch (error) {
    // Only TLS can fail here: a certificate or key that is not PEM, or a key that is not the certificate's.
    throw new UserError(`cannot use the TLS certificate and key: ${(error as Error).message}`);
  }
  const listen = formatHostPort(server.options.host, server.options.port);
  try {
    await server.listen();
  } catch (error) {
    throw new UserError(`cannot listen on ${listen}: ${(error as Error).message}`);
  }
  const { address, port } = server.address();
  const disco = formatHostPort(address, port);
  let dns: DnsServer | undefined;
  let dnsAddress: string | undefined;
  if (dnsOptions !== 'off') {
    const { DnsServer } = await import('../src/dns/server.ts');
    dns = new DnsServer(server.registry, { logger: consola.withTag('dns'), ...dnsOptions });
    try {
      const { udp } = await dns.listen();
      dnsAddress = formatHostPort(udp.address, udp.port);
    } catch (error) {
      await server.close();
      throw new UserError(
        `cannot serve DNS on ${formatHostPort(dnsOptions.host ?? '127.0.0.1', dnsOptions.port ?? 8600)}: ${(error as Error).message}`,
      );
    }
  }
  return {
    server,
    dns,
    disco,
    dnsAddress,
    close: async () => {
      await dns?.close();
      await server.close();
    },
  };
}
