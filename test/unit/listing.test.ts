// `list` in pages, without a server: the order, the cursor, and what a page shows when the registry
// changed since the last one. The protocol tests page through 100,000 endpoints; these pin down
// the cases those never meet: a cursor whose endpoint is gone, and endpoints that differ by id only.

import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.ts';
import type { Provision } from '../../src/registry/types.ts';
import { toWireEndpoint } from '../../src/server/endpoint.ts';
import { Listing } from '../../src/server/listing.ts';

interface Page {
  readonly endpoints: Array<{ id: string; name: string; host: string; port: number }>;
  readonly next?: string;
}

function page(listing: Listing, request: { name?: string; after?: string; limit?: number }): Page {
  const line = listing.pageLine(7, request);
  expect(line.endsWith('\n')).toBe(true);
  const reply = JSON.parse(line) as Page & { re: number; ok: boolean };
  expect(reply.re).toBe(7);
  expect(reply.ok).toBe(true);
  return reply;
}

/** Every endpoint, a page of `limit` at a time, as "name host:port". */
function walk(listing: Listing, limit: number, name?: string): string[] {
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const { endpoints, next } = page(listing, { name, after, limit });
    seen.push(...endpoints.map((each) => `${each.name} ${each.host}:${each.port}`));
    if (next === undefined) return seen;
    after = next;
  }
  throw new Error('the pages never end');
}

function provide(registry: Registry, name: string, host: string, port = 80, id?: string): Provision {
  return registry.provide({ id, name, address: { host, port, protocol: 'tcp' }, attributes: {}, owner: 's1' }).provision;
}

describe('list in pages', () => {
  it('walks names in order, then addresses, each endpoint once, whatever the page size', () => {
    const registry = new Registry();
    provide(registry, 'web.hello.dev', '10.0.0.2');
    provide(registry, 'db.blog.prod', '10.0.0.9');
    provide(registry, 'web.hello.dev', '10.0.0.1');
    provide(registry, 'cache.blog.prod', '10.0.0.5', 6379);
    const all = ['cache.blog.prod 10.0.0.5:6379', 'db.blog.prod 10.0.0.9:80', 'web.hello.dev 10.0.0.1:80', 'web.hello.dev 10.0.0.2:80'];
    for (const limit of [1, 2, 3, 4, 1000]) expect(walk(new Listing(registry), limit)).toEqual(all);
  });

  it('lists endpoints that differ by id only, each once, in the order of their ids', () => {
    const registry = new Registry();
    // Five, so that the search for the fourth cursor meets an endpoint before it.
    for (const id of ['c', 'e', 'a', 'd', 'b']) provide(registry, 'web.hello.dev', '10.0.0.1', 80, id);
    const listing = new Listing(registry);
    const ids: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 5; i++) {
      const { endpoints, next } = page(listing, { after, limit: 1 });
      ids.push(...endpoints.map((each) => each.id));
      after = next;
    }
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(after).toBeUndefined();
  });

  it('goes on after a cursor whose endpoint has gone, from where it would have been', () => {
    const registry = new Registry();
    const provisions = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((host) => provide(registry, 'web.hello.dev', host));
    const listing = new Listing(registry);
    const first = page(listing, { limit: 2 });
    expect(first.endpoints.map((each) => each.host)).toEqual(['10.0.0.1', '10.0.0.2']);
    registry.drop(provisions[1]!.id);
    // Added before the cursor: not shown, as with any scan; added after it: shown.
    provide(registry, 'web.hello.dev', '10.0.0.0');
    provide(registry, 'web.hello.dev', '10.0.0.5');
    const second = page(listing, { after: first.next, limit: 2 });
    expect(second.endpoints.map((each) => each.host)).toEqual(['10.0.0.3', '10.0.0.4']);
    const third = page(listing, { after: second.next, limit: 2 });
    expect(third.endpoints.map((each) => each.host)).toEqual(['10.0.0.5']);
    expect(third.next).toBeUndefined();
  });

  it('goes on after a cursor whose name has gone altogether', () => {
    const registry = new Registry();
    provide(registry, 'a.hello.dev', '10.0.0.1');
    const gone = provide(registry, 'b.hello.dev', '10.0.0.1');
    provide(registry, 'c.hello.dev', '10.0.0.1');
    const listing = new Listing(registry);
    const first = page(listing, { limit: 2 });
    registry.drop(gone.id);
    expect(page(listing, { after: first.next, limit: 2 }).endpoints.map((each) => each.name)).toEqual(['c.hello.dev']);
  });

  it('lists one name when asked, and another name next, not the one listed before', () => {
    const registry = new Registry();
    provide(registry, 'web.hello.dev', '10.0.0.1');
    provide(registry, 'db.blog.prod', '10.0.0.2');
    const listing = new Listing(registry);
    expect(walk(listing, 10, 'web.hello.dev')).toEqual(['web.hello.dev 10.0.0.1:80']);
    expect(walk(listing, 10, 'db.blog.prod')).toEqual(['db.blog.prod 10.0.0.2:80']);
    expect(walk(listing, 10)).toEqual(['db.blog.prod 10.0.0.2:80', 'web.hello.dev 10.0.0.1:80']);
  });

  it('ends a page that would pass 32 KiB early, and gives a cursor to the rest', () => {
    const registry = new Registry();
    for (let i = 0; i < 1000; i++) {
      registry.provide({
        name: 'web.hello.dev',
        address: { host: '10.0.0.1', port: 1000 + i, protocol: 'tcp' },
        attributes: { note: 'x'.repeat(200) },
        owner: 's1',
      });
    }
    const listing = new Listing(registry);
    const first = page(listing, {});
    expect(first.endpoints.length).toBeGreaterThan(1);
    expect(first.endpoints.length).toBeLessThan(1000);
    expect(Buffer.byteLength(JSON.stringify(first.endpoints))).toBeLessThanOrEqual(32 * 1024 + 2);
    expect(first.next).toBeDefined();
    expect(walk(listing, 1000)).toHaveLength(1000);
  });

  it('fills a page to 32 KiB exactly, and not a byte past it', () => {
    // 256 endpoints of 127 bytes and a separator each: 32,768 bytes, one page's worth.
    const registry = new Registry();
    const base = (i: number) => ({
      id: `e${String(i).padStart(3, '0')}`,
      name: 'web.hello.dev',
      address: { host: '10.0.0.1', port: 1000 + i, protocol: 'tcp' as const },
      owner: 's1',
    });
    const unpadded = JSON.stringify(toWireEndpoint({ ...base(0), attributes: { note: '' } })).length;
    const pad = 'x'.repeat(127 - unpadded);
    for (let i = 0; i < 257; i++) registry.provide({ ...base(i), attributes: { note: pad } });
    const listing = new Listing(registry);
    const first = page(listing, {});
    const sizes = first.endpoints.map((endpoint) => Buffer.byteLength(JSON.stringify(endpoint)) + 1);
    expect(new Set(sizes)).toEqual(new Set([128]));
    expect(first.endpoints).toHaveLength(256);
    expect(page(listing, { after: first.next }).endpoints).toHaveLength(1);
  });

  it('refuses a cursor it did not make', () => {
    const listing = new Listing(new Registry());
    for (const after of ['nonsense', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => listing.pageLine(1, { after })).toThrow('after: expected a cursor from a "next" field');
    }
  });
});
