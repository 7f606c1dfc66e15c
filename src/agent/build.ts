import { stripVTControlCharacters } from 'node:util';
import type { ConsolaInstance } from 'consola';
import { colourWanted } from '../colour.ts';
import type { Engine } from '../docker/engine.ts';
import { LABEL } from '../docker/labels.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import type { AgentMeter } from './meter.ts';

/** How many lines of a failed step's output the error shows: the end is where the cause is. */
const FAILED_STEP_LINES = 40;

/**
 * Follows one image's build output: which step runs now, and what that step printed, so a
 * failure can show the failing step's own output without --debug.
 */
export class BuildProgress {
  step: string | undefined;
  private output: string[] = [];

  /** `plain`: strip ANSI escapes (for files such as agent.log, which no terminal colours). */
  constructor(private readonly plain: boolean) {}

  /** Takes one event's text; returns the new step when this text starts one. */
  feed(text: string): string | undefined {
    let started: string | undefined;
    for (const raw of text.split(/\r?\n/)) {
      const line = this.plain ? stripVTControlCharacters(raw) : raw;
      // The classic builder says `Step 2/5 : RUN make`; its own bookkeeping lines are not output.
      const step = /^Step (\d+\/\d+) : (.*)$/.exec(line.trim());
      if (step) {
        this.step = `step ${step[1]}: ${step[2]}`;
        this.output = [];
        started = this.step;
      } else if (line.trim() && !/^ ---> |^Removing intermediate container |^Successfully (built|tagged) /.test(line.trim())) {
        this.output.push(line.trimEnd());
        if (this.output.length > FAILED_STEP_LINES) this.output.shift();
      }
    }
    return started;
  }

  /** The error for a failed build: the step, Docker's reason, and the step's last lines. */
  failure(tag: string, reason: string): string {
    const why = this.plain ? stripVTControlCharacters(reason) : reason;
    const output = this.output;
    const at = this.step ? ` at ${this.step}` : '';
    return `building ${tag} failed${at}: ${why.replace(/^building \S+ failed: /, '')}${output.length ? `\n${output.map((line) => `  | ${line}`).join('\n')}` : ''}`;
  }
}

/** Builds every image of the compiled stack that is not there yet; the tag is the content hash, so "there" means "current". */
export async function buildImages(
  engine: Pick<Engine, 'imageExists' | 'build'>,
  compiled: CompiledStack,
  logger: ConsolaInstance,
  plain = !colourWanted(),
  meter?: Pick<AgentMeter, 'built'>,
  /** sayCurrent false: an image that is there is said at debug level only (the agent, after `scs up` built and said so). */
  { sayCurrent = true }: { sayCurrent?: boolean } = {},
): Promise<void> {
  for (const service of compiled.services) {
    const { tag } = service.image;
    if (await engine.imageExists(tag)) {
      if (sayCurrent) logger.info(`${service.name}: ${tag} is up to date`);
      else logger.debug(`${service.name}: ${tag} is up to date`);
      continue;
    }
    logger.start(`${service.name}: building ${tag}`);
    const progress = new BuildProgress(plain);
    try {
      await engine.build(
        service.image,
        (line) => {
          const step = progress.feed(line);
          if (step) logger.info(`${service.name}: ${step}`);
          else logger.debug(`${service.name}: ${line}`);
        },
        { [LABEL.stack]: compiled.stack },
      );
    } catch (error) {
      meter?.built(false);
      throw new Error(`${service.name}: ${progress.failure(tag, (error as Error).message)}`);
    }
    meter?.built(true);
    logger.success(`${service.name}: built ${tag}`);
  }
}
