// The zone views of one registry, kept up to date as it tells its changes: a view is built whole
// once, on the first question for its zone, then each change is applied to it (view.ts). A reader
// whose version moved without telling (none should) gets its views built afresh, never stale.

import type { RegistryReader } from '../registry/reader.ts';
import { buildZoneView, type LiveZoneView, type ViewOptions } from './view.ts';
import type { Zone } from './zones.ts';

export class RegistryViews {
  private readonly views = new Map<Zone, { view: LiveZoneView; version: number }>();

  constructor(
    private readonly registry: RegistryReader,
    private readonly options: ViewOptions,
  ) {
    registry.addListener((kind, provision) => {
      for (const kept of this.views.values()) {
        kept.view.apply(kind, provision);
        kept.version = registry.version;
      }
    });
  }

  of(zone: Zone): LiveZoneView {
    const kept = this.views.get(zone);
    if (kept && kept.version === this.registry.version) return kept.view;
    const view = buildZoneView(zone, this.registry.list(), this.options);
    this.views.set(zone, { view, version: this.registry.version });
    return view;
  }
}
