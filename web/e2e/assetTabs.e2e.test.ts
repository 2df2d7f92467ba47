// End-to-end: the asset page as tabs (Overview, Partitions, Events, Checks,
// Lineage) on a real `cairn serve` of examples/flights plus two assets (a
// daily command asset that always fails, and 100,056 hourly partitions),
// in headless Chromium: the tab kept in the URL, keyboard navigation, the
// bar's date ticks, the partition table's state filter and paging, a click
// from a partition to its materializations, light and dark screenshots.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { copyExample, expectServedUi, launchBrowser, removeDir, screenshotsDir, startCairn } from './harness.mjs';
import { materializeAndWait } from './runs';

const EXTRA_ASSETS = `assets:
  - key: fails_daily
    description: A command that always exits 3.
    partitions:
      daily: { start: 2013-01-01, end: 2013-01-04 }
    command: [python3, -c, "import sys; print('no data today', file=sys.stderr); sys.exit(3)"]
  - key: hourly_many
    description: 100,056 hourly partitions (2013 to mid-2024), never materialized.
    partitions:
      hourly: { start: 2013-01-01-00:00, end: 2024-06-01-00:00 }
    sql: SELECT 1 AS x
`;

let browser: Browser;
let page: Page;
let dir: string;
let cairn: { url: string; stop: () => Promise<void> };
const shots = screenshotsDir();
const pageErrors: string[] = [];

const selectedTab = () => page.getAttribute('[role="tab"][aria-selected="true"]', 'data-tab');
const rowKeys = () => page.$$eval('[data-testid="partition-row"]', (rows) => rows.map((r) => r.getAttribute('data-key')));
const tickLabels = () => page.$$eval('[data-testid="partition-tick"]', (ticks) => ticks.map((t) => t.textContent));

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  dir = copyExample('flights');
  writeFileSync(join(dir, 'assets', 'tabs.yaml'), EXTRA_ASSETS);
  cairn = await startCairn(dir);
  await expectServedUi(cairn.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  expect((await materializeAndWait(cairn.url, '+flights_daily', ['2013-01-02', '2013-01-03', '2013-01-04'], 90_000)).status).toBe('SUCCESS');
  expect((await materializeAndWait(cairn.url, 'fails_daily', ['2013-01-02'])).status).toBe('FAILURE');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cairn?.stop();
  if (dir) removeDir(dir);
});

describe('asset page tabs', () => {
  test('a bare asset link opens the Overview: the bar with date ticks, staleness, the definition', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily`);
    await page.waitForSelector('[role="tablist"]');
    expect(await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.textContent))).toEqual(['Overview', 'Partitions', 'Events', 'Checks', 'Lineage']);
    expect(await selectedTab()).toBe('overview');
    const panel = page.locator('[role="tabpanel"]');
    expect(await panel.getAttribute('aria-labelledby')).toBe('asset-tab-overview');
    await page.waitForSelector('[data-testid="partition-bar"] canvas');
    await page.waitForSelector('[data-testid="partition-tick"]');
    // Jan-Mar 2013 at 1440 px: the 1st and 15th of each month.
    expect(await tickLabels()).toEqual(['2013-01-01', '2013-01-15', '2013-02-01', '2013-02-15', '2013-03-01', '2013-03-15']);
    // The 2013-02-01 tick sits 31/90 of the way along the bar.
    const bar = (await page.locator('[data-testid="partition-bar"] canvas').boundingBox())!;
    const feb = (await page.locator('[data-testid="partition-tick"]:has-text("2013-02-01")').boundingBox())!;
    expect(Math.abs(feb.x - (bar.x + (bar.width * 31) / 90))).toBeLessThan(2);
    expect(await page.textContent('[data-testid="partition-counts"]')).toContain('3 materialized');
    expect(await page.textContent('[data-testid="overview-summary"]')).toContain('1 upstream asset,');
    await page.waitForSelector('text=raw/flights');
    await page.screenshot({ path: join(shots, 'asset-tabs-overview.png') });
  });

  test('arrow keys, Home and End move between tabs; the URL keeps the tab; Back returns', async () => {
    await page.focus('[role="tab"][data-tab="overview"]');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(/\/assets\/flights_daily\?tab=partitions$/);
    expect(await selectedTab()).toBe('partitions');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-tab'))).toBe('partitions');
    await page.keyboard.press('End');
    await page.waitForURL(/\?tab=lineage$/);
    expect(await selectedTab()).toBe('lineage');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(/\/assets\/flights_daily$/);
    expect(await selectedTab()).toBe('overview');
    // Only the selected tab is in the tab order.
    expect(await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.getAttribute('tabindex')))).toEqual(['0', '-1', '-1', '-1', '-1']);
    await page.goBack();
    await page.waitForURL(/\?tab=lineage$/);
    expect(await selectedTab()).toBe('lineage');
    // A reload keeps it.
    await page.goto(`${cairn.url}/assets/flights_daily?tab=checks`);
    await page.waitForSelector('[role="tab"][aria-selected="true"][data-tab="checks"]');
    // An unknown tab is the Overview.
    await page.goto(`${cairn.url}/assets/flights_daily?tab=nope`);
    await page.waitForSelector('[role="tab"][aria-selected="true"][data-tab="overview"]');
  });

  test('Partitions: the table pages 50 rows, last key first, with each partition\'s latest materialization', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily?tab=partitions`);
    await page.waitForSelector('[data-testid="partition-row"]');
    expect(await page.textContent('[data-testid="partition-page"]')).toBe('1–50 of 90 partitions');
    const keys = await rowKeys();
    expect(keys).toHaveLength(50);
    expect(keys[0]).toBe('2013-03-31');
    expect(keys[49]).toBe('2013-02-10');
    expect(await page.$$eval('[data-testid="partition-tick"]', (t) => t.length)).toBeGreaterThan(0);
    await page.click('[data-testid="partition-next"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="partition-page"]')?.textContent === '51–90 of 90 partitions');
    expect((await rowKeys()).slice(-3)).toEqual(['2013-01-03', '2013-01-02', '2013-01-01']);
    // The three materialized ones say when and which run.
    const row = page.locator('[data-testid="partition-row"][data-key="2013-01-03"]');
    expect(await row.getAttribute('data-state')).toBe('MATERIALIZED');
    await row.locator('[data-testid="partition-latest"]').waitFor();
    expect(await row.locator('[data-testid="partition-latest"]').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · r-\d+$/);
    expect(await page.locator('[data-testid="partition-row"][data-key="2013-01-01"] td').nth(2).textContent()).toBe('never');
    await page.screenshot({ path: join(shots, 'asset-tabs-partitions.png') });
  });

  test('Partitions: filtering by state, kept in the URL, in the legend\'s words', async () => {
    await page.click('[data-testid="partition-filter"] button[data-state="MATERIALIZED"]');
    await page.waitForURL(/\?tab=partitions&state=MATERIALIZED$/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="partition-row"]').length === 3);
    expect(await rowKeys()).toEqual(['2013-01-04', '2013-01-03', '2013-01-02']);
    expect(await page.textContent('[data-testid="partition-page"]')).toBe('1–3 of 3 materialized partitions');
    expect(await page.textContent('[data-testid="partition-filter"] button[aria-pressed="true"]')).toMatch(/materialized 3$/);
    // Oldest first.
    await page.selectOption('[data-testid="partition-order"]', 'oldest');
    await page.waitForFunction(() => document.querySelector('[data-testid="partition-row"]')?.getAttribute('data-key') === '2013-01-02');
    await page.screenshot({ path: join(shots, 'asset-tabs-partitions-filtered.png') });
    await page.click('[data-testid="partition-filter"] button[data-state="MISSING"]');
    await page.waitForURL(/state=MISSING$/);
    await page.waitForFunction(() => document.querySelector('[data-testid="partition-page"]')?.textContent === '1–50 of 87 missing partitions');
    expect(new Set(await page.$$eval('[data-testid="partition-row"]', (rows) => rows.map((r) => r.getAttribute('data-state'))))).toEqual(new Set(['MISSING']));
    await page.click('[data-testid="partition-filter"] button[data-state="FAILED"]');
    await page.waitForSelector('text=No failed partitions.');
    // The URL's filter is read back on load.
    await page.goto(`${cairn.url}/assets/flights_daily?tab=partitions&state=MATERIALIZED`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="partition-row"]').length === 3);
  });

  test("a partition's key opens the Events tab with its materializations only", async () => {
    await page.click('[data-testid="partition-row"][data-key="2013-01-03"] td.mono a');
    await page.waitForURL(/\/assets\/flights_daily\?tab=events&partition=2013-01-03$/);
    expect(await selectedTab()).toBe('events');
    await page.waitForSelector('[data-testid="materialization-row"]');
    expect(await page.$$eval('[data-testid="materialization-row"]', (rows) => rows.map((r) => r.getAttribute('data-partition')))).toEqual(['2013-01-03']);
    expect(await page.textContent('[data-testid="events-title"]')).toBe('Materializations of 2013-01-03');
    expect(await page.inputValue('[data-testid="events-filter"] input[name="partition"]')).toBe('2013-01-03');
    // With its provenance.
    expect(await page.textContent('[data-testid="materialization-row"] .provenance-line')).toContain('raw/flights');
    await page.screenshot({ path: join(shots, 'asset-tabs-events-partition.png') });
    await page.click('[data-testid="events-all"]');
    await page.waitForURL(/\?tab=events$/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="materialization-row"]').length === 3);
    // Typing a partition filters too.
    await page.fill('[data-testid="events-filter"] input[name="partition"]', '2013-01-04');
    await page.press('[data-testid="events-filter"] input[name="partition"]', 'Enter');
    await page.waitForURL(/partition=2013-01-04$/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="materialization-row"]')].map((r) => r.getAttribute('data-partition')).join() === '2013-01-04');
    expect(await page.textContent('[data-testid="no-failures"]')).toContain('No failed materialization of 2013-01-04');
  });

  test('Events: a failed materialization with its error, also in the Partitions table', async () => {
    await page.goto(`${cairn.url}/assets/fails_daily?tab=events`);
    await page.waitForSelector('[data-testid="failure-row"]');
    const failure = page.locator('[data-testid="failure-row"]');
    expect(await failure.count()).toBe(1);
    expect(await failure.locator('td').nth(1).textContent()).toBe('2013-01-02');
    expect(await failure.textContent()).toMatch(/r-\d+/);
    expect(await failure.textContent()).toContain('exited with status 3');
    expect(await page.textContent('[data-testid="materializations"], .empty')).toBe('Never materialized.');
    await page.screenshot({ path: join(shots, 'asset-tabs-events-failure.png') });
    await page.goto(`${cairn.url}/assets/fails_daily?tab=partitions&state=FAILED`);
    await page.waitForSelector('[data-testid="partition-row"]');
    expect(await rowKeys()).toEqual(['2013-01-02']);
    await page.click('[data-testid="partition-row"] [data-testid="partition-events"]');
    await page.waitForURL(/\?tab=events&partition=2013-01-02$/);
    await page.waitForSelector('[data-testid="failure-row"]');
  });

  test('Checks: each check with its latest results', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily?tab=checks`);
    await page.waitForSelector('.check-head');
    const text = (await page.textContent('[role="tabpanel"]'))!;
    expect(text).toContain('row_count');
    expect(text).toContain('accepted_values');
    expect(text).toMatch(/3 passed · 0 failed/);
    await page.click('.check-head:has-text("row_count")');
    await page.waitForSelector('.check-body td:has-text("2013-01-03")');
    await page.screenshot({ path: join(shots, 'asset-tabs-checks.png') });
  });

  test('Lineage: upstream and downstream with their states, and the graph around the asset', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily?tab=lineage`);
    await page.waitForSelector('[data-testid="upstream"]');
    expect(await page.$$eval('[data-testid="upstream"] li a', (as) => as.map((a) => a.textContent))).toEqual(['raw/flights']);
    expect(await page.textContent('[data-testid="upstream"]')).toContain('source');
    const downstream = await page.$$eval('[data-testid="downstream"] li a', (as) => as.map((a) => a.textContent));
    expect(downstream).toContain('flights_weather_daily');
    expect(await page.textContent('[data-testid="downstream"]')).toMatch(/missing|stale|fresh/);
    expect(await page.getAttribute('[data-testid="lineage-graph-link"]', 'href')).toBe(`/?selection=${encodeURIComponent('+flights_daily+')}`);
    await page.screenshot({ path: join(shots, 'asset-tabs-lineage.png') });
    await page.click('[data-testid="lineage-graph-link"]');
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 30_000 });
    expect(await page.inputValue('input[name="selection"]')).toBe('+flights_daily+');
  });

  test('100,056 hourly partitions: 50 rows drawn, the last page reachable, year ticks', async () => {
    const started = Date.now();
    await page.goto(`${cairn.url}/assets/hourly_many?tab=partitions`);
    await page.waitForSelector('[data-testid="partition-row"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="partition-page"]')).toBe('1–50 of 100,056 partitions');
    expect(await page.$$eval('[data-testid="partition-row"]', (r) => r.length)).toBe(50);
    expect((await rowKeys())[0]).toBe('2024-05-31-23:00');
    expect(await tickLabels()).toEqual(['2014', '2016', '2018', '2020', '2022', '2024']);
    await page.click('button:has-text("Last")');
    await page.waitForFunction(() => document.querySelector('[data-testid="partition-page"]')?.textContent === '100,051–100,056 of 100,056 partitions');
    expect(await rowKeys()).toEqual(['2013-01-01-05:00', '2013-01-01-04:00', '2013-01-01-03:00', '2013-01-01-02:00', '2013-01-01-01:00', '2013-01-01-00:00']);
    expect(Date.now() - started).toBeLessThan(30_000);
    await page.screenshot({ path: join(shots, 'asset-tabs-100k.png') });
  });

  test('dark mode: the tabs, the table and the events read', async () => {
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    dark.on('pageerror', (e) => pageErrors.push(`${dark.url()}: ${e.message}`));
    await dark.goto(`${cairn.url}/assets/flights_daily?tab=partitions&state=MATERIALIZED`);
    await dark.waitForSelector('[data-testid="partition-latest"]');
    expect(await dark.evaluate(() => document.documentElement.getAttribute('data-color-scheme'))).toBe('dark');
    // The selected tab's text is the page's (light on dark), not the muted grey.
    const [tabColor, bodyColor] = await dark.evaluate(() => [
      getComputedStyle(document.querySelector('[role="tab"][aria-selected="true"]')!).color,
      getComputedStyle(document.body).color,
    ]);
    expect(tabColor).toBe(bodyColor);
    await dark.screenshot({ path: join(shots, 'asset-tabs-partitions-dark.png') });
    await dark.goto(`${cairn.url}/assets/flights_daily?tab=events`);
    await dark.waitForSelector('[data-testid="materialization-row"]');
    await dark.screenshot({ path: join(shots, 'asset-tabs-events-dark.png') });
    await dark.goto(`${cairn.url}/assets/flights_daily`);
    await dark.waitForSelector('[data-testid="partition-tick"]');
    await dark.screenshot({ path: join(shots, 'asset-tabs-overview-dark.png') });
    await dark.close();
  });

  test('no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
