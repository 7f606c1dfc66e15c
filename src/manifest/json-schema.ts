// JSON Schemas of both manifests, derived from the valibot schemas so they cannot disagree.
// Editors use them for completion and checking (yaml-language-server: $schema=...).

import { toJsonSchema } from '@valibot/to-json-schema';
import { ImageManifestSchema, StackSchema } from './schema.ts';

export function manifestJsonSchemas(): Record<string, object> {
  // Checks and transforms (name grammar, durations) have no JSON Schema form; the types remain.
  const convert = (schema: Parameters<typeof toJsonSchema>[0], title: string, description: string) => ({
    ...toJsonSchema(schema, { errorMode: 'ignore', typeMode: 'input' }),
    title,
    description,
  });
  return {
    'scs.schema.json': convert(
      ImageManifestSchema,
      'scs image manifest (scs.yaml)',
      'How an image works: base, build steps, what it provides and requires, volumes, command. See docs/manifest.md.',
    ),
    'scs-stack.schema.json': {
      ...convert(
        StackSchema,
        'scs stack file (scs-stack.yaml)',
        'How services connect: their images, requires wiring, attributes, volumes, network. See docs/manifest.md.',
      ),
      // Top-level `x-` keys are the user's own (anchors to reuse); the loader drops them before validating.
      patternProperties: { '^x-': {} },
    },
  };
}
