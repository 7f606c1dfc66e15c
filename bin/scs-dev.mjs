#!/usr/bin/env node
// `scs` from the TypeScript sources, through tsx: what the tests and `npm run scs` run, so a change to
// the sources needs no rebuild. The installed `scs` (bin/scs.js) runs the bundle in dist/ instead.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
