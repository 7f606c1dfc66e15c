// The disco an agent joins: the stack's own, embedded, when none is configured; and, for one it
// joins, the session an earlier agent left in the state folder, resumed, and this one's kept there
// for the agent after it.

import type { ConsolaInstance } from 'consola';
import type { SessionRecord } from '../client/client.ts';

/**
 * The stack's own disco, on loopback: only its agent, with the token kept in the state folder, may
 * provide and place; anyone on the host may require, list and observe (`scs status`, `scs events`), as anyone may ask its DNS.
 */
export async function startEmbeddedDisco(
  logger: ConsolaInstance,
  stateFolder: string,
): Promise<{ disco: string; dns: string; token: string; close(): Promise<void> }> {
  const [{ runDisco, EMBEDDED_DISCO }, { makeDiscoToken }, { EVERY_NAME }] = await Promise.all([
    import('../server/run-disco.ts'),
    import('./disco-token.ts'),
    import('../server/scopes.ts'),
  ]);
  const { token, file } = makeDiscoToken(stateFolder);
  const running = await runDisco({
    ...EMBEDDED_DISCO,
    tokens: [{ token, where: file, provide: [EVERY_NAME], require: [EVERY_NAME], observe: [EVERY_NAME], place: [EVERY_NAME] }],
    anonymous: { provide: [], require: [EVERY_NAME], observe: [EVERY_NAME] },
  });
  logger.info(`embedded disco on ${running.disco}, DNS on ${running.dnsAddress}; its token is in ${file}`);
  return { disco: running.disco, dns: running.dnsAddress!, token, close: () => running.close() };
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
