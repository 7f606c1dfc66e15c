// Which services of its stack this agent runs, by their desired placement in disco: it sets what
// the stack files place (unless a move changed it since, with the same files), claims the services
// with data that nobody holds yet (one writer), and says in one sentence why a service it was asked
// for runs elsewhere. The decisions are src/placement/; this is their I/O, through a PlacementBoard.

import type { ConsolaInstance } from 'consola';
import { UserError } from '../errors.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { dataOf } from '../placement/data.ts';
import { filesPlacement } from '../placement/files.ts';
import { verdict } from '../placement/here.ts';
import type { Place, PlacedMember, Placement } from '../protocol/placement.ts';
import { zoneOf } from '../registry/nearest.ts';

/** Disco's placements of one stack, as the agent reads and sets them. */
export interface PlacementBoard {
  /** Every stored placement of the stack, by service name (`service.stack.environment`). */
  current(): ReadonlyMap<string, Placement>;
  /** Sets them, all or none; a conditional one that lost a race fails with disco's `conflict` error. */
  place(places: readonly Place[]): Promise<Placement[]>;
  /** Calls `listener` after every change disco tells of, until the returned function is called. */
  onChange(listener: () => void): () => void;
  /** Whether an agent on another host still lists `service` (its name in the stack) as its own. */
  heldElsewhere(service: string): Promise<boolean>;
}

export class PlacementHere {
  /** Services whose verdict was last logged as elsewhere, so that a sentence is said once per change. */
  private readonly told = new Map<string, string>();

  constructor(
    readonly board: PlacementBoard,
    private readonly me: PlacedMember,
    private readonly nameOf: (service: string) => string,
    private readonly logger: ConsolaInstance,
  ) {}

  /**
   * Which of `services` run here. With `files`, the stack files' placements are set first; the
   * services `named` (as `scs up web` names them) must run here, or this throws why not.
   */
  async settle(services: readonly CompiledService[], { files = false, named = [] as readonly string[] } = {}): Promise<Set<string>> {
    if (files) await this.setFromFiles(services);
    const here = new Set<string>();
    for (const service of services) {
      let said = this.decide(service);
      if ('claim' in said) said = await this.claim(service);
      if ('run' in said) {
        here.add(service.name);
        this.told.delete(service.name);
        continue;
      }
      if (named.includes(service.name)) throw new UserError(said.elsewhere);
      if (this.told.get(service.name) !== said.elsewhere) this.logger.info(said.elsewhere);
      this.told.set(service.name, said.elsewhere);
    }
    return here;
  }

  /**
   * The services of `services` moved to this very host by name (`scs move`, or a move placed back):
   * they run here whatever the agent was given. A claim or the files' placement does not add one: the
   * agent that claimed it was given it, and another agent of the stack on this host (a second project
   * on one daemon) must not start a second copy of what it was not given.
   */
  namedHere(services: readonly CompiledService[]): string[] {
    const current = this.board.current();
    return services
      .filter((service) => {
        const stored = current.get(this.nameOf(service.name));
        return stored?.target.host === this.me.host && (stored.cause === 'move' || stored.cause === 'rollback');
      })
      .map((s) => s.name);
  }

  /** Whether `service` runs here by what is stored now; one still to claim does not yet. */
  runsHere(service: CompiledService): boolean {
    return 'run' in this.decide(service);
  }

  private decide(service: CompiledService) {
    return verdict(service, this.board.current().get(this.nameOf(service.name)), this.me);
  }

  private async setFromFiles(services: readonly CompiledService[]): Promise<void> {
    const { places, notes } = filesPlacement(services, this.board.current(), this.nameOf);
    if (places.length === 0) return;
    try {
      await this.board.place(places);
      for (const note of notes) this.logger.warn(note);
    } catch (error) {
      // Another host's agent set them a moment before, from the same files: what it set stands.
      if (!isConflict(error)) throw error;
      this.logger.debug(`the stack files' placement was set by another agent first: ${(error as Error).message}`);
    }
  }

  /** Places a service with data on this host, if nobody else did first: the lease of its one writer. */
  private async claim(service: CompiledService) {
    const name = this.nameOf(service.name);
    const stored = this.board.current().get(name);
    const data = dataOf(service)?.kind;
    const zone = zoneOf(this.me.attrs);
    try {
      await this.board.place([
        {
          service: name,
          target: { host: this.me.host, ...(stored?.target.attrs ? { attrs: stored.target.attrs } : {}) },
          cause: 'claim',
          ...(stored?.files === undefined ? {} : { files: stored.files }),
          ...(data ? { data } : {}),
          ...(data === 'follows' && zone ? { zone } : {}),
          revision: stored?.revision ?? 0,
        },
      ]);
      this.logger.info(`${service.name}: placed on host ${this.me.host}, which holds its data from now on`);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    // What disco holds now decides, whoever won.
    const said = this.decide(service);
    return 'claim' in said
      ? { elsewhere: `${service.name} could not be placed on host ${this.me.host}: another agent claimed it first` }
      : said;
  }
}

const isConflict = (error: unknown) => (error as { code?: string }).code === 'conflict';
