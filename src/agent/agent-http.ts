// An agent's HTTP listener: /health, /ready (its disco session is up and its stack is up) and
// /metrics. It has no tokens of its own, so it listens on loopback unless told --http-insecure
// (cli/agent-options.ts); every route is open to whoever reaches it.

import type { ConsolaInstance } from 'consola';
import { formatHostPort, type HostPort } from '../address.ts';
import { UserError } from '../errors.ts';
import { HttpListener } from '../http/listener.ts';
import { RouteTable, textReply } from '../http/routes.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { metricsRoute } from '../metrics/exposition.ts';
import type { AgentState } from './state.ts';

export interface AgentHttpParts {
  readonly address: HostPort;
  readonly metrics: AgentMetrics;
  readonly state: () => AgentState;
  readonly discoUp: () => boolean;
  readonly logger: ConsolaInstance;
  /** Where the line that says where it listens goes (the agent's own log). */
  readonly said: ConsolaInstance;
}

export async function startAgentHttp(parts: AgentHttpParts): Promise<{ listener: HttpListener; routes: RouteTable }> {
  parts.metrics.attach(parts.state, parts.discoUp);
  const routes = new RouteTable()
    .add('/health', { access: 'open', reply: () => textReply(200, 'ok') })
    .add('/ready', {
      access: 'known',
      reply: () => {
        if (!parts.discoUp()) return textReply(503, 'the disco session is not up');
        const phase = parts.state().phase;
        return phase === 'running' ? textReply(200, 'ready') : textReply(503, `the stack is ${phase}`);
      },
    })
    .add('/metrics', metricsRoute(parts.metrics.registry));
  const listener = new HttpListener(routes, { host: parts.address.host, port: parts.address.port, logger: parts.logger });
  try {
    await listener.listen();
  } catch (error) {
    throw new UserError(`cannot serve HTTP on ${formatHostPort(parts.address.host, parts.address.port)}: ${(error as Error).message}`);
  }
  const { address, port } = listener.address();
  parts.said.info(`http on ${formatHostPort(address, port)}: /health, /ready, /metrics`);
  return { listener, routes };
}
