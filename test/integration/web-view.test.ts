// The web view in a real browser: Debian's chromium, headless, driven over the DevTools protocol,
// on a real disco's HTTP listener. The page lists what is registered; a provider that says goodbye,
// and one that is killed, leave the page with their events, without a reload. The drop-to-page
// latency is printed, not asserted; a screenshot is kept in test-results/ (not in git).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.ts';
import { DiscoClient } from '../../src/client/client.ts';
import { stateMember } from '../../src/client/members.ts';
import { chromiumPath, launchBrowser } from '../helpers/browser.ts';
import { type Running, scs } from '../helpers/cli.ts';
import { quietLogger } from '../helpers/logging.ts';
import { record } from '../helpers/member.ts';
import { eventually } from '../helpers/wait.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const TOKEN = 'observer-token-0123456789';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const figure = (text: string) => console.info(`[web-view] ${text}`);

/** `scs disco` with its HTTP listener, short heartbeats and grace; resolves with its addresses. */
async function startDisco(extra: string[] = []): Promise<{ disco: string; http: string; running: Running }> {
  const running = scs([
    'disco',
    ...['--listen', '127.0.0.1:0', '--dns', 'off', '--http', '127.0.0.1:0'],
    ...['--heartbeat-interval', '200ms', '--heartbeat-timeout', '1s', '--grace', '1s'],
    ...extra,
  ]);
  cleanups.push(async () => {
    running.child.kill('SIGTERM');
    await running.exited;
  });
  const output = () => running.stdout + running.stderr;
  const http = await eventually(() => /http on (127\.0\.0\.1:\d+)/.exec(output())?.[1], 15_000, 'disco to say where its HTTP listener is');
  const disco = /listening on tcp (127\.0\.0\.1:\d+)/.exec(output())![1]!;
  return { disco, http, running };
}

async function client(disco: string, name: string, token?: string): Promise<DiscoClient> {
  const connected = await DiscoClient.connect({ ...parseHostPort(disco), name, logger: quietLogger, ...(token ? { token } : {}) });
  cleanups.push(() => connected.close());
  return connected;
}

async function openPage(http: string): Promise<Page> {
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  cleanups.push(() => expect(errors, 'errors in the page').toEqual([]));
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`http://${http}/`);
  return page;
}

/** Milliseconds from now until `selector` matches nothing on the page (watched by the page itself, as it changes). */
async function gone(page: Page, selector: string): Promise<number> {
  const start = Date.now();
  await page.waitForFunction((s: string) => document.querySelector(s) === null, { polling: 'mutation', timeout: 30_000 }, selector);
  return Date.now() - start;
}

describe.skipIf(!chromiumPath)(
  `the web view in a real browser${chromiumPath ? '' : ' (skipped: no chromium; scripts/install-deps installs it)'}`,
  { timeout: 120_000 },
  () => {
    it('lists the hosts, services and endpoints, and loses a provider that says goodbye or is killed, with its event, without a reload', async () => {
      const { disco, http } = await startDisco();
      const agent = await client(disco, 'scs up blog');
      await stateMember(agent, record());
      const web = await client(disco, 'web');
      await web.provide({ name: 'http.web.blog.prod', host: '10.201.1.11', port: 32768, attrs: { az: 'a' } });
      const killed = scs(['provide', 'api.web.blog.prod', '10.201.1.11:9000', '--disco', disco]);
      cleanups.push(() => killed.child.kill('SIGKILL'));

      const page = await openPage(http);
      await page.waitForSelector('[data-endpoint="http.web.blog.prod"]', { timeout: 30_000 });
      await page.waitForSelector('[data-endpoint="api.web.blog.prod"]', { timeout: 30_000 });
      expect(await page.$$eval('[data-service]', (rows) => rows.map((row) => (row as HTMLElement).dataset.service))).toEqual([
        'web.blog.prod',
      ]);
      expect(await page.$eval('[data-host="h1"]', (box) => box.textContent)).toContain('zone a');
      expect(await page.$eval('#graph', (graph) => graph.textContent)).toContain('db.blog.prod');
      const loadedAt = await page.$eval('body', (body) => body.dataset.updated);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'web-view.png') });

      // A goodbye: the endpoint leaves at once, and its event says why.
      const goodbyeAt = Date.now();
      await web.close(); // its `bye`: the session ends, and its endpoint with it
      const afterGoodbye = await gone(page, '[data-endpoint="http.web.blog.prod"]');
      await page.waitForSelector('li[data-kind="endpoint-dropped"][data-name="http.web.blog.prod"][data-reason="goodbye"]', {
        timeout: 30_000,
      });
      figure(`a goodbye left the page ${afterGoodbye} ms after it was said (${Date.now() - goodbyeAt} ms with its event)`);

      // A killed provider: gone once disco drops it, after the heartbeat timeout or the lost socket and the grace.
      const killedAt = Date.now();
      killed.child.kill('SIGKILL');
      const afterKill = await gone(page, '[data-endpoint="api.web.blog.prod"]');
      const dropped = await page.waitForSelector('li[data-kind="endpoint-dropped"][data-name="api.web.blog.prod"]', { timeout: 30_000 });
      expect(await dropped!.evaluate((item) => (item as HTMLElement).dataset.reason)).toBe('lost-socket');
      figure(`a killed provider left the page ${afterKill} ms after the kill (grace 1 s; ${Date.now() - killedAt} ms with its event)`);

      // The same page all along: no reload, only the updates the events brought.
      expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
      expect(await page.$eval('body', (body) => body.dataset.updated)).not.toBe(loadedAt);
      await page.screenshot({ path: join(ARTIFACTS, 'web-view-after-drops.png') });
    });

    it('asks for a token once when disco has tokens, keeps it for the tab, and shows nothing to a token that may not observe', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'scs-web-'));
      writeFileSync(
        join(dir, 'disco.yaml'),
        [
          'tokens:',
          `  - token: ${TOKEN}`,
          '    observe: ["*.*.*.*"]',
          '  - token: provider-token-0123456789',
          '    provide: ["*.*.*.*"]',
          '',
        ].join('\n'),
      );
      const { disco, http } = await startDisco(['--config', join(dir, 'disco.yaml')]);
      const provider = await client(disco, 'web', 'provider-token-0123456789');
      await provider.provide({ name: 'http.web.shop.prod', host: '10.0.0.7', port: 8080 });

      const page = await openPage(http);
      await page.waitForSelector('#token:not([hidden])', { timeout: 30_000 });
      expect(await page.$('[data-endpoint]')).toBeNull();
      // A token that may provide but not observe is refused, and said so.
      await page.type('#token-value', 'provider-token-0123456789');
      await page.click('#token button');
      await page.waitForFunction(() => document.querySelector('#token-error')?.textContent === 'that token was refused', {
        timeout: 30_000,
      });
      await page.$eval('#token-value', (input) => {
        (input as HTMLInputElement).value = '';
      });
      await page.type('#token-value', TOKEN);
      await page.click('#token button');
      await page.waitForSelector('[data-endpoint="http.web.shop.prod"]', { timeout: 30_000 });
      // Kept for the tab: a reload asks no more.
      await page.reload();
      await page.waitForSelector('[data-endpoint="http.web.shop.prod"]', { timeout: 30_000 });
      expect(await page.$eval('#token', (form) => (form as HTMLFormElement).hidden)).toBe(true);
    });
  },
);
