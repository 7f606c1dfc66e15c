// What an agent adds to what it was given, by placement: a service moved to its host by name, and
// nothing another agent of the stack on the same host claimed (two projects on one daemon).

import { createConsola } from 'consola';
import { describe, expect, it } from 'vitest';
import { type PlacementBoard, PlacementHere } from '../../../src/agent/placement-here.ts';
import type { Placement } from '../../../src/protocol/placement.ts';
import { service } from '../../helpers/compiled.ts';

const placed = (name: string, cause: Placement['cause']): Placement => ({
  service: `${name}.hello.dev`,
  target: { host: 'h1' },
  cause,
  by: 'test',
  since: '2026-12-07T10:00:00.000Z',
  revision: 1,
});

function here(placements: Placement[]): PlacementHere {
  const board: PlacementBoard = {
    current: () => new Map(placements.map((p) => [p.service, p])),
    place: async () => [],
    onChange: () => () => {},
    heldElsewhere: async () => false,
  };
  return new PlacementHere(board, { host: 'h1', attrs: {} }, (name) => `${name}.hello.dev`, createConsola({ level: -999 }));
}

describe('the services an agent runs besides those it was given', () => {
  const services = ['web', 'client', 'db', 'backup'].map((name) => service(name));
  it('are those moved to its host by name, or placed back there; not those claimed or placed by the files', () => {
    const agent = here([placed('web', 'move'), placed('client', 'claim'), placed('db', 'rollback'), placed('backup', 'files')]);
    expect(agent.namedHere(services)).toEqual(['web', 'db']);
  });
});
