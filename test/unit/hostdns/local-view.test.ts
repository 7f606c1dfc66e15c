import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/client/client.ts';
import { type LocalEndpoint, LocalView } from '../../../src/hostdns/local-view.ts';
import { RegistryMirror } from '../../../src/hostdns/mirror.ts';

const endpoint = (id: string, name: string, host: string, port: number, attrs: Record<string, string> = {}): Endpoint => ({
  id,
  name,
  host,
  port,
  protocol: 'tcp',
  attrs,
});

const WEB = endpoint('p1', 'http.web.hello.dev', '172.17.0.1', 32768, { az: 'a' });
const DB = endpoint('p2', 'mysql.db.blog.prod', '10.0.0.5', 3306);

describe('the mirror of disco', () => {
  it('follows adds and drops, tells its listeners, and moves its version with each', () => {
    const mirror = new RegistryMirror();
    const heard: string[] = [];
    mirror.addListener((kind, provision) => heard.push(`${kind} ${provision.name} ${provision.address.host}:${provision.address.port}`));
    mirror.apply({ add: [WEB, DB], drop: [] });
    const before = mirror.version;
    mirror.apply({ add: [], drop: [WEB] });
    mirror.apply({ add: [], drop: [WEB] }); // Already gone: no news.
    expect(mirror.version).toBe(before + 1);
    expect(mirror.list().map((p) => p.name)).toEqual(['mysql.db.blog.prod']);
    expect(mirror.list()[0]!.attributes).toEqual({});
    expect(heard).toEqual([
      'add http.web.hello.dev 172.17.0.1:32768',
      'add mysql.db.blog.prod 10.0.0.5:3306',
      'drop http.web.hello.dev 172.17.0.1:32768',
    ]);
  });
});

describe('the local view (split horizon)', () => {
  function setup(local: LocalEndpoint[]) {
    const mirror = new RegistryMirror([WEB, DB]);
    const table = { local };
    const view = new LocalView(mirror, () => table.local);
    const heard: string[] = [];
    view.addListener((kind, provision) => heard.push(`${kind} ${provision.name} ${provision.address.host}:${provision.address.port}`));
    return { mirror, view, table, heard };
  }
  const webHere: LocalEndpoint = {
    name: 'http.web.hello.dev',
    advertised: { host: '172.17.0.1', port: 32768, protocol: 'tcp' },
    container: { host: '172.18.0.3', port: 8080, protocol: 'tcp' },
  };

  it("shows this host's containers at their container address and port, everything else as advertised", () => {
    const { view } = setup([webHere]);
    expect(view.list().map((p) => `${p.name} ${p.address.host}:${p.address.port}`)).toEqual([
      'http.web.hello.dev 172.18.0.3:8080',
      'mysql.db.blog.prod 10.0.0.5:3306',
    ]);
    expect(view.list()[0]!.attributes).toEqual({ az: 'a' });
  });

  it('matches by name, protocol and advertised address: the same port on another host stays as it is', () => {
    const { view } = setup([{ ...webHere, advertised: { host: '172.17.0.9', port: 32768, protocol: 'tcp' } }]);
    expect(view.list()[0]!.address).toEqual({ host: '172.17.0.1', port: 32768, protocol: 'tcp' });
    const { view: udp } = setup([{ ...webHere, advertised: { ...webHere.advertised, protocol: 'udp' } }]);
    expect(udp.list()[0]!.address.host).toBe('172.17.0.1');
  });

  it('a table that changes moves the version and names the endpoints that moved, and only those', () => {
    const { view, table, heard } = setup([]);
    const before = view.version;
    view.refresh();
    expect(view.version).toBe(before);
    expect(heard).toEqual([]);
    table.local = [webHere];
    view.refresh();
    expect(view.version).toBeGreaterThan(before);
    expect(heard).toEqual(['add http.web.hello.dev 172.18.0.3:8080']);
    // Forgotten by the agent while disco still has it: a restart in place, still at the container's address.
    table.local = [];
    view.refresh();
    expect(heard).toEqual(['add http.web.hello.dev 172.18.0.3:8080']);
    expect(view.list()[0]!.address.host).toBe('172.18.0.3');
  });

  it('a change of the mirror reads the table again, so an endpoint provided just now is local at once', () => {
    const { mirror, view, table, heard } = setup([]);
    const moved = endpoint('p3', 'http.web.hello.dev', '172.17.0.1', 32769);
    table.local = [{ ...webHere, advertised: { host: '172.17.0.1', port: 32769, protocol: 'tcp' } }];
    mirror.apply({ add: [moved], drop: [WEB] });
    expect(view.list().find((p) => p.id === 'p3')!.address).toEqual({ host: '172.18.0.3', port: 8080, protocol: 'tcp' });
    expect(heard).toContain('add http.web.hello.dev 172.18.0.3:8080');
  });
});

describe('the mirror holds the last endpoints of a name for a moment', () => {
  function held(holdMs = 1000) {
    const timers: Array<{ run: () => void; ms: number; cancelled: boolean }> = [];
    const mirror = new RegistryMirror([], {
      holdMs,
      setTimer: (run, ms) => {
        const timer = { run, ms, cancelled: false };
        timers.push(timer);
        return { cancel: () => (timer.cancelled = true) };
      },
    });
    const heard: string[] = [];
    mirror.addListener((kind, provision) => heard.push(`${kind} ${provision.id}`));
    const fire = () => {
      for (const timer of timers.splice(0)) if (!timer.cancelled) timer.run();
    };
    return { mirror, heard, timers, fire };
  }
  const ids = (mirror: RegistryMirror) => mirror.list().map((p) => p.id);

  it('keeps a dropped endpoint that leaves its name empty, until the hold ends', () => {
    const { mirror, heard, timers, fire } = held();
    mirror.apply({ add: [WEB], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    expect(ids(mirror)).toEqual(['p1']);
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    fire();
    expect(ids(mirror)).toEqual([]);
    expect(heard).toEqual(['add p1', 'drop p1']);
  });

  it('ends the hold at once when the name comes back, at its new address', () => {
    const { mirror, heard, timers } = held();
    mirror.apply({ add: [WEB], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    const back = endpoint('p9', 'http.web.hello.dev', '172.17.0.1', 32999);
    mirror.apply({ add: [back], drop: [] });
    expect(ids(mirror)).toEqual(['p9']);
    expect(timers[0]!.cancelled).toBe(true);
    expect(heard).toEqual(['add p1', 'drop p1', 'add p9']);
  });

  it('drops at once when other endpoints of the name remain, or when moved in one change', () => {
    const { mirror, timers } = held();
    const other = endpoint('p5', 'http.web.hello.dev', '10.0.0.9', 8080);
    mirror.apply({ add: [WEB, other], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    expect(ids(mirror)).toEqual(['p5']);
    const moved = endpoint('p6', 'http.web.hello.dev', '10.0.0.10', 8080);
    mirror.apply({ add: [moved], drop: [other] });
    expect(ids(mirror)).toEqual(['p6']);
    expect(timers).toEqual([]);
  });

  it('keeps an endpoint dropped and added again with the same id in one change, at its new address', () => {
    const { mirror, heard, timers } = held();
    mirror.apply({ add: [WEB], drop: [] });
    const again = { ...WEB, port: 32999 };
    mirror.apply({ add: [again], drop: [WEB] });
    expect(mirror.list().map((p) => `${p.id} ${p.address.port}`)).toEqual(['p1 32999']);
    // The old address is told gone before the new one is told, so that nothing answers with both.
    expect(heard).toEqual(['add p1', 'drop p1', 'add p1']);
    expect(timers).toEqual([]);
  });

  // The flake of container-dns.test.ts: web restarted, its drop came, and disco closed before the agent
  // could provide it again; the hold ran out while disco was away, and the running web lost its name.
  it('lets no hold run out while disco is away, and holds again for the whole time once disco is back', () => {
    const { mirror, heard, timers, fire } = held();
    mirror.apply({ add: [WEB], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    mirror.discoAway();
    expect(timers[0]!.cancelled).toBe(true);
    fire();
    expect(ids(mirror)).toEqual(['p1']);
    mirror.discoBack();
    expect(timers.map((t) => [t.ms, t.cancelled])).toEqual([[1000, false]]);
    expect(ids(mirror)).toEqual(['p1']);
    fire();
    expect(ids(mirror)).toEqual([]);
    expect(heard).toEqual(['add p1', 'drop p1']);
  });

  it('ends a hold kept over an outage as soon as the name comes back once disco is', () => {
    const { mirror, heard, timers } = held();
    mirror.apply({ add: [WEB], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    mirror.discoAway();
    mirror.discoBack();
    const back = endpoint('p9', 'http.web.hello.dev', '172.17.0.1', 32999);
    mirror.apply({ add: [back], drop: [] });
    expect(ids(mirror)).toEqual(['p9']);
    expect(timers.map((t) => t.cancelled)).toEqual([true, true]);
    expect(heard).toEqual(['add p1', 'drop p1', 'add p9']);
  });

  it('starts no timer for a drop told while disco is away, until disco is back; hearing disco again twice starts one', () => {
    const { mirror, timers, fire } = held();
    mirror.apply({ add: [WEB], drop: [] });
    mirror.discoAway();
    mirror.apply({ add: [], drop: [WEB] });
    expect(timers).toEqual([]);
    expect(ids(mirror)).toEqual(['p1']);
    mirror.discoBack();
    mirror.discoBack();
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    fire();
    expect(ids(mirror)).toEqual([]);
  });

  it('with no hold, drops at once', () => {
    const { mirror, timers } = held(0);
    mirror.apply({ add: [WEB], drop: [] });
    mirror.apply({ add: [], drop: [WEB] });
    expect(ids(mirror)).toEqual([]);
    expect(timers).toEqual([]);
  });
});

describe('the local view of a held endpoint', () => {
  it('keeps its container address after the agent forgot it, for as long as the mirror holds it', () => {
    let release = () => {};
    const mirror = new RegistryMirror([], {
      holdMs: 1000,
      setTimer: (run) => {
        release = run;
        return { cancel: () => {} };
      },
    });
    mirror.apply({ add: [WEB], drop: [] });
    const table = {
      local: [
        {
          name: 'http.web.hello.dev',
          advertised: { host: '172.17.0.1', port: 32768, protocol: 'tcp' as const },
          container: { host: '172.18.0.3', port: 8080, protocol: 'tcp' as const },
        },
      ],
    };
    const view = new LocalView(mirror, () => table.local);
    table.local = []; // The container died: the agent dropped it.
    mirror.apply({ add: [], drop: [WEB] });
    view.refresh();
    expect(view.list().map((p) => p.address.host)).toEqual(['172.18.0.3']);
    release();
    view.refresh();
    expect(view.list()).toEqual([]);
  });
});

describe('what the local view tells of a drop', () => {
  it('names the address it answered with, so the container address names are invalidated too', () => {
    const mirror = new RegistryMirror([WEB]);
    const table = {
      local: [
        {
          name: 'http.web.hello.dev',
          advertised: { host: '172.17.0.1', port: 32768, protocol: 'tcp' as const },
          container: { host: '172.18.0.3', port: 8080, protocol: 'tcp' as const },
        },
      ],
    };
    const view = new LocalView(mirror, () => table.local);
    const heard: string[] = [];
    view.addListener((kind, provision) => heard.push(`${kind} ${provision.address.host}`));
    table.local = [];
    mirror.apply({ add: [], drop: [WEB] });
    expect(heard).toEqual(['drop 172.18.0.3']);
  });
});
