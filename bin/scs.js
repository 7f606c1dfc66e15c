#!/usr/bin/env node
// The installed `scs`: runs the bundle that scripts/bundle.ts makes (npm ci and npm pack build it),
// through dist/start.cjs, which compiles it with V8's code cache of the command (cli/start.ts).
// CommonJS (bin/package.json), as the bundle is: Node then starts without its ES module loader.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const start = join(__dirname, '..', 'dist', 'start.cjs');
if (!existsSync(start)) {
  process.stderr.write('scs is not built: run `npm run build` in its checkout (or `npm run scs -- ARGS` to run the sources)\n');
  process.exit(1);
}
require(start).start(join(__dirname, '..', 'dist'));
