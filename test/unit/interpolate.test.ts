// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} in these strings are what the tests substitute
// Variables in stack files, as Compose substitutes them: every form of `${...}`, `$$`, nesting,
// the warning for an unset variable, errors that name the file and the line, overlays, and `.env`
// beside the first file (the environment winning over it).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/manifest/dotenv.ts';
import { type Interpolation, interpolate, interpolateValues, MAX_DEPTH } from '../../src/manifest/interpolate.ts';
import { loadStack } from '../../src/manifest/load.ts';
import { project } from '../helpers/project.ts';

function substitute(text: string, variables: Record<string, string>) {
  const unset: string[] = [];
  const how: Interpolation = {
    lookup: (name) => (Object.hasOwn(variables, name) ? variables[name] : undefined),
    unset: (n) => unset.push(n),
  };
  return { value: interpolate(text, how), unset };
}
const sub = (text: string, variables: Record<string, string> = {}) => substitute(text, variables).value;

describe('interpolate', () => {
  const vars = { TAG: '1.2', EMPTY: '', HOST: 'db.local' };

  it('substitutes ${VAR} and $VAR, and $$ is a literal $', () => {
    expect(sub('app:${TAG}', vars)).toBe('app:1.2');
    expect(sub('app:$TAG-x', vars)).toBe('app:1.2-x');
    expect(sub('$HOST:$TAG', vars)).toBe('db.local:1.2');
    expect(sub('cost $$5 and $${TAG}', vars)).toBe('cost $5 and ${TAG}');
    expect(sub('$$$$', vars)).toBe('$$');
    // A `$` that starts nothing stays, as in Compose.
    expect(sub('$ 5, $1, 100$', vars)).toBe('$ 5, $1, 100$');
    expect(sub('no variables {here}', vars)).toBe('no variables {here}');
  });

  it('uses a default for :- when unset or empty, for - when unset only', () => {
    expect(sub('${NOPE:-x}', vars)).toBe('x');
    expect(sub('${EMPTY:-x}', vars)).toBe('x');
    expect(sub('${TAG:-x}', vars)).toBe('1.2');
    expect(sub('${NOPE-x}', vars)).toBe('x');
    expect(sub('${EMPTY-x}', vars)).toBe('');
    expect(sub('${NOPE:-}', vars)).toBe('');
    expect(sub('${NOPE:-a b: c}', vars)).toBe('a b: c');
  });

  it('gives the other word for :+ and + when set', () => {
    expect(sub('${TAG:+set}', vars)).toBe('set');
    expect(sub('${EMPTY:+set}', vars)).toBe('');
    expect(sub('${EMPTY+set}', vars)).toBe('set');
    expect(sub('${NOPE+set}', vars)).toBe('');
  });

  it('fails for :? when unset or empty, for ? when unset, with the message', () => {
    expect(() => sub('${DB_PASSWORD:?set it in .env}')).toThrow('${DB_PASSWORD:?set it in .env}: DB_PASSWORD is not set: set it in .env');
    expect(() => sub('x ${EMPTY:?give one}', vars)).toThrow('${EMPTY:?give one}: EMPTY is empty: give one');
    expect(() => sub('${NOPE?}', vars)).toThrow(/^\$\{NOPE\?\}: NOPE is not set$/);
    expect(sub('${EMPTY?required}', vars)).toBe('');
    expect(sub('${TAG:?required}', vars)).toBe('1.2');
  });

  it('warns of an unset variable without a default, which becomes empty', () => {
    const { value, unset } = substitute('${A}-$B-${C:-c}-${D-d}', {});
    expect(value).toBe('--c-d');
    expect(unset).toEqual(['A', 'B']);
  });

  it('takes variables in a default, evaluated only when used', () => {
    expect(sub('${NOPE:-${HOST}:${PORT:-3306}}', vars)).toBe('db.local:3306');
    expect(sub('${TAG:-${NOPE:?never asked}}', vars)).toBe('1.2');
    const { unset } = substitute('${TAG:-$UNUSED}', vars);
    expect(unset).toEqual([]);
    expect(sub('${A:-${B:-${C:-deep}}}', {})).toBe('deep');
    const nested = `${'${A:-'.repeat(MAX_DEPTH + 1)}x${'}'.repeat(MAX_DEPTH + 1)}`;
    expect(() => sub(nested)).toThrow(`variables nested deeper than ${MAX_DEPTH}`);
  });

  it('refuses a ${ without its } and a ${ without a name', () => {
    expect(() => sub('image: ${TAG')).toThrow('${TAG: "${" without its "}"');
    expect(() => sub('${TAG:-x')).toThrow('"${" without its "}"');
    expect(() => sub('${')).toThrow('"${" without its "}"');
    expect(() => sub('${1}')).toThrow('${1}: expected a variable name');
    expect(() => sub('${}')).toThrow('${}: expected a variable name');
    expect(() => sub('${A B}')).toThrow('${A B}: expected "}" or one of :- :? :+ - ? + after the name A');
  });

  it('scans a long hostile value in one pass', () => {
    // Nothing to backtrack: a megabyte of near-misses is read once (a slow scan would time the test out).
    expect(sub('$'.repeat(1_000_001))).toBe(`${'$'.repeat(500_000)}$`);
    expect(() => sub(`\${A:-${'$x'.repeat(200_000)}`)).toThrow('without its');
  });
});

describe('.env', () => {
  it('reads KEY=value, comments, blank lines, quotes and export', () => {
    const text = [
      '# the database',
      '',
      'DB_HOST=db.local',
      'export TAG=1.2',
      "SINGLE='a $b \\n c'",
      'DOUBLE="line\\nnext \\"q\\""',
      'SPACED = padded value # a comment',
      'HASH=a#b',
      'EMPTY=',
      'QUOTED_COMMENT="x" # after',
      'TAG=1.3',
    ].join('\n');
    expect(Object.fromEntries(parseDotenv(text, '.env').map(({ key, value }) => [key, value]))).toEqual({
      DB_HOST: 'db.local',
      TAG: '1.3',
      SINGLE: 'a $b \\n c',
      DOUBLE: 'line\nnext "q"',
      SPACED: 'padded value',
      HASH: 'a#b',
      EMPTY: '',
      QUOTED_COMMENT: 'x',
    });
  });

  it('names the file and the line of a bad one', () => {
    expect(() => parseDotenv('A=1\nnot a pair\n', '/s/.env')).toThrow('/s/.env:2: expected KEY=value, found "not a pair"');
    expect(() => parseDotenv('A=1\n\n1X=2\n', '/s/.env')).toThrow('/s/.env:3: "1X" is not a variable name');
    expect(() => parseDotenv('A="open\n', '/s/.env')).toThrow('/s/.env:1: the value has no closing "');
    expect(() => parseDotenv("A='x' y\n", '/s/.env')).toThrow(`/s/.env:1: unexpected "y" after the closing '`);
  });
});

describe('variables in stack files', () => {
  const image = 'x/scs.yaml';
  const files = (stack: string, more: Record<string, string> = {}) => project({ 'scs-stack.yaml': stack, [image]: 'from: x\n', ...more });

  it('substitutes values, not keys', () => {
    const how: Interpolation = { lookup: (name) => (name === 'K' ? 'v' : undefined), unset: () => {} };
    const document = { $K: ['$K', { '${K}': '${K}', n: 1, b: true, z: null }] };
    expect(interpolateValues(document, how)).toEqual({ $K: ['v', { '${K}': 'v', n: 1, b: true, z: null }] });
  });

  it('substitutes from the environment', () => {
    const dir = files('name: ${NAME:-shop}\nservices:\n  web:\n    image: ./x\n    env:\n      TAG: "$TAG"\n      PLAIN: $$HOME\n');
    const loaded = loadStack([join(dir, 'scs-stack.yaml')], { environment: { TAG: '7' } });
    expect(loaded.stack.name).toBe('shop');
    expect(loaded.stack.services.web!.env).toEqual({ TAG: '7', PLAIN: '$HOME' });
    expect(loaded.variables).toEqual({ TAG: '7' });
    expect(loaded.unset).toEqual([]);
  });

  it('reads a substituted number or true/false as one where the stack file wants one, and as text elsewhere', () => {
    const stack = [
      'name: shop',
      'services:',
      '  web:',
      '    image: ./x',
      '    replicas: ${REPLICAS:-2}',
      '    env: { COUNT: "${REPLICAS:-2}", ZIP: "${ZIP}" }',
      '    provides:',
      '      http: { publish: "${PORT}" }',
      '    secrets:',
      '      key: { file: ./key, generate: "${GENERATE}" }',
      '',
    ];
    const dir = files(stack.join('\n'));
    const loaded = loadStack([join(dir, 'scs-stack.yaml')], { environment: { PORT: '8080', GENERATE: 'true', ZIP: '0123' } });
    const web = loaded.stack.services.web!;
    expect(web.replicas).toBe(2);
    expect(web.provides.http!.publish).toBe(8080);
    expect(web.secrets.key!.generate).toBe(true);
    expect(web.env).toEqual({ COUNT: '2', ZIP: '0123' });
    expect(() => loadStack([join(dir, 'scs-stack.yaml')], { environment: { PORT: '08080', GENERATE: 'true' } })).toThrow(
      'services.web.provides.http.publish',
    );
  });

  it('says which variables are unset, each once', () => {
    const dir = files('name: shop\nservices:\n  web:\n    image: ./x\n    env: { A: "${GONE}", B: "$GONE", C: "$ALSO" }\n');
    const loaded = loadStack([join(dir, 'scs-stack.yaml')], { environment: {} });
    expect(loaded.stack.services.web!.env).toEqual({ A: '', B: '', C: '' });
    expect(loaded.unset).toEqual(['GONE', 'ALSO']);
  });

  it('names the file, the line and the variable of an error', () => {
    const stack = [
      'name: shop',
      'services:',
      '  db:',
      '    image: ./x',
      '    env:',
      '      USER: root',
      '      PASSWORD: ${DB_PASSWORD:?set it in .env}',
      '',
    ];
    const dir = files(stack.join('\n'));
    expect(() => loadStack([join(dir, 'scs-stack.yaml')], { environment: {} })).toThrow(
      `${join(dir, 'scs-stack.yaml')}:7: \${DB_PASSWORD:?set it in .env}: DB_PASSWORD is not set: set it in .env`,
    );
    const broken = files('name: shop\nservices:\n  web:\n    image: ./x\n    env:\n      - A=${TAG\n');
    expect(() => loadStack([join(broken, 'scs-stack.yaml')], { environment: {} })).toThrow(
      `${join(broken, 'scs-stack.yaml')}:6: \${TAG: "\${" without its "}"`,
    );
  });

  it('substitutes in an overlay too, with the overlay named in its errors', () => {
    const dir = files('name: shop\nservices:\n  web:\n    image: ./x\n    env: { TAG: base }\n', {
      'prod.yaml': 'services:\n  web:\n    env:\n      TAG: ${TAG:-latest}\n      HOST: ${HOST:?the prod host}\n',
    });
    const both = [join(dir, 'scs-stack.yaml'), join(dir, 'prod.yaml')];
    expect(loadStack(both, { environment: { HOST: 'h1' } }).stack.services.web!.env).toEqual({ TAG: 'latest', HOST: 'h1' });
    expect(() => loadStack(both, { environment: {} })).toThrow(`${join(dir, 'prod.yaml')}:5: \${HOST:?the prod host}: HOST is not set`);
  });

  it('reads .env beside the first file; the environment wins', () => {
    const dir = files('name: shop\nservices:\n  web:\n    image: ./x\n    env: { TAG: "${TAG}", HOST: "${HOST}" }\n', {
      '.env': '# defaults\nTAG=from-dotenv\nHOST=dotenv-host\n',
      'other/prod.yaml': 'services:\n  web:\n    env: { MORE: "${MORE:-none}" }\n',
      'other/.env': 'MORE=not-read\n',
    });
    const loaded = loadStack([join(dir, 'scs-stack.yaml'), join(dir, 'other/prod.yaml')], { environment: { HOST: 'env-host' } });
    expect(loaded.stack.services.web!.env).toEqual({ TAG: 'from-dotenv', HOST: 'env-host', MORE: 'none' });
    expect(loaded.variable('TAG')).toBe('from-dotenv');
    // Set to the empty string in the environment is set: it still wins.
    expect(loadStack([join(dir, 'scs-stack.yaml')], { environment: { TAG: '' } }).stack.services.web!.env.TAG).toBe('');
  });

  it('substitutes variables in .env values that are not single-quoted: the environment, then the lines above', () => {
    const dir = files('name: shop\nservices:\n  web:\n    image: ./x\n    env: { URL: "${URL}", RAW: "${RAW}", LATER: "${LATER}" }\n', {
      '.env': 'HOST=db\nURL="mysql://${USER:-root}@${HOST}:${PORT:-3306}"\nRAW=\'${HOST}\'\nLATER=${NEXT}\nNEXT=x\n',
    });
    const loaded = loadStack([join(dir, 'scs-stack.yaml')], { environment: { USER: 'app' } });
    expect(loaded.stack.services.web!.env).toEqual({ URL: 'mysql://app@db:3306', RAW: '${HOST}', LATER: '' });
    const bad = files('name: shop\nservices:\n  web:\n    image: ./x\n', { '.env': 'A=1\nB=${C:?needed}\n' });
    expect(() => loadStack([join(bad, 'scs-stack.yaml')], { environment: {} })).toThrow(
      `${join(bad, '.env')}:2: \${C:?needed}: C is not set: needed`,
    );
  });

  it('names the line of a bad .env', () => {
    const dir = files('name: shop\nservices:\n  web:\n    image: ./x\n', { '.env': 'A=1\nB\n' });
    expect(() => loadStack([join(dir, 'scs-stack.yaml')], { environment: {} })).toThrow(`${join(dir, '.env')}:2: expected KEY=value`);
  });
});
