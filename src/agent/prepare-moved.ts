// What a service placed on this host later (a move here) needs before it starts: its image, and the
// data that follows it.

import type { ConsolaInstance } from 'consola';
import { consola } from 'consola';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { AgentEngine } from './run-agent.ts';

/**
 * Before a service placed here later starts: its image, built then (cached by hash, so quick when it
 * was built before), and what of its data follows it (an EBS volume, an ENI), taken over from the
 * agent it moved from: the move, ordered through disco, is the word that hands it over.
 */
export async function prepareMoved(
  compiled: CompiledStack,
  project: string,
  engine: AgentEngine,
  meter: Parameters<typeof import('./build.ts').buildImages>[4],
  logger: ConsolaInstance,
): Promise<void> {
  const [{ buildImages }, { dataOf }, { adoptServices }] = await Promise.all([
    import('./build.ts'),
    import('../placement/data.ts'),
    import('./adopt.ts'),
  ]);
  await buildImages(engine, compiled, consola.withTag('build'), undefined, meter);
  if (compiled.services.some((service) => dataOf(service)?.kind === 'follows'))
    await adoptServices({ compiled, project, logger, quiet: true });
}
