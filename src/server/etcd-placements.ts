// The placements kept in etcd, mirrored into this server's PlacementBook: each under
//   <prefix>placement/<service>   {"service", "target", "cause", "by", "since", ...}
// WITHOUT a lease, so that it outlives every session and every restart of every server. Its revision
// is etcd's own version of the key (one more per write), so a conditional `place` is one comparison
// in the transaction that writes the whole batch, all or none. Not under `p/`, which holds provisions.
// What etcd holds is read with the wire's own schema: anyone who can write to etcd is one more client.

import { type Place, type Placement, PlacementSchema } from '../protocol/placement.ts';
import type { EtcdClient } from './etcd-client.ts';
import { EtcdRecordMirror } from './etcd-record-mirror.ts';
import { conflict, type PlacementBook, type Placer } from './placement-book.ts';

/** Where placements live under the prefix. */
export const PLACEMENT_DIR = 'placement/';

export class EtcdPlacements extends EtcdRecordMirror<Placement> {
  constructor(
    private readonly etcd: EtcdClient,
    prefix: string,
    protected override readonly book: PlacementBook,
  ) {
    super(prefix, book, {
      dir: PLACEMENT_DIR,
      schema: PlacementSchema,
      of: (service) => `the placement of ${service}`,
      plural: 'placements',
    });
  }

  /**
   * Writes `places` in one transaction, each conditional one compared on its key's version; the
   * mirror has them once etcd answers. Throws `conflict` for the first whose revision is not etcd's.
   */
  async place(places: readonly Place[], placer: Placer): Promise<Placement[]> {
    this.book.checkRoom(places);
    const conditional = places.filter((place) => place.revision !== undefined);
    const values = places.map(({ revision: _condition, ...place }) => ({ ...place, ...placer }));
    const result = await this.etcd.putIf(
      conditional.map((place) => ({ key: this.keyOf(place.service), version: place.revision! })),
      values.map((value) => ({ key: this.keyOf(value.service), value: JSON.stringify(value) })),
    );
    if (!result.written) {
      for (const place of conditional) {
        const now = result.now.find((kv) => kv.key === this.keyOf(place.service));
        if ((now?.version ?? 0) === place.revision) continue;
        const stored = now && this.read(place.service, now);
        throw conflict(place, typeof stored === 'object' ? stored : undefined);
      }
      // Each held when etcd read them back: another write came between; the client may ask again.
      throw conflict(conditional[0]!, this.book.get(conditional[0]!.service));
    }
    return values.map((value, at) => {
      const kv = { key: this.keyOf(value.service), value: JSON.stringify(value), modRevision: result.revision, lease: '0' };
      const version = (result.before[at]?.version ?? 0) + 1;
      this.apply({ type: 'put', kv: { ...kv, version } });
      return { ...value, revision: version };
    });
  }
}
