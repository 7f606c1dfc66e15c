// Each part of a name is named in its own error, and the error is a NameError callers can tell apart.

import { describe, expect, it } from 'vitest';
import { NameError, parseName, parsePattern } from '../../src/names.ts';

describe('name errors', () => {
  it.each([
    ['my_sql.db.blog.prod', 'endpoint "my_sql"'],
    ['mysql.d_b.blog.prod', 'service "d_b"'],
    ['mysql.db.bl_og.prod', 'stack "bl_og"'],
    ['mysql.db.blog.pr_od', 'environment "pr_od"'],
  ])('%s: names the %s', (input, part) => {
    expect(() => parseName(input)).toThrow(`${part} must be letters, digits and inner hyphens`);
  });

  it.each([
    ['a name', parseName, 'mysql.db', '"mysql.db" is not a name like "mysql.db.blog.prod" (endpoint.service.stack[.environment])'],
    ['a pattern', parsePattern, 'a.b.c.d.e', '"a.b.c.d.e" is not a name like "*.web.hello.dev" (endpoint.service.stack[.environment])'],
  ])('of %s with too few or too many labels show a name that has the right number', (_, parse, input, message) => {
    expect(() => parse(input)).toThrow(new NameError(message));
  });

  it('are NameErrors, named so in logs', () => {
    let caught: unknown;
    try {
      parseName('mysql.db');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NameError);
    expect((caught as Error).name).toBe('NameError');
    expect(String(caught)).toMatch(/^NameError: "mysql\.db" is not a name/);
  });
});
