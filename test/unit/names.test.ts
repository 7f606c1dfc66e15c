import { describe, expect, it } from 'vitest';
import { canonicalName, envKey, formatName, nameProblem, parseName } from '../../src/names.ts';

describe('names', () => {
  it('parses four labels, most specific first', () => {
    expect(parseName('mysql.db.blog.prod')).toEqual({ endpoint: 'mysql', service: 'db', stack: 'blog', environment: 'prod' });
  });

  it('defaults a missing environment and lower-cases input', () => {
    expect(canonicalName('MySQL.DB.Blog')).toBe('mysql.db.blog.default');
  });

  it('accepts a trailing dot, as DNS names have', () => {
    expect(formatName(parseName('web.front.shop.dev.'))).toBe('web.front.shop.dev');
  });

  it.each([
    ['mysql.db', /endpoint.service.stack/],
    ['a.b.c.d.e', /endpoint.service.stack/],
    ['my_sql.db.blog', /endpoint "my_sql" must be/],
    ['mysql.-db.blog', /service "-db" must be/],
    ['mysql.db-.blog', /service "db-" must be/],
    ['mysql..blog', /service is empty/],
    [`${'a'.repeat(64)}.db.blog`, /longer than 63/],
  ])('rejects %s with a message that says why', (input, message) => {
    expect(nameProblem(input)).toMatch(message);
  });

  it('accepts labels of 63 characters and single characters', () => {
    expect(nameProblem(`${'a'.repeat(63)}.b.c.d`)).toBeUndefined();
  });

  it('turns endpoint labels into environment keys', () => {
    expect(envKey('mysql-main')).toBe('MYSQL_MAIN');
  });
});
