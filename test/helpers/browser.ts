// A real browser for the web view's tests: Debian's chromium, headless, driven over the DevTools
// protocol by puppeteer-core (which downloads nothing: it is pointed at the system's chromium).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser to run, or undefined when the machine has none (scripts/install-deps installs chromium). */
export const chromiumPath = process.env.SCS_CHROMIUM ?? CANDIDATES.find((path) => existsSync(path));

export interface HeadlessBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  if (!chromiumPath) throw new Error('no chromium on this machine (scripts/install-deps installs it)');
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'scs-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    userDataDir: profile,
    // Root in a container has no user namespace for chromium's sandbox; the page is our own, on loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
