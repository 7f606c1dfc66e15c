// Checks a document against the published JSON Schemas, for tests. It knows only the keywords
// those files use and throws on any other, so a schema that grows a new keyword cannot pass
// unchecked. (Not a general validator: the project ships no JSON Schema library.)

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema', 'title', 'description', 'default', 'type', 'properties', 'required', 'additionalProperties', 'propertyNames',
  'maxProperties', 'items', 'anyOf', 'oneOf', 'const', 'enum', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
]);

const typeOf = (value: unknown): string => {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

/** The problems found, each as "path: what"; empty when the document conforms. */
export function schemaProblems(schema: Schema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`${path}: keyword "${key}" not supported by this checker`);
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  if (type !== undefined) {
    const actual = typeOf(value);
    if (!(actual === type || (type === 'number' && actual === 'integer'))) return [`${path}: expected ${type}, got ${actual}`];
  }
  if ('const' in schema && value !== schema.const) problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) problems.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) problems.push(`${path}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...schemaProblems(schema.items as Schema, item, `${path}.${i}`)));
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in object)) problems.push(`${path}: missing "${key}"`);
    if (typeof schema.maxProperties === 'number' && Object.keys(object).length > schema.maxProperties) problems.push(`${path}: more than ${schema.maxProperties} keys`);
    for (const [key, item] of Object.entries(object)) {
      if (schema.propertyNames) problems.push(...schemaProblems(schema.propertyNames as Schema, key, `${path}.${key} (key)`));
      if (properties[key]) problems.push(...schemaProblems(properties[key], item, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${key}: unknown key`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...schemaProblems(schema.additionalProperties as Schema, item, `${path}.${key}`));
    }
  }
  for (const [keyword, need] of [['anyOf', 1], ['oneOf', 1]] as const) {
    const options = schema[keyword] as Schema[] | undefined;
    if (!options) continue;
    const passing = options.filter((option) => schemaProblems(option, value, path).length === 0).length;
    if (keyword === 'anyOf' ? passing < need : passing !== need) problems.push(`${path}: matches ${passing} of the ${keyword} options`);
  }
  return problems;
}
