import type { ConsolaInstance } from 'consola';
import type { Engine } from '../docker/engine.ts';
import type { Plan } from '../manifest/compile.ts';

/** Builds every image of the plan that is not there yet; the tag is the content hash, so "there" means "current". */
export async function buildImages(engine: Engine, plan: Plan, logger: ConsolaInstance): Promise<void> {
  for (const service of plan.services) {
    const { tag } = service.image;
    if (await engine.imageExists(tag)) {
      logger.info(`${service.role}: ${tag} is up to date`);
      continue;
    }
    logger.start(`${service.role}: building ${tag}`);
    await engine.build(service.image, (line) => logger.debug(`${service.role}: ${line}`));
    logger.success(`${service.role}: built ${tag}`);
  }
}
