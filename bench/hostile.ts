// npm run bench:hostile [-- NAME...] — replays the attacks of a hostile client, peer or DNS asker
// (one module each under bench/hostile/, see attack.ts) against this tree, and prints for each the
// figure before the fix, the target and what this run measured. A missed target is shown as MISS and
// makes the exit code 1.

import './lib/state-folder.ts';
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attack } from './hostile/attack.ts';
import { printTable } from './lib/stats.ts';

const folder = fileURLToPath(new URL('./hostile/', import.meta.url));
const wanted = process.argv.slice(2);

const files = (await readdir(folder)).filter((file) => file.endsWith('.ts') && file !== 'attack.ts').sort();
const rows: string[][] = [];
let missed = 0;
for (const file of files) {
  const attack = (await import(`${folder}${file}`)).default as Attack;
  if (wanted.length > 0 && !wanted.includes(attack.name)) continue;
  console.log(`${attack.name} (${basename(file)}): ${attack.replays}`);
  const outcome = await attack.run();
  if (!outcome.met) missed++;
  rows.push([attack.name, attack.before, attack.target, outcome.figure, outcome.met ? 'met' : 'MISS']);
}
printTable('hostile input, before the fix and now', ['attack', 'before', 'target', 'now', ''], rows);
if (rows.length === 0) console.log(`no attack named ${wanted.join(', ')}`);
process.exitCode = missed > 0 || rows.length === 0 ? 1 : 0;
