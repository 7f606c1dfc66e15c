// Checks a document against the published JSON Schemas, with ajv, for tests. Each problem reads
// "path: what" ("$.services.web.imag: unknown key"), so a test names the one it expects.

import { Ajv, type ErrorObject } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false });

const pathOf = (error: ErrorObject) => `$${error.instancePath.replaceAll('/', '.')}`;

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties')
    return `${pathOf(error)}.${(error.params as { additionalProperty: string }).additionalProperty}: unknown key`;
  if (error.keyword === 'maxLength') return `${pathOf(error)}: longer than ${(error.params as { limit: number }).limit}`;
  return `${pathOf(error)}: ${error.message}`;
}

/** The problems found, each as "path: what"; empty when the document conforms. */
export function schemaProblems(schema: Record<string, unknown>, value: unknown): string[] {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []).map(describe);
}
