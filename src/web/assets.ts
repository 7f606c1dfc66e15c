// The web view's files: a page, its script and its style, served by disco's HTTP listener and
// nothing else. The bundle carries them (scripts/bundle.ts defines SCS_WEB_ASSETS); the sources,
// run through tsx, read them from src/web/assets/ beside this file.

import { readFileSync } from 'node:fs';

export interface Asset {
  readonly type: string;
  readonly body: string;
}

/** Every file the page needs, by the path it is asked for; nothing outside this list is ever served. */
export const ASSET_FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
} as const;

declare const SCS_WEB_ASSETS: Record<string, string> | undefined;

/** The files' text by file name, as the bundle carries it or as the sources have it. */
export function readAssetTexts(): Record<string, string> {
  if (typeof SCS_WEB_ASSETS !== 'undefined') return SCS_WEB_ASSETS;
  return Object.fromEntries(
    Object.values(ASSET_FILES).map(({ file }) => [file, readFileSync(new URL(`./assets/${file}`, import.meta.url), 'utf8')]),
  );
}

/** The assets by request path, read once. */
export function webAssets(): ReadonlyMap<string, Asset> {
  const texts = readAssetTexts();
  return new Map(Object.entries(ASSET_FILES).map(([path, { file, type }]) => [path, { type, body: texts[file]! }]));
}
