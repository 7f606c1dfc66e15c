// A placement file, as `scs place FILE` applies it: where each service of a stack should run, all
// moved at once. The quiet-hours layout and the day's are two such files.
//
//   stack: blog          # the stack here when absent
//   environment: prod
//   services:
//     db: h1
//     web: h1
//     backup: { host: h1, without-data: true }

import * as v from 'valibot';
import { loadYamlFile } from '../config/yaml.ts';
import { isLabel } from '../names.ts';

const LABEL = 'expected a name like "h1" (letters, digits and inner hyphens, at most 63)';
const Label = v.pipe(v.string(LABEL), v.check(isLabel, LABEL));

export const PlacementFileSchema = v.strictObject({
  stack: v.optional(Label),
  environment: v.optional(Label),
  services: v.pipe(
    v.record(
      Label,
      v.union(
        [Label, v.strictObject({ host: Label, 'without-data': v.optional(v.boolean('expected true or false'), false) })],
        'expected a host like "h1", or {host: h1, without-data: true}',
      ),
      'expected a map of services to hosts',
    ),
    v.check((services) => Object.keys(services).length > 0, 'expected at least one service'),
    v.check((services) => Object.keys(services).length <= 128, 'expected at most 128 services'),
  ),
});
export type PlacementFile = v.InferOutput<typeof PlacementFileSchema>;

/** Each service of the file with its host, and whether it may go without its data. */
export function readPlacementFile(file: string): PlacementFile {
  return loadYamlFile(file, PlacementFileSchema);
}

export function placesOf(file: PlacementFile): Array<{ service: string; to: string; withoutData: boolean }> {
  return Object.entries(file.services).map(([service, where]) =>
    typeof where === 'string'
      ? { service, to: where, withoutData: false }
      : { service, to: where.host, withoutData: where['without-data'] },
  );
}
