// End-to-end: the backfills list's filters (backfill status, asset,
// creation date; kept in the URL) and paging ("Load more") on a real `cairn serve` of examples/flights in
// headless Chromium. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { sessionPerFile } from './session';

const session = sessionPerFile();

const rowIds = (page: Page) => page.locator('[data-testid="backfill-row"] td:first-child').allTextContents();

async function waitForRows(page: Page, count: number) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="backfill-row"]').length === n, count);
}

async function launch(url: string, selection: string, partitions: object): Promise<string> {
  const { launchBackfill } = await gql(url, 'mutation($input: BackfillInput!) { launchBackfill(input: $input) { id } }', { input: { selection, partitions } });
  return launchBackfill.id;
}

async function waitUntilDone(url: string, id: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const { backfill } = await gql(url, 'query($id: ID!) { backfill(id: $id) { status } }', { id });
    if (!['REQUESTED', 'CANCELING'].includes(backfill.status)) return backfill.status;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`backfill ${id} did not finish`);
}

describe('backfills list', () => {
  const ids: string[] = [];

  test('filters by backfill status, kept in the URL', async () => {
    const { cairn, page, shots, pageErrors } = session();
    // Two completed backfills of one partition each, then one canceled at once (all of +flights_weather_daily).
    for (const day of ['2013-01-02', '2013-01-03']) {
      const id = await launch(cairn.url, 'flights_daily', { keys: [day] });
      expect(await waitUntilDone(cairn.url, id)).toBe('COMPLETED');
      ids.push(id);
    }
    const big = await launch(cairn.url, '+flights_weather_daily', { all: true });
    await gql(cairn.url, 'mutation($id: ID!) { cancelBackfill(id: $id) { changed } }', { id: big });
    expect(await waitUntilDone(cairn.url, big)).toBe('CANCELED');
    ids.push(big);

    await page.goto(`${cairn.url}/backfills`);
    await waitForRows(page, 3);
    await page.selectOption('[data-testid="filter-backfill-status"]', 'CANCELED');
    await page.waitForURL(/\/backfills\?status=CANCELED$/);
    await waitForRows(page, 1);
    expect(await rowIds(page)).toEqual([big]);
    await page.selectOption('[data-testid="filter-backfill-status"]', 'COMPLETED');
    await page.waitForURL(/\/backfills\?status=COMPLETED$/);
    await waitForRows(page, 2);
    expect(await rowIds(page)).toEqual([ids[1], ids[0]]);
    for (const s of await page.locator('[data-testid="backfill-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(s).toBe('COMPLETED');
    await page.screenshot({ path: join(shots, 'backfills-filtered.png') });

    // The filter comes back from the URL; a status no backfill has matches none.
    await page.goto(`${cairn.url}/backfills?status=FAILED`);
    await page.waitForSelector('text=No backfill matches these filters.');
    expect(await page.inputValue('[data-testid="filter-backfill-status"]')).toBe('FAILED');
    await page.click('[data-testid="clear-backfill-filters"]');
    await page.waitForURL(/\/backfills$/);
    await waitForRows(page, 3);
    expect(pageErrors).toEqual([]);
  });

  test('a page of 2 backfills, then "Load more" brings the rest; a filter with a page size', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/backfills?first=2`);
    await waitForRows(page, 2);
    expect(await rowIds(page)).toEqual([ids[2], ids[1]]);
    await page.click('[data-testid="load-more-backfills"]');
    await waitForRows(page, 3);
    expect(await rowIds(page)).toEqual([ids[2], ids[1], ids[0]]);
    await page.waitForSelector('[data-testid="load-more-backfills"]', { state: 'detached' });
    await page.screenshot({ path: join(shots, 'backfills-paged.png') });

    await page.goto(`${cairn.url}/backfills?status=COMPLETED&first=1`);
    await waitForRows(page, 1);
    expect(await rowIds(page)).toEqual([ids[1]]);
    await page.click('[data-testid="load-more-backfills"]');
    await waitForRows(page, 2);
    expect(await rowIds(page)).toEqual([ids[1], ids[0]]);
    await page.waitForSelector('[data-testid="load-more-backfills"]', { state: 'detached' });
    expect(pageErrors).toEqual([]);
  });

  test('filters by asset (a backfill whose run has a step of it) and by creation date (UTC, ISO)', async () => {
    const { cairn, page, shots, pageErrors } = session();
    const { backfills } = await gql(cairn.url, '{ backfills(asset: "flights_daily", first: 50) { nodes { id } } }');
    const withDaily: string[] = backfills.nodes.map((b: { id: string }) => b.id);
    expect(withDaily).toContain(ids[0]);
    expect(withDaily).toContain(ids[1]);
    await page.goto(`${cairn.url}/backfills`);
    await waitForRows(page, 3);
    await page.fill('[data-testid="filter-backfill-asset"]', 'flights_daily');
    await page.waitForURL(/\/backfills\?asset=flights_daily$/);
    await waitForRows(page, withDaily.length);
    expect(await rowIds(page)).toEqual(withDaily);
    // No backfill has a step of a source.
    await page.fill('[data-testid="filter-backfill-asset"]', 'raw/planes');
    await page.waitForSelector('text=No backfill matches these filters.');
    await page.fill('[data-testid="filter-backfill-asset"]', '');

    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.fill('[data-testid="filter-backfill-created-from"]', today);
    await page.waitForURL(new RegExp(`/backfills\\?from=${today}$`));
    await waitForRows(page, 3);
    await page.screenshot({ path: join(shots, 'backfills-dates.png') });
    await page.goto(`${cairn.url}/backfills?status=COMPLETED&to=${yesterday}`);
    await page.waitForSelector('text=No backfill matches these filters.');
    expect(await page.inputValue('[data-testid="filter-backfill-created-to"]')).toBe(yesterday);
    await page.fill('[data-testid="filter-backfill-created-to"]', today);
    await page.waitForURL(new RegExp(`/backfills\\?status=COMPLETED&to=${today}$`));
    await waitForRows(page, 2);
    expect(pageErrors).toEqual([]);
  });
});
