// End-to-end: a real cairn server on a copy of examples/flights, the built
// UI, headless Chromium. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { copyExample, expectServedUi, gql, removeDir, screenshotsDir, startCairn } from './harness.mjs';
import { closeSession, openSession, type Session } from './session';

let session: Session | undefined;
let cairn: Session['cairn'];
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];
const shots = screenshotsDir();

beforeAll(async () => {
  session = await openSession();
  ({ cairn, browser, page, pageErrors } = session);
});

afterAll(() => closeSession(session));

describe('Cairn UI', () => {
  test('the graph shows every asset', async () => {
    const { assets } = await gql(cairn.url, '{ assets { key } }');
    expect(assets.length).toBeGreaterThan(5);
    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 30_000 });
    const keys = await page.$$eval('.gnode[data-key]', (els) => els.map((e) => e.getAttribute('data-key')));
    expect(new Set(keys)).toEqual(new Set(assets.map((a: { key: string }) => a.key)));
    // Every node is coloured by a legend state.
    const states = await page.$$eval('.gnode[data-state]', (els) => els.map((e) => e.getAttribute('data-state')));
    for (const s of states) expect(['FRESH', 'STALE', 'MISSING', 'FAILED', 'MATERIALIZING', 'OVERDUE']).toContain(s);
    await page.screenshot({ path: join(shots, 'graph.png') });
  });

  test('search jumps to an asset and focus highlights its lineage', async () => {
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search assets');
    await page.keyboard.type('weather_da');
    await page.waitForSelector('.search-results li[role="option"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="focus-panel"]');
    expect(await page.textContent('[data-testid="focus-panel"] .focus-key')).toBe('flights_weather_daily');
    await page.waitForSelector('.gnode.focus[data-key="flights_weather_daily"]');
    // Upstream (flights_daily, raw/flights, raw/weather) and downstream (flights_monthly) are highlighted, the rest dimmed.
    const related = await page.$$eval('.gnode.related', (els) => els.map((e) => e.getAttribute('data-key')).sort());
    expect(related).toEqual(['flights_daily', 'flights_monthly', 'raw/flights', 'raw/weather']);
    // Dimmed: under the canvas-coloured veil shown while an asset is focused; the lineage above it.
    const layers = await page.evaluate(() => {
      const veil = document.querySelector('.graph-dim')!;
      const z = (el: Element) => Number(getComputedStyle(el).zIndex);
      const under = (g: Element) => z(g.closest('.react-flow__node')!) < z(veil);
      const nodes = [...document.querySelectorAll('.gnode[data-key]')];
      return {
        veil: getComputedStyle(veil).display,
        dimmed: nodes.filter(under).map((g) => g.getAttribute('data-key')),
        lifted: nodes.filter((g) => !under(g)).map((g) => g.getAttribute('data-key')).sort(),
      };
    });
    expect(layers.veil).toBe('block');
    expect(layers.dimmed.length).toBeGreaterThan(3);
    expect(layers.lifted).toEqual(['flights_daily', 'flights_monthly', 'flights_weather_daily', 'raw/flights', 'raw/weather']);
    // Escape clears the search.
    await page.focus('.search-input');
    await page.keyboard.press('Escape');
    expect(await page.inputValue('.search-input')).toBe('');
    await page.screenshot({ path: join(shots, 'graph-focus.png') });
  });

  test('open an asset page', async () => {
    await page.click('[data-testid="focus-panel"] a:has-text("Open asset")');
    await page.waitForSelector('[data-testid="asset-key"]');
    expect(await page.textContent('[data-testid="asset-key"]')).toBe('flights_weather_daily');
    await page.waitForSelector('[data-testid="partition-bar"] canvas');
    expect(await page.textContent('.asset-page')).toContain('daily partitions');
    expect(await page.$('pre.sql .tok-kw')).not.toBeNull();
  });

  test('"Backfill selection…" without a selection previews every asset and sends no selection', async () => {
    const { assets } = await gql(cairn.url, '{ assets { key kind } }');
    const materializable = assets.filter((a: { kind: string }) => a.kind !== 'SOURCE').map((a: { key: string }) => a.key);
    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]');
    const sent: unknown[] = [];
    const onRequest = (request: import('playwright-core').Request) => {
      const body = request.method() === 'POST' && request.url().endsWith('/graphql') ? request.postDataJSON() : null;
      if (body?.operationName === 'BackfillPreview') sent.push(body.variables.input.selection);
    };
    page.on('request', onRequest);
    await page.click('button:has-text("Backfill selection")');
    await page.waitForSelector('[role="dialog"]');
    expect(await page.inputValue('[role="dialog"] input[name="selection"]')).toBe('');
    await page.waitForFunction((n) => document.querySelector('[data-testid="selection-count"]')?.textContent === String(n), assets.length);
    await page.waitForSelector('[data-testid="preview-total"]');
    const previewed = await page.$$eval('[data-testid="backfill-preview"] tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    // Keys with a `/` are in: `*` would have left them out.
    expect(new Set(previewed)).toEqual(new Set(materializable));
    expect(previewed).toContain('reports/delay_report');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((selection) => selection === '')).toBe(true);
    page.off('request', onRequest);
    await page.screenshot({ path: join(shots, 'backfill-dialog-all.png') });
    await page.click('[role="dialog"] button:has-text("Cancel")');
  });

  test('launch a week backfill of flights_daily from the UI and watch it complete live', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily`);
    await page.waitForSelector('[data-testid="partition-bar"] canvas');
    // Drag over the bar: the first week (7 of 90 partitions).
    const box = (await page.locator('[data-testid="partition-bar"] canvas').boundingBox())!;
    const per = box.width / 90;
    await page.mouse.move(box.x + per * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + per * 3.5, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + per * 6.5, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.click('[data-testid="backfill-range"]');
    await page.waitForSelector('[role="dialog"]');
    expect(await page.inputValue('input[name="start"]')).toBe('2013-01-01');
    expect(await page.inputValue('input[name="end"]')).toBe('2013-01-07');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-total"]')?.textContent === '7');
    await page.click('[data-testid="launch-backfill"]');
    await page.waitForURL(/\/backfills\/b-\d+$/);
    const id = page.url().split('/').pop()!;
    // Progress arrives through the subscription: no reload.
    await page.waitForFunction(() => /completed/.test(document.querySelector('h1 .status')?.textContent ?? ''), null, { timeout: 90_000 });
    expect(await page.textContent('[data-testid="backfill-counts"]')).toContain('7/7 done');
    await page.waitForTimeout(500); // let the progress bar's transition finish for the screenshot
    await page.screenshot({ path: join(shots, 'backfill.png') });
    const { asset, backfill } = await gql(
      cairn.url,
      `{ backfill(id: "${id}") { status counts { materialized } } asset(key: "flights_daily") { partitionStatuses { start end state count } } }`,
    );
    expect(backfill.status).toBe('COMPLETED');
    expect(backfill.counts.materialized).toBe(7);
    const first = asset.partitionStatuses[0];
    expect(first).toMatchObject({ start: '2013-01-01', state: 'MATERIALIZED' });
    expect(first.count).toBeGreaterThanOrEqual(7);
  });

  test('asset page after materialization: history with provenance, checks', async () => {
    await page.goto(`${cairn.url}/assets/flights_daily`);
    await page.waitForSelector('[data-testid="partition-bar"] canvas');
    await page.waitForSelector('text=raw/flights');
    await page.screenshot({ path: join(shots, 'asset.png'), fullPage: true });
    // The history and the checks are tabs of the asset page.
    await page.click('[role="tab"]:has-text("Events")');
    await page.waitForSelector('.provenance-line');
    expect(await page.textContent('.asset-page')).toContain('Inputs read (provenance)');
    await page.click('[role="tab"]:has-text("Checks")');
    await page.waitForSelector('.check-head');
    expect(await page.textContent('.asset-page')).toContain('row_count');
  });

  test('cancel a running backfill from the UI', async () => {
    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]');
    await page.fill('input[name="selection"]', '+flights_weather_daily');
    await page.click('button:has-text("Backfill selection")');
    await page.waitForSelector('[role="dialog"]');
    expect(await page.inputValue('[role="dialog"] input[name="selection"]')).toBe('+flights_weather_daily');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="preview-total"]')?.textContent?.replace(/,/g, '')) > 90);
    await page.click('[data-testid="launch-backfill"]');
    await page.waitForURL(/\/backfills\/b-\d+$/);
    const id = page.url().split('/').pop()!;
    // Wait until it is planned and running (per-asset progress shows), then cancel.
    await page.waitForSelector('[data-testid="progress-flights_weather_daily"]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid="cancel-backfill"]:not([disabled])');
    const before = await gql(cairn.url, `{ backfill(id: "${id}") { status counts { targeted materialized } } }`);
    expect(before.backfill.status).toBe('REQUESTED');
    expect(before.backfill.counts.targeted).toBeGreaterThanOrEqual(90);
    expect(before.backfill.counts.materialized).toBeLessThan(before.backfill.counts.targeted);
    await page.click('[data-testid="cancel-backfill"]');
    await page.waitForFunction(() => /cancel/.test(document.querySelector('h1 .status')?.textContent ?? ''), null, { timeout: 30_000 });
    const { backfill } = await gql(cairn.url, `{ backfill(id: "${id}") { status counts { materialized canceled } } }`);
    expect(['CANCELED', 'CANCELING']).toContain(backfill.status);
    // The live page shows the canceled partitions without a reload.
    await page.waitForFunction(() => /canceled/.test(document.querySelector('[data-testid="backfill-counts"]')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'backfill-canceled.png') });
  });

  test('backfills and runs lists', async () => {
    await page.goto(`${cairn.url}/backfills`);
    await page.waitForSelector('[data-testid="backfills-table"] tbody tr');
    expect(await page.$$eval('[data-testid="backfills-table"] tbody tr', (r) => r.length)).toBeGreaterThanOrEqual(2);
    await page.goto(`${cairn.url}/runs`);
    await page.waitForSelector('.table tbody tr');
    await page.click('.table tbody tr:last-child a');
    // The run's past events stream in through runEvents (from its start).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-log"] .log-line').length > 3, null, { timeout: 30_000 });
    const kinds = await page.$$eval('[data-testid="run-log"] .log-kind', (r) => r.map((e) => e.textContent));
    expect(kinds).toContain('asset_materialization');
    expect(await page.textContent('h1 .status')).toMatch(/success/);
    // The finished run's stream ends with its last event, shown once (urql
    // hands the last result over again when the subscription completes).
    await page.waitForSelector('[data-testid="run-log"] .log-line:last-child .log-kind:text-is("run_success")', { timeout: 30_000 });
    await page.waitForTimeout(500);
    const logged = await page.$$eval('[data-testid="run-log"] .log-line', (r) => r.map((e) => [e.getAttribute('data-cursor'), e.querySelector('.log-kind')?.textContent]));
    expect(logged.filter(([, kind]) => kind === 'run_success')).toHaveLength(1);
    expect(new Set(logged.map(([cursor]) => cursor)).size).toBe(logged.length);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'run.png') });
  });

  test('no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('a server with a token', () => {
  let dir: string;
  let server: { url: string; stop: () => Promise<void> };
  beforeAll(async () => {
    dir = copyExample('flights');
    server = await startCairn(dir, { extraArgs: ['--token', 's3cret'] });
    await expectServedUi(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  test('a mutation without the token shows the token field; with it, it works', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await p.goto(`${server.url}/assets/delays_by_carrier`);
    await p.waitForSelector('[data-testid="asset-key"]');
    await p.click('button:has-text("Materialize")');
    await p.waitForSelector('text=This server needs a token');
    await p.waitForSelector('.token-form input[name="token"]');
    await p.fill('.token-form input[name="token"]', 's3cret');
    await p.click('.token-form button[type="submit"]');
    expect(await p.evaluate(() => localStorage.getItem('cairn.token'))).toBe('s3cret');
    await p.click('button:has-text("Materialize")');
    await p.waitForURL(/\/runs\/r-\d+$/, { timeout: 30_000 });
    await p.waitForFunction(() => /success|failure/.test(document.querySelector('h1 .status')?.textContent ?? ''), null, { timeout: 60_000 });
    await p.close();
  });
});
