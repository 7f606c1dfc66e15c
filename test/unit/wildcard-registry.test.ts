// Wildcard requirements: the pattern grammar (src/names.ts), its place in the protocol's schemas,
// and the registry's answers to a pattern, with their cost counted rather than timed.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { canonicalPattern, hasWildcard, parseName, parsePattern, patternFor, patternProblem, patternShape } from '../../src/names.ts';
import { describeIssues } from '../../src/protocol/fields.ts';
import { requestSchemas } from '../../src/protocol/messages.ts';
import { NameTree } from '../../src/registry/name-tree.ts';
import { Registry } from '../../src/registry/registry.ts';
import type { Address, Provision } from '../../src/registry/types.ts';
import { mapSteps } from '../helpers/map-steps.ts';

const at = (host: string, port = 80): Address => ({ host, port, protocol: 'tcp' });
const shown = (provisions: Provision[]) => provisions.map((p) => `${p.name}@${p.address.host}`);

describe('the pattern grammar', () => {
  it('takes * for any whole label, lower-cases the rest, and defaults the environment', () => {
    expect(canonicalPattern('*.web.hello.dev')).toBe('*.web.hello.dev');
    expect(canonicalPattern('*.*.Hello.DEV.')).toBe('*.*.hello.dev');
    expect(canonicalPattern('*.*.*.*')).toBe('*.*.*.*');
    expect(canonicalPattern('*.*.hello')).toBe('*.*.hello.default');
    expect(canonicalPattern('mysql.db.blog.prod')).toBe('mysql.db.blog.prod');
    expect(parsePattern('mysql.*.blog')).toEqual({ endpoint: 'mysql', service: '*', stack: 'blog', environment: 'default' });
  });

  it.each([
    ['my*.db.blog.prod', 'endpoint "my*" mixes "*" with other characters; a "*" must stand alone for a whole label'],
    ['mysql.*db.blog.prod', 'service "*db" mixes "*" with other characters; a "*" must stand alone for a whole label'],
    ['*.*.**.prod', 'stack "**" mixes "*" with other characters; a "*" must stand alone for a whole label'],
    ['*.*.hello.d*v', 'environment "d*v" mixes "*" with other characters; a "*" must stand alone for a whole label'],
    ['*.*', '"*.*" is not a name like "*.web.hello.dev" (endpoint.service.stack[.environment])'],
    ['*.*.*.*.*', '"*.*.*.*.*" is not a name like "*.web.hello.dev" (endpoint.service.stack[.environment])'],
    ['*..hello.dev', 'service is empty'],
    ['*.my_db.hello', 'service "my_db" must be letters, digits and inner hyphens (like "db" or "us-east-1")'],
  ])('refuses %s, saying why', (input, message) => {
    expect(patternProblem(input)).toBe(message);
  });

  it('keeps provided names exact: a * there is refused in so many words', () => {
    expect(() => parseName('*.web.hello.dev')).toThrow(
      'endpoint "*" is a wildcard, which only a requirement may use; this needs an exact name',
    );
    expect(() => parseName('web.web.hello.*')).toThrow('environment "*" is a wildcard');
    expect(() => parseName('my*.web.hello.dev')).toThrow('endpoint "my*" must be letters, digits and inner hyphens');
  });

  it('tells a pattern from a name', () => {
    expect(hasWildcard('*.web.hello.dev')).toBe(true);
    expect(hasWildcard('web.web.hello.*')).toBe(true);
    expect(hasWildcard('web.web.hello.dev')).toBe(false);
  });

  it('gives each of the 15 shapes of pattern one that matches a name, and reads the shape back', () => {
    const labels = ['web', 'front', 'hello', 'dev'];
    const patterns = Array.from({ length: 15 }, (_, i) => patternFor(labels, i + 1));
    expect(new Set(patterns).size).toBe(15);
    expect(patterns).toEqual(expect.arrayContaining(['*.front.hello.dev', '*.*.hello.dev', 'web.*.*.*', '*.*.*.*', 'web.front.hello.*']));
    patterns.forEach((pattern, i) => {
      expect(patternShape(pattern)).toBe(i + 1);
      expect(pattern.split('.').every((label, at) => label === '*' || label === labels[at])).toBe(true);
    });
    expect(patternFor(labels, 0)).toBe('web.front.hello.dev');
    expect(patternShape('*.*.hello.dev')).toBe(0b0011);
  });
});

describe('patterns in the protocol', () => {
  const parse = (op: 'require' | 'list' | 'provide', fields: Record<string, unknown>) => {
    const parsed = v.safeParse(requestSchemas[op], { op, id: 1, ...fields });
    return parsed.success ? parsed.output : describeIssues(parsed.issues);
  };

  it('require and list take a pattern, in canonical form', () => {
    expect(parse('require', { name: '*.*.Hello' })).toEqual({ op: 'require', id: 1, name: '*.*.hello.default', attrs: {} });
    expect(parse('list', { name: '*.web.hello.dev' })).toEqual({ op: 'list', id: 1, name: '*.web.hello.dev' });
  });

  it('refuses a partial glob in require, and any * in provide', () => {
    expect(parse('require', { name: 'my*.db.blog.prod' })).toBe(
      'name: endpoint "my*" mixes "*" with other characters; a "*" must stand alone for a whole label',
    );
    expect(parse('provide', { name: '*.web.hello.dev', host: '10.0.0.5', port: 80 })).toBe(
      'name: endpoint "*" is a wildcard, which only a requirement may use; this needs an exact name',
    );
  });
});

describe('the name tree', () => {
  it('finds the names of a pattern, sorted, and forgets emptied branches', () => {
    const tree = new NameTree();
    for (const name of ['web.web.hello.dev', 'api.web.hello.dev', 'db.db.hello.dev', 'web.web.hello.prod', 'web.web.shop.dev'])
      tree.add(name);
    expect(tree.match('*.web.hello.dev')).toEqual(['api.web.hello.dev', 'web.web.hello.dev']);
    expect(tree.match('*.*.hello.dev')).toEqual(['api.web.hello.dev', 'db.db.hello.dev', 'web.web.hello.dev']);
    expect(tree.match('web.web.*.*')).toEqual(['web.web.hello.dev', 'web.web.hello.prod', 'web.web.shop.dev']);
    expect(tree.match('*.*.nothing.dev')).toEqual([]);
    for (const name of ['web.web.hello.dev', 'api.web.hello.dev', 'db.db.hello.dev', 'web.web.hello.prod']) tree.delete(name);
    tree.delete('never.was.here.dev');
    expect(tree.match('*.*.*.*')).toEqual(['web.web.shop.dev']);
    // Only the one branch is left: a full walk visits its four labels and no emptied branch.
    expect(mapSteps(() => tree.match('*.*.*.*')).steps).toBeLessThanOrEqual(4 + 4);
  });
});

describe('wildcard requirements in the registry', () => {
  function stacks(): Registry {
    const registry = new Registry();
    const provide = (name: string, host: string, attributes: Record<string, string> = {}) =>
      registry.provide({ name, address: at(host), attributes, owner: 'p' });
    provide('web.web.hello.dev', '10.0.0.2', { az: 'a' });
    provide('web.web.hello.dev', '10.0.0.1', { az: 'b' });
    provide('api.web.hello.dev', '10.0.0.9', { az: 'a' });
    provide('db.db.hello.dev', '10.0.0.3', { az: 'a' });
    provide('web.web.hello.prod', '10.0.1.1', { az: 'a' });
    provide('web.web.shop.dev', '10.0.2.1', { az: 'a' });
    provide('web.web.hello.default', '10.0.3.1', { az: 'a' });
    return registry;
  }

  it('answers a pattern with every matching provision, by name, then address, then id', () => {
    const registry = stacks();
    expect(shown(registry.require({ name: '*.*.hello.dev', filter: {}, owner: 's' }).endpoints)).toEqual([
      'api.web.hello.dev@10.0.0.9',
      'db.db.hello.dev@10.0.0.3',
      'web.web.hello.dev@10.0.0.1',
      'web.web.hello.dev@10.0.0.2',
    ]);
    expect(shown(registry.require({ name: '*.web.hello.dev', filter: {}, owner: 's' }).endpoints)).toEqual([
      'api.web.hello.dev@10.0.0.9',
      'web.web.hello.dev@10.0.0.1',
      'web.web.hello.dev@10.0.0.2',
    ]);
    expect(shown(registry.lookup('*.*.hello.default'))).toEqual(['web.web.hello.default@10.0.3.1']);
    expect(registry.lookup('*.*.*.*')).toEqual(registry.list());
    expect(registry.lookup('*.*.nowhere.dev')).toEqual([]);
  });

  it('applies attribute filters to a pattern', () => {
    const registry = stacks();
    const { requirement, endpoints } = registry.require({ name: '*.*.hello.dev', filter: { az: 'a' }, owner: 's' });
    expect(shown(endpoints)).toEqual(['api.web.hello.dev@10.0.0.9', 'db.db.hello.dev@10.0.0.3', 'web.web.hello.dev@10.0.0.2']);
    const unmatched = registry.provide({ name: 'cache.db.hello.dev', address: at('10.0.0.4'), attributes: { az: 'b' }, owner: 'p' });
    expect(unmatched.changes.filter((c) => c.requirement.id === requirement.id)).toEqual([]);
    const matched = registry.provide({ name: 'cache.db.hello.dev', address: at('10.0.0.5'), attributes: { az: 'a' }, owner: 'p' });
    expect(matched.changes.map((c) => [c.requirement.id, c.kind, c.provision.id])).toEqual([[requirement.id, 'add', matched.provision.id]]);
  });

  it('tells every requirement a change concerns, exact and pattern, and no other', () => {
    const registry = stacks();
    const require = (name: string) => registry.require({ name, filter: {}, owner: 's' }).requirement.id;
    const exact = require('web.web.hello.dev');
    const stack = require('*.*.hello.dev');
    const service = require('*.web.hello.dev');
    const everything = require('*.*.*.*');
    const endpoint = require('web.*.*.*');
    require('*.*.hello.prod');
    require('*.db.hello.dev');
    require('api.*.*.*');
    require('other.web.hello.dev');

    const { provision, changes } = registry.provide({ name: 'web.web.hello.dev', address: at('10.0.0.7'), attributes: {}, owner: 'p' });
    const told = changes.map((c) => c.requirement.id);
    expect(told.sort()).toEqual([exact, stack, service, everything, endpoint].sort());
    expect(changes.every((c) => c.kind === 'add' && c.provision === provision)).toBe(true);
    expect(
      registry
        .drop(provision.id)
        .map((c) => c.requirement.id)
        .sort(),
    ).toEqual(told);
  });

  it('keeps a pattern requirement current, and stops telling it once withdrawn', () => {
    const registry = stacks();
    const { requirement } = registry.require({ name: '*.web.hello.dev', filter: {}, owner: 's' });
    const added = registry.provide({ name: 'new.web.hello.dev', address: at('10.0.0.8'), attributes: {}, owner: 'p' }).provision;
    expect(shown(registry.endpointsOf(requirement.id))).toEqual([
      'api.web.hello.dev@10.0.0.9',
      'new.web.hello.dev@10.0.0.8',
      'web.web.hello.dev@10.0.0.1',
      'web.web.hello.dev@10.0.0.2',
    ]);
    expect(registry.unrequire(requirement.id)).toBe(true);
    expect(registry.unrequire(requirement.id)).toBe(false);
    expect(registry.drop(added.id)).toEqual([]);
    expect(registry.requirementCount).toBe(0);
  });

  it('withdrawing one of two requirements of a pattern leaves the other told', () => {
    const registry = stacks();
    const first = registry.require({ name: '*.*.hello.dev', filter: {}, owner: 'a' }).requirement;
    const second = registry.require({ name: '*.*.hello.dev', filter: {}, owner: 'b' }).requirement;
    const shaped = registry.require({ name: '*.*.shop.dev', filter: {}, owner: 'c' }).requirement;
    registry.unrequire(first.id);
    const told = (name: string) =>
      registry.provide({ name, address: at('10.9.9.9'), attributes: {}, owner: 'p' }).changes.map((c) => c.requirement.id);
    expect(told('x.web.hello.dev')).toEqual([second.id]);
    registry.unrequire(second.id);
    expect(told('y.web.hello.dev')).toEqual([]);
    expect(told('y.web.shop.dev')).toEqual([shaped.id]);
    registry.unrequire(shaped.id);
    // No pattern left: a change steps through nothing at all.
    expect(mapSteps(() => registry.provide({ name: 'z.web.shop.dev', address: at('h'), attributes: {}, owner: 'p' })).steps).toBe(0);
  });

  it('a pattern and a name that look alike are indexed apart', () => {
    // "*" is no label a provision can have, so nothing is ever registered under a pattern's text.
    const registry = new Registry();
    const { requirement } = registry.require({ name: '*.*.*.*', filter: {}, owner: 's' });
    registry.require({ name: 'a.b.c.d', filter: {}, owner: 's' });
    const { changes } = registry.provide({ name: 'x.y.z.w', address: at('h'), attributes: {}, owner: 'p' });
    expect(changes.map((c) => c.requirement.id)).toEqual([requirement.id]);
  });
});

describe('wildcard cost, counted not timed', () => {
  /** 100 stacks of 20 names, 2 provisions each; 10 exact requirements per name; and 1,000 patterns, on stacks not provided. */
  function crowded(): Registry {
    const registry = new Registry();
    for (let stack = 0; stack < 100; stack++) {
      for (let n = 0; n < 20; n++) {
        const name = `e${n}.r${n % 4}.s${stack}.prod`;
        for (let copy = 0; copy < 2; copy++) {
          registry.provide({ name, address: at(`10.${stack}.${n}.${copy}`), attributes: {}, owner: 'p' });
        }
        for (let r = 0; r < 10; r++) registry.require({ name, filter: {}, owner: 's' });
      }
    }
    for (let i = 0; i < 1000; i++) registry.require({ name: `*.*.t${i}.prod`, filter: {}, owner: 'agent' });
    return registry;
  }

  it('a change steps through its exact requirements and its matching patterns only', () => {
    const registry = crowded();
    const mine = ['*.*.s7.prod', '*.r1.s7.prod', '*.*.*.*'].map(
      (name) => registry.require({ name, filter: {}, owner: 'a' }).requirement.id,
    );
    const provided = mapSteps(() => registry.provide({ name: 'e5.r1.s7.prod', address: at('192.0.2.1'), attributes: {}, owner: 'p' }));
    const told = provided.result.changes.map((c) => c.requirement.id);
    expect(told).toHaveLength(10 + 3);
    expect(told.slice(10).sort()).toEqual(mine.sort());
    // About 2 steps per requirement told; scanning the 1,000 other patterns would take 1,000 or more.
    expect(provided.steps).toBeLessThanOrEqual(2 * 13 + 8);
    const dropped = mapSteps(() => registry.drop(provided.result.provision.id));
    expect(dropped.result).toHaveLength(13);
    expect(dropped.steps).toBeLessThanOrEqual(2 * 13 + 8);
  });

  it("a pattern's snapshot steps through its stack's names, not the registry", () => {
    const registry = crowded();
    const required = mapSteps(() => registry.require({ name: '*.*.s7.prod', filter: {}, owner: 'a' }));
    expect(required.result.endpoints).toHaveLength(20 * 2);
    // The stack's 4 services, 20 names and 40 provisions, each iteration a step more than its items;
    // the registry holds 100 stacks and 4,000 provisions.
    expect(required.steps).toBeLessThanOrEqual(2 * (4 + 20 + 40) + 4);
    const again = mapSteps(() => registry.endpointsOf(required.result.requirement.id));
    expect(again.result).toEqual(required.result.endpoints);
    expect(again.steps).toBe(required.steps);
  });

  it('counts a scan when there is one: *.*.*.* steps through every provision', () => {
    const registry = crowded();
    const everything = mapSteps(() => registry.lookup('*.*.*.*'));
    expect(everything.result).toHaveLength(4000);
    expect(everything.steps).toBeGreaterThanOrEqual(4000);
  });
});

describe('the name tree, forgetting from a leaf', () => {
  it('forgets the name a leaf stands for and its emptied branches, and a leaf forgotten before changes nothing', () => {
    const tree = new NameTree();
    const web = tree.add('web.web.hello.dev');
    tree.add('api.web.hello.dev');
    tree.forget(web);
    expect(tree.match('*.*.*.*')).toEqual(['api.web.hello.dev']);
    // The name comes back with a new leaf: the old one, forgotten again, must not take it away.
    const again = tree.add('web.web.hello.dev');
    tree.forget(web);
    expect(tree.match('*.*.*.*')).toEqual(['api.web.hello.dev', 'web.web.hello.dev']);
    tree.forget(again);
    tree.delete('api.web.hello.dev');
    expect(tree.match('*.*.*.*')).toEqual([]);
    expect(mapSteps(() => tree.match('*.*.*.*')).steps).toBeLessThanOrEqual(1);
  });
});
