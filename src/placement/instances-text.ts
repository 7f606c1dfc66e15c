// What `scs scale`, `scs drain`, `scs undrain` and `scs placement` say of an instances record. Pure.

import { formatDrain, type Instances } from '../protocol/instances.ts';

/** `3 (scs scale)`, `2 (files)`, or `-` when nothing set a count. */
export function replicasText(record: Instances | undefined): string {
  const replicas = record?.replicas;
  return replicas ? `${replicas.count} (${replicas.cause === 'scale' ? 'scs scale' : 'files'})` : '-';
}

/** `host h1, instance 2`, or `-` when nothing is drained. */
export function drainedText(record: Instances | undefined): string {
  return record?.drained.map(formatDrain).join(', ') || '-';
}

/** One line for a record as a verb left it: `web.blog.prod: replicas 3 (scs scale); drained: host h1`. */
export function recordLine(record: Instances): string {
  return `${record.service}: replicas ${replicasText(record)}; drained: ${record.drained.length === 0 ? 'nothing' : drainedText(record)}`;
}
