// npm run schemas: writes schemas/*.json from the valibot schemas.
import { writeFileSync } from 'node:fs';
import { manifestJsonSchemas } from '../src/manifest/json-schema.ts';

for (const [file, schema] of Object.entries(manifestJsonSchemas())) {
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/${file}`);
}
