import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ConfigError, keyLines, lineFinder, parseYaml } from '../../src/config/yaml.ts';

describe('lineFinder', () => {
  it('gives the line of every offset, the newline itself on the line it ends', () => {
    const source = 'a: 1\n\nb:\n  c: 2\nlast';
    const lineAt = lineFinder(source);
    const expected = (offset: number) => source.slice(0, offset).split('\n').length;
    for (let offset = 0; offset <= source.length; offset++) expect(lineAt(offset), `offset ${offset}`).toBe(expected(offset));
    expect(lineFinder('')(0)).toBe(1);
  });
});

describe('keyLines', () => {
  it('gives each key path the line it starts on, list items by index', () => {
    const lines = keyLines('name: x\nservices:\n  web:\n    ports:\n      - 80\n      - 443\n');
    expect(Object.fromEntries(lines)).toMatchObject({
      name: 1,
      services: 2,
      'services.web': 3,
      'services.web.ports.0': 5,
      'services.web.ports.1': 6,
    });
  });
});

describe('parseYaml', () => {
  it("says a required key is missing in scs's words, not valibot's", () => {
    const schema = v.strictObject({ name: v.string(), nested: v.strictObject({ port: v.number() }) });
    expect(() => parseYaml('nested: {}\nname: x\n', 'f.yaml', schema)).toThrow(new ConfigError('f.yaml:1 nested.port: missing key'));
    expect(() => parseYaml('nested: { port: 1 }\n', 'f.yaml', schema)).toThrow(new ConfigError('f.yaml name: missing key'));
  });
});
