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
    table.local = [];
    view.refresh();
    expect(heard.at(-1)).toBe('add http.web.hello.dev 172.17.0.1:32768');
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
