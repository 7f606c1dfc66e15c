// The instances records kept in etcd, mirrored into this server's InstancesBook: each under
//   <prefix>instances/<service>   {"service", "replicas", "drained", "by", "since"}
// WITHOUT a lease, so that it outlives every session and every restart of every server, as a
// placement does (etcd-placements.ts). Its revision is etcd's own version of the key. A `scale` or
// `drain` is a change to what is stored, so each write is conditional on the version it was made
// from: one that lost a race is made again from what etcd holds now, a few times at most.
// What etcd holds is read with the wire's own schema: anyone who can write to etcd is one more client.

import { ErrorCode, ProtocolError } from '../protocol/errors.ts';
import { type Instances, type InstancesEdit, InstancesSchema, type Setter } from '../protocol/instances.ts';
import type { EtcdClient } from './etcd-client.ts';
import { EtcdRecordMirror } from './etcd-record-mirror.ts';
import type { InstancesBook } from './instances-book.ts';

/** Where instances records live under the prefix. */
export const INSTANCES_DIR = 'instances/';

/** A change that lost this many races in a row is given up, with `conflict`: the client may ask again. */
const MAX_TRIES = 5;

export class EtcdInstances extends EtcdRecordMirror<Instances> {
  constructor(
    private readonly etcd: EtcdClient,
    prefix: string,
    protected override readonly book: InstancesBook,
  ) {
    super(prefix, book, {
      dir: INSTANCES_DIR,
      schema: InstancesSchema,
      of: (service) => `the instances of ${service}`,
      plural: 'instances records',
    });
  }

  /** Makes each edit of what etcd holds and writes them in one transaction, all or none; the mirror has them once etcd answers. */
  async edit(edits: readonly InstancesEdit[], setter: Setter): Promise<Instances[]> {
    let stored = (service: string) => this.book.get(service);
    let versionOf = (service: string) => this.book.get(service)?.revision ?? 0;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const records = this.book.made(edits, setter, stored);
      const values = records.map(({ revision: _revision, ...value }) => value);
      const result = await this.etcd.putIf(
        edits.map(({ service }) => ({ key: this.keyOf(service), version: versionOf(service) })),
        values.map((value) => ({ key: this.keyOf(value.service), value: JSON.stringify(value) })),
      );
      if (result.written) {
        return values.map((value, at) => {
          const version = (result.before[at]?.version ?? 0) + 1;
          const kv = { key: this.keyOf(value.service), value: JSON.stringify(value), modRevision: result.revision, lease: '0', version };
          this.apply({ type: 'put', kv });
          return { ...value, revision: version };
        });
      }
      // Another write came first: made again from what etcd holds now (a value it cannot read counts as none).
      const now = new Map(result.now.map((kv) => [kv.key, kv]));
      stored = (service) => {
        const kv = now.get(this.keyOf(service));
        const read = kv && this.read(service, kv);
        return typeof read === 'object' ? read : undefined;
      };
      versionOf = (service) => now.get(this.keyOf(service))?.version ?? 0;
    }
    throw new ProtocolError(
      ErrorCode.conflict,
      `the instances of ${edits[0]?.service} changed ${MAX_TRIES} times while this was set: ask again`,
    );
  }
}
