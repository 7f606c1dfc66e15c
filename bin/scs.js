#!/usr/bin/env node
// The installed `scs`: runs the bundle that scripts/bundle.ts makes (npm ci and npm pack build it).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/scs.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('scs is not built: run `npm run build` in its checkout (or `npm run scs -- ARGS` to run the sources)\n');
  process.exit(1);
}
await import(bundle.href);
