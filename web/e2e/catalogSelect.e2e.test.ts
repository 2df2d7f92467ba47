// End-to-end: the asset catalog's multi-select on a real `cairn serve` of
// examples/flights in headless Chromium: row checkboxes, the header's
// checkbox over the rows the filters show, "Materialize" (a run of exactly
// the checked assets) and "Backfill…" (the dialog prefilled with them).
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { sessionPerFile } from './session';

const session = sessionPerFile();

const row = (page: Page, key: string) => page.locator(`[data-testid="catalog-row"][data-key="${key}"]`);
const checkedKeys = (page: Page) =>
  page.$$eval('[data-testid="catalog-row"]', (rows) => rows.filter((r) => (r.querySelector('[data-testid="select-row"]') as HTMLInputElement).checked).map((r) => r.getAttribute('data-key')!));

async function waitUntilDone(url: string, id: string, field: 'run' | 'backfill') {
  const active = ['QUEUED', 'STARTED', 'CANCELING', 'REQUESTED'];
  for (let i = 0; i < 600; i++) {
    const data = await gql(url, `query($id: ID!) { ${field}(id: $id) { status } }`, { id });
    if (!active.includes(data[field].status)) return data[field].status as string;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${field} ${id} did not finish`);
}

describe('catalog multi-select', () => {
  test('checking three assets and "Materialize" launches a run of exactly those assets', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/catalog`);
    await page.waitForSelector('[data-testid="catalog-table"]');
    expect(await page.locator('[data-testid="selection-bar"]').count()).toBe(0);
    // A source, a partitioned asset and an unpartitioned one downstream of it.
    for (const key of ['raw/airlines', 'flights_daily', 'delays_by_carrier']) await row(page, key).locator('[data-testid="select-row"]').check();
    expect((await checkedKeys(page)).sort()).toEqual(['delays_by_carrier', 'flights_daily', 'raw/airlines']);
    expect(await page.textContent('[data-testid="selected-count"]')).toBe('3 selected');
    // Partitioned assets need no partitions: the run takes their missing or stale ones.
    expect(await page.isEnabled('[data-testid="materialize-selected"]')).toBe(true);
    expect(await page.locator('[data-testid="select-shown"]').evaluate((e: HTMLInputElement) => e.indeterminate)).toBe(true);
    await page.screenshot({ path: join(shots, 'catalog-selected.png') });

    await page.click('[data-testid="materialize-selected"]');
    await page.waitForURL(/\/runs\/r-\d+$/);
    const id = page.url().split('/').pop()!;
    const { run } = await gql(cairn.url, 'query($id: ID!) { run(id: $id) { selection steps(first: 1000) { nodes { asset } } } }', { id });
    expect(run.selection).toBe('key:delays_by_carrier or key:flights_daily or key:"raw/airlines"');
    // The selection names exactly the checked assets, nothing upstream or downstream of them.
    const { assets } = await gql(cairn.url, 'query($s: String) { assets(selection: $s) { key } }', { s: run.selection });
    expect(assets.map((a: { key: string }) => a.key).sort()).toEqual(['delays_by_carrier', 'flights_daily', 'raw/airlines']);
    // Steps: every missing partition of flights_daily and delays_by_carrier (a source has none); none of another asset.
    const stepAssets = [...new Set(run.steps.nodes.map((s: { asset: string }) => s.asset))].sort();
    expect(stepAssets).toEqual(['delays_by_carrier', 'flights_daily']);
    expect(run.steps.nodes.filter((s: { asset: string }) => s.asset === 'flights_daily').length).toBe(90);
    await page.waitForSelector('h1');
    await page.screenshot({ path: join(shots, 'catalog-selected-run.png') });
    // Not needed further: stop it.
    await gql(cairn.url, 'mutation($id: ID!) { cancelRun(id: $id) { changed } }', { id });
    expect(['CANCELED', 'SUCCESS']).toContain(await waitUntilDone(cairn.url, id, 'run'));
    expect(pageErrors).toEqual([]);
  });

  test("the header's checkbox checks the rows the filters show, and unchecks them", async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/catalog?group=raw`);
    await page.waitForSelector('[data-testid="catalog-table"]');
    const raw = await page.$$eval('[data-testid="catalog-row"]', (rows) => rows.map((r) => r.getAttribute('data-key')!));
    expect(raw.length).toBe(5);
    await page.check('[data-testid="select-shown"]');
    expect((await checkedKeys(page)).sort()).toEqual([...raw].sort());
    expect(await page.textContent('[data-testid="selected-count"]')).toBe('5 selected');
    await page.screenshot({ path: join(shots, 'catalog-select-shown.png') });
    // Without the filter: the raw assets stay checked, the others are not.
    await page.click('[data-testid="clear-filters"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="catalog-row"]').length > 5);
    expect((await checkedKeys(page)).sort()).toEqual([...raw].sort());
    expect(await page.locator('[data-testid="select-shown"]').evaluate((e: HTMLInputElement) => e.indeterminate)).toBe(true);
    // Filtered again, the header's checkbox is checked; a click unchecks the rows shown.
    await page.selectOption('[data-testid="filter-group"]', 'raw');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="catalog-row"]').length === 5);
    expect(await page.isChecked('[data-testid="select-shown"]')).toBe(true);
    await page.uncheck('[data-testid="select-shown"]');
    expect(await checkedKeys(page)).toEqual([]);
    expect(await page.locator('[data-testid="selection-bar"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  test('"Backfill…" opens the backfill dialog with the checked assets as its selection', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/catalog?q=_daily`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="catalog-row"]').length === 2);
    await page.check('[data-testid="select-shown"]');
    expect(await page.textContent('[data-testid="selected-count"]')).toBe('2 selected');
    await page.click('[data-testid="backfill-selected"]');
    await page.waitForSelector('[role="dialog"]');
    expect(await page.inputValue('[role="dialog"] input[name="selection"]')).toBe('key:flights_daily or key:flights_weather_daily');
    await page.waitForFunction(() => document.querySelector('[data-testid="selection-count"]')?.textContent === '2');
    await page.click('[role="dialog"] label:has-text("Range") input');
    await page.fill('input[name="start"]', '2013-03-30');
    await page.fill('input[name="end"]', '2013-03-31');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-total"]')?.textContent === '4');
    await page.screenshot({ path: join(shots, 'catalog-backfill-dialog.png') });
    await page.click('[data-testid="launch-backfill"]');
    await page.waitForURL(/\/backfills\/b-\d+$/);
    const id = page.url().split('/').pop()!;
    const { backfill } = await gql(cairn.url, 'query($id: ID!) { backfill(id: $id) { selection partitions } }', { id });
    expect(backfill.selection).toBe('key:flights_daily or key:flights_weather_daily');
    expect(await waitUntilDone(cairn.url, id, 'backfill')).toBe('COMPLETED');
    expect(pageErrors).toEqual([]);
  });
});
