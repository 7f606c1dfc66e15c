// The disco an agent joins: the stack's own, embedded, when none is configured; for one it joins,
// the session an earlier agent left in the state folder, resumed, and this one's kept there for the
// agent after it; and what the agent keeps telling and reading there: its member record, the
// placement it follows, and its stack's instances records (counts, drains).

import type { ConsolaInstance } from 'consola';
import type { DiscoClient, SessionRecord } from '../client/client.ts';
import type { Agent } from './agent.ts';
import type { InstancesHere } from './instances-here.ts';
import type { MemberReport } from './member-report.ts';
import type { PlacementHere } from './placement-here.ts';
import type { RunAgentOptions } from './run-agent.ts';
import type { SpreadHere } from './spread-here.ts';

/**
 * The stack's own disco, on loopback: only its agent, with the token kept in the state folder, may
 * provide and place; anyone on the host may require, list and observe (`scs status`, `scs events`), as anyone may ask its DNS.
 */
export async function startEmbeddedDisco(
  logger: ConsolaInstance,
  stateFolder: string,
): Promise<{ disco: string; dns: string; token: string; close(): Promise<void> }> {
  const [{ runDisco, EMBEDDED_DISCO }, { makeDiscoToken }, { EVERY_NAME }, { keepInstances }] = await Promise.all([
    import('../server/run-disco.ts'),
    import('./disco-token.ts'),
    import('../server/scopes.ts'),
    import('./kept-instances.ts'),
  ]);
  const { token, file } = makeDiscoToken(stateFolder);
  const running = await runDisco({
    ...EMBEDDED_DISCO,
    tokens: [{ token, where: file, provide: [EVERY_NAME], require: [EVERY_NAME], observe: [EVERY_NAME], place: [EVERY_NAME] }],
    anonymous: { provide: [], require: [EVERY_NAME], observe: [EVERY_NAME] },
  });
  logger.info(`embedded disco on ${running.disco}, DNS on ${running.dnsAddress}; its token is in ${file}`);
  // Its drains and counts outlive it, as they would on a disco of their own (kept-instances.ts).
  const stopKeeping = keepInstances(running.server.instances.book, stateFolder, logger);
  const close = () => {
    stopKeeping();
    return running.close();
  };
  return { disco: running.disco, dns: running.dnsAddress!, token, close };
}

/** The disco session an earlier agent left in the state folder, and the means to keep this one's there. */
export async function keptSession(stateFolder: string, disco: string, logger: ConsolaInstance) {
  const { readSavedSession, saveSession, forgetSession } = await import('./disco-session.ts');
  const resume = readSavedSession(stateFolder, disco);
  if (resume) logger.info(`resuming the disco session of the agent before this one (${resume.session})`);
  return {
    options: {
      ...(resume ? { resume } : {}),
      onRecord: (record: SessionRecord) => {
        try {
          saveSession(stateFolder, disco, record);
        } catch (error) {
          logger.warn(`could not keep the disco session for the next agent: ${(error as Error).message}`);
        }
      },
    },
    connected(session: string | undefined) {
      if (resume && session !== resume.session) logger.info('that session had ended (away longer than the grace?): a new one was opened');
    },
    forget: () => forgetSession(stateFolder),
  };
}

/** The agent's member record at disco, kept current; sent again whenever the session comes back. */
export async function memberReport(from: {
  client: DiscoClient;
  options: RunAgentOptions;
  identity: { stack: string; environment: string; project: string; host: string };
  advertise: string;
  attrs: Record<string, string>;
  agent: () => Agent | undefined;
  logger: ConsolaInstance;
}): Promise<MemberReport> {
  const [{ MemberReport }, { stateMember }] = await Promise.all([import('./member-report.ts'), import('../client/members.ts')]);
  const { client, identity, advertise, attrs, logger } = from;
  const report = new MemberReport({
    build: () => ({
      ...identity,
      address: advertise,
      attrs,
      version: from.options.version ?? 'unknown',
      ...(from.agent()?.member() ?? { phase: 'starting', services: [] }),
    }),
    send: (record) => stateMember(client, record),
    logger,
  });
  client.on('connected', () => report.reconnected());
  return report;
}

/** The placement this agent follows, on its disco; none when it cannot be read (an older disco, a narrow token), which is said once. */
export async function placementHere(
  client: DiscoClient,
  identity: { stack: string; environment: string; host: string },
  attrs: Record<string, string>,
  logger: ConsolaInstance,
): Promise<(PlacementHere & { board: { close(): void } }) | undefined> {
  const [{ placementBoard }, { PlacementHere }] = await Promise.all([import('./placement-board.ts'), import('./placement-here.ts')]);
  let board: Awaited<ReturnType<typeof placementBoard>>;
  try {
    board = await placementBoard(client, identity);
  } catch (error) {
    // A disco older than placement, or a token that may neither observe nor provide the whole stack
    // (a per-service token, as in docs/production.md): the agent runs what it is given, as before.
    const code = (error as { code?: string }).code;
    if (code !== 'bad_request' && code !== 'forbidden') throw error;
    logger.warn(
      `the placement of ${identity.stack}.${identity.environment} cannot be read here (${(error as Error).message}): every service given runs here`,
    );
    return undefined;
  }
  const nameOf = (service: string) => `${service}.${identity.stack}.${identity.environment}`;
  return Object.assign(new PlacementHere(board, { host: identity.host, attrs }, nameOf, logger), { board });
}

/** The instances records this agent follows (counts, drains), on its disco; none when they cannot be read (an older disco, a narrow token), which is said once. */
export async function instancesHere(
  client: DiscoClient,
  identity: { stack: string; environment: string; host: string },
  logger: ConsolaInstance,
): Promise<(InstancesHere & { board: { close(): void } }) | undefined> {
  const [{ instancesBoard }, { InstancesHere }] = await Promise.all([import('./instances-board.ts'), import('./instances-here.ts')]);
  let board: Awaited<ReturnType<typeof instancesBoard>>;
  try {
    board = await instancesBoard(client, identity);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'bad_request' && code !== 'forbidden') throw error;
    logger.warn(
      `the instances of ${identity.stack}.${identity.environment} cannot be read here (${(error as Error).message}): no drain is followed, and replicas: is not kept`,
    );
    return undefined;
  }
  const nameOf = (service: string) => `${service}.${identity.stack}.${identity.environment}`;
  return Object.assign(new InstancesHere(board, identity.host, nameOf, logger), { board });
}

/** Which instances of a spread service run here (spread-here.ts), from the stack's live members at disco. */
export async function spreadHere(
  client: DiscoClient,
  identity: { stack: string; environment: string; host: string },
  attrs: Record<string, string>,
  given: readonly string[],
  placement: PlacementHere | undefined,
  logger: ConsolaInstance,
): Promise<SpreadHere> {
  const [{ SpreadHere }, { listMembers }] = await Promise.all([import('./spread-here.ts'), import('../client/members.ts')]);
  const stack = `${identity.stack}.${identity.environment}`;
  return new SpreadHere({
    me: { host: identity.host, attrs, ...(given.length > 0 ? { given } : {}) },
    list: () => listMembers(client, `*.*.${stack}`),
    onConnected: (listener) => {
      client.on('connected', listener);
      return () => client.off('connected', listener);
    },
    placementOf: (service) => placement?.board.current().get(`${service}.${stack}`),
    logger,
  });
}
