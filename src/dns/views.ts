// The zone views of one registry, kept up to date as it tells its changes (view.ts). They are made
// with the DNS server, not on the first question: a registry that already holds many provisions
// then is read in slices, one turn of the event loop each, so that other clients are served while
// they are built, and a question for a zone waits for its view to be whole. After that, each change
// is applied as it comes. A reader whose version moved without telling (none should) gets its
// views built afresh, never stale.

import type { RegistryReader } from '../registry/reader.ts';
import type { Provision } from '../registry/types.ts';
import { LiveZoneView, type ViewNode, type ViewOptions } from './view.ts';
import type { Zone } from './zones.ts';

export interface ViewsOptions extends Omit<ViewOptions, 'gone' | 'held'> {
  /** Provisions added to the views in one turn of the event loop while they are built. */
  readonly slice: number;
  /** Told the names of a zone that stopped existing with one change; the array is reused once it returns. */
  readonly gone?: (zone: Zone, names: readonly ViewNode[]) => void;
  /** Whether a name of a zone that stopped existing is held still (kept, to be found by its owner). */
  readonly held?: (zone: Zone, name: ViewNode) => boolean;
}

/** A build under way: what is left of the registry as it was read, and the provisions changed since. */
interface Build {
  readonly provisions: Provision[];
  next: number;
  /** Told by the registry since the build began: already shown as they are now, not to be added again. */
  readonly settled: Set<string>;
  readonly done: Promise<void>;
  finish(): void;
}

export class RegistryViews {
  private views = new Map<Zone, LiveZoneView>();
  private version = 0;
  private build: Build | undefined;
  private stopped = false;
  /** Slices run so far: a count of turns, for tests. */
  slices = 0;

  constructor(
    private readonly registry: RegistryReader,
    private readonly zones: readonly Zone[],
    private readonly options: ViewsOptions,
  ) {
    registry.addListener((kind, provision) => {
      for (const view of this.views.values()) view.apply(kind, provision);
      this.build?.settled.add(provision.id);
      this.version = registry.version;
    });
    try {
      this.start();
    } catch {
      // Read again on the first question, where a failure costs that one answer.
    }
  }

  /** Whether every view is whole; until then, `built` tells when they are. */
  get ready(): boolean {
    if (!this.started) this.start();
    return this.build === undefined;
  }

  private started = false;

  private start(): void {
    this.version = this.registry.version;
    this.views = this.empty();
    const provisions = this.registry.listAnyOrder?.() ?? this.registry.list();
    this.started = true;
    if (provisions.length === 0) return;
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.build = { provisions, next: 0, settled: new Set(), done, finish };
    this.step();
  }

  /** Settles once every view is whole (or the views are stopped). */
  get built(): Promise<void> {
    return this.build?.done ?? Promise.resolve();
  }

  /** A zone's view: whole once `ready`, being built before. */
  of(zone: Zone): LiveZoneView {
    if (!this.started) this.start();
    if (this.build === undefined && this.version !== this.registry.version) {
      this.views = this.empty();
      for (const provision of this.registry.list()) for (const view of this.views.values()) view.apply('add', provision);
      this.version = this.registry.version;
    }
    return this.views.get(zone)!;
  }

  /** The name at `owner` in a zone's view as it is now, living or kept after it went; never builds anything. */
  known(zone: Zone, owner: string): ViewNode | undefined {
    return this.views.get(zone)?.names.known(owner);
  }

  /** Ends a build under way: its waiters are let go, and no more slices run. */
  stop(): void {
    this.stopped = true;
    this.end();
  }

  private empty(): Map<Zone, LiveZoneView> {
    const { nameServerAddresses, gone, held } = this.options;
    const views = new Map<Zone, LiveZoneView>();
    for (const zone of this.zones) {
      const options: ViewOptions = {
        nameServerAddresses,
        gone: gone && ((names) => gone(zone, names)),
        held: held && ((name) => held(zone, name)),
      };
      views.set(zone, new LiveZoneView(zone, options));
    }
    return views;
  }

  /** One slice of the build; the next one waits for a turn of the event loop of its own. */
  private step(): void {
    const build = this.build;
    if (!build || this.stopped) return;
    this.slices++;
    const end = Math.min(build.provisions.length, build.next + Math.max(1, this.options.slice));
    for (; build.next < end; build.next++) {
      const provision = build.provisions[build.next]!;
      if (build.settled.has(provision.id)) continue;
      for (const view of this.views.values()) view.apply('add', provision);
    }
    if (build.next < build.provisions.length) setImmediate(() => this.step());
    else this.end();
  }

  private end(): void {
    const build = this.build;
    this.build = undefined;
    build?.finish();
  }
}
