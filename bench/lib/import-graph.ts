// The project's own modules that a file imports, directly or through others: enough of Vitest's
// idea of "related" for bench/mutation.ts to tell whether a changed test can reach a folder's code.
// Static `import … from`, `export … from`, side-effect imports and `import('…')` with a literal
// path; packages are left out, since only the project's files change between runs.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** The file a relative specifier names, as TypeScript and Vite resolve it here. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every project file `entry` imports, transitively, as paths relative to `root`; `entry` included. */
export function importClosure(root: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [resolve(root, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.(?:ts|mts|js|mjs)$/.test(file)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIERS)) {
      const specifier = match[1] as string;
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      if (target !== undefined && !seen.has(target)) pending.push(target);
    }
  }
  return new Set([...seen].map((file) => relative(root, file)));
}
