// End-to-end: the asset catalog of 2,000 assets (the perf script's
// generated project) on a real `cairn serve`, in headless Chromium: the
// table is virtualised (a screenful of rows in the DOM, every row reached by
// scrolling) and the header's checkbox checks every row the filters show,
// drawn or not. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { expectServedUi, launchBrowser, removeDir, screenshotsDir, startCairn } from './harness.mjs';
// @ts-expect-error plain JS module
import { generateProject, projectKeys } from '../perf/perf.mjs';

const N = 2000;
let dir: string;
let server: { url: string; stop: () => Promise<void> };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const keys: string[] = [...(projectKeys(N) as string[])].sort();

beforeAll(async () => {
  dir = generateProject(N);
  server = await startCairn(dir);
  await expectServedUi(server.url);
  mkdirSync(screenshotsDir(), { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) removeDir(dir);
});

const drawnKeys = () => page.$$eval('[data-testid="catalog-row"]', (rows) => rows.map((r) => r.getAttribute('data-key')!));
const selectedCount = () => page.textContent('[data-testid="selected-count"]');
async function scrollToEnd() {
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
}

describe('catalog of 2,000 assets', () => {
  test('a screenful of rows is drawn; scrolling reaches the last, in order', async () => {
    await page.goto(`${server.url}/catalog`);
    await page.waitForSelector('[data-testid="catalog-row"]');
    expect(await page.textContent('[data-testid="catalog-count"]')).toBe('2,000 assets');
    const first = await drawnKeys();
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(100);
    expect(first).toEqual(keys.slice(0, first.length));
    // The page is as tall as every row: the last one is reached by scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(N * 25);
    await scrollToEnd();
    await page.waitForSelector(`[data-testid="catalog-row"][data-key="${keys[N - 1]}"]`);
    const last = await drawnKeys();
    expect(last.length).toBeLessThan(100);
    expect(last).toEqual(keys.slice(N - last.length));
    // The last row sits at the bottom of the page, whole.
    const gap = await page.evaluate(() => {
      const rows = document.querySelectorAll('[data-testid="catalog-row"]');
      return window.innerHeight - rows[rows.length - 1].getBoundingClientRect().bottom;
    });
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(80);
    await page.screenshot({ path: join(screenshotsDir(), 'catalog-2000-end.png') });
  });

  test("the header's checkbox checks every row the filters show, drawn or not", async () => {
    // One asset checked at the end of the list, then a search that hides it.
    await page.locator(`[data-testid="catalog-row"][data-key="${keys[N - 1]}"] [data-testid="select-row"]`).check();
    expect(await selectedCount()).toBe('1 selected');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.fill('[data-testid="catalog-search"]', 'g1');
    const g1 = keys.filter((k) => k.includes('g1'));
    expect(g1.length).toBe(550);
    await page.waitForFunction((t) => document.querySelector('[data-testid="catalog-count"]')?.textContent === t, `550 of 2,000 assets`);
    await page.check('[data-testid="select-shown"]');
    expect(await selectedCount()).toBe('551 selected');
    expect(await page.textContent('[data-testid="selection-bar"]')).toContain('(1 not shown by these filters)');
    expect((await drawnKeys()).length).toBeLessThan(100);
    // The rows drawn after scrolling to the end of the matches are checked too.
    await scrollToEnd();
    await page.waitForSelector(`[data-testid="catalog-row"][data-key="${g1[g1.length - 1]}"]`);
    const checked = await page.$$eval('[data-testid="catalog-row"]', (rows) => rows.map((r) => (r.querySelector('[data-testid="select-row"]') as HTMLInputElement).checked));
    expect(checked.length).toBeGreaterThan(10);
    expect(checked.every(Boolean)).toBe(true);
    await page.screenshot({ path: join(screenshotsDir(), 'catalog-2000-selected.png') });
    // Unchecked: the matches only; the hidden one stays checked.
    await page.uncheck('[data-testid="select-shown"]');
    expect(await selectedCount()).toBe('1 selected');
    expect(pageErrors).toEqual([]);
  });
});
