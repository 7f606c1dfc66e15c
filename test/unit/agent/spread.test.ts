// A spread service on the agent's fast rig: the agent runs the instances its spread assigns to its
// host, takes a dead zone's share when that zone's host leaves (and says the zone is missing), and
// hands an instance back once the host it is assigned to serves it. The members are a list the
// test changes, read by the real SpreadHere. test/integration/spread.test.ts runs two agents on Docker.

import { afterEach, describe, expect, it } from 'vitest';
import { hostLabel } from '../../../src/agent/identity.ts';
import { SpreadHere } from '../../../src/agent/spread-here.ts';
import { instancesOn, spreadInstances } from '../../../src/placement/spread.ts';
import type { Member } from '../../../src/protocol/member.ts';
import { downAgents, rig } from '../../helpers/agent-rig.ts';
import { service } from '../../helpers/compiled.ts';
import { quietLogger, recordingLogger } from '../../helpers/logging.ts';
import { eventually } from '../../helpers/wait.ts';

afterEach(downAgents);

const me = hostLabel();
const other = me === 'h-b' ? 'h-c' : 'h-b';
const web = () => service('web', { provides: [{ endpoint: 'http', port: 8080 }], replicas: 4, spread: { by: 'zone', over: ['a', 'b'] } });
const member = (host: string, zone: string, phase: Member['phase'] = 'running'): Member => ({
  id: `id-${host}`,
  since: new Date(0).toISOString(),
  updated: new Date(0).toISOString(),
  host,
  project: 'one',
  address: '192.0.2.9',
  stack: 'shop',
  environment: 'test',
  attrs: { zone },
  version: 'test',
  phase,
  services: [],
});
const running = (engine: { containers: Map<string, { spec: { name: string }; running: boolean }> }) =>
  [...engine.containers.values()]
    .filter((c) => c.running)
    .map((c) => c.spec.name)
    .sort();
const nameOf = (instance: number) => (instance === 1 ? 'scs-shop-test-web' : `scs-shop-test-web-${instance}`);

describe('a spread service', () => {
  it("runs the instances assigned to its host, takes a missing zone's share, and hands them back once served there", async () => {
    let members = [member(other, 'b')];
    const spread = new SpreadHere({
      me: { host: me, attrs: { zone: 'a' } },
      list: async () => members,
      onConnected: () => () => {},
      placementOf: () => undefined,
      logger: quietLogger,
      everyMs: 20,
    });
    const { engine, agent, disco } = rig([web()], { spread });
    await agent.up();
    const both = spreadInstances('web', 4, { by: 'zone' }, [
      { host: me, attrs: { zone: 'a' } },
      { host: other, attrs: { zone: 'b' } },
    ]);
    const here = instancesOn(both, me);
    expect(here).toHaveLength(2);
    expect(running(engine)).toEqual(here.map(nameOf).sort());
    expect(agent.member().services.map((s) => s.spread)).toEqual([
      { by: 'zone', missing: [] },
      { by: 'zone', missing: [] },
    ]);

    // Zone b's only host goes: its two instances start here, and the record says b is missing.
    members = [member(other, 'b', 'stopping')];
    await eventually(() => running(engine).length === 4, 5000, 'all four instances here');
    expect(running(engine)).toEqual([1, 2, 3, 4].map(nameOf).sort());
    await eventually(() => agent.member().services.every((s) => s.spread?.missing.join() === 'b'), 5000, 'b said missing');

    // It comes back: its instances keep serving here until it serves them (make before break).
    members = [member(other, 'b')];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running(engine)).toHaveLength(4);
    await disco.place('http.web.shop.test', '192.0.2.9', 40000);
    await eventually(() => running(engine).length === 2, 5000, 'the two instances handed back');
    expect(running(engine)).toEqual(here.map(nameOf).sort());
    spread.close();
  });

  it('runs none of a service its host may not run, and every instance when it is the only host', async () => {
    const spread = new SpreadHere({
      me: { host: me, attrs: { zone: 'c' } },
      list: async () => [member(other, 'b')],
      onConnected: () => () => {},
      placementOf: () => undefined,
      logger: quietLogger,
    });
    const { engine, agent } = rig([web()], { spread });
    await agent.up();
    // Zone c is not among over's a and b: host b runs all four, this one none; a is missing.
    expect(running(engine)).toEqual([]);
    const alone = new SpreadHere({
      me: { host: me, attrs: { zone: 'a' } },
      list: async () => [],
      onConnected: () => () => {},
      placementOf: () => undefined,
      logger: quietLogger,
    });
    const second = rig([web()], { spread: alone, project: 'two' });
    await second.agent.up();
    expect(running(second.engine)).toEqual([1, 2, 3, 4].map(nameOf).sort());
    alone.close();
    spread.close();
  });

  it('says once that the members cannot be read with a token that may not observe them, and runs every instance', async () => {
    const recorded = recordingLogger();
    const refused = Object.assign(new Error('this token may not observe *.*.shop.test'), { code: 'forbidden' });
    const spread = new SpreadHere({
      me: { host: me, attrs: { zone: 'a' } },
      list: () => Promise.reject(refused),
      onConnected: () => () => {},
      placementOf: () => undefined,
      logger: recorded.logger,
      everyMs: 10,
    });
    const { engine, agent } = rig([web()], { spread });
    await agent.up();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running(engine)).toHaveLength(4);
    expect(recorded.lines('warn')).toEqual([
      'the members of the stack cannot be read here (this token may not observe *.*.shop.test): a spread service runs as if this host were alone',
    ]);
    spread.close();
  });
});
