// End-to-end: the runs list's filters (run status, asset, origin, creation
// date; kept in the URL) and paging ("Load more") on a real `cairn serve` of
// examples/flights in headless Chromium. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { sessionPerFile } from './session';
import { materializeAndWait } from './runs';

const session = sessionPerFile();

const rowIds = (page: Page) => page.locator('[data-testid="run-row"] td:first-child').allTextContents();

async function waitForRows(page: Page, count: number) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-row"]').length === n, count);
}

describe('runs list', () => {
  const ids: string[] = [];

  test('filters by run status, asset and origin, kept in the URL', async () => {
    const { cairn, page, shots, pageErrors } = session();
    // Two runs of source assets (no step) and one that materializes a partition of flights_daily.
    for (const [selection, partitions] of [['raw/airlines', null], ['raw/airports', null], ['flights_daily', ['2013-01-02']]] as const) {
      const run = await materializeAndWait(cairn.url, selection, partitions ? [...partitions] : null);
      expect(run.status).toBe('SUCCESS');
      ids.push(run.id);
    }
    await page.goto(`${cairn.url}/runs`);
    await waitForRows(page, 3);

    await page.selectOption('[data-testid="filter-run-status"]', 'FAILURE');
    await page.waitForURL(/\/runs\?status=FAILURE$/);
    await page.waitForSelector('text=No run matches these filters.');
    await page.selectOption('[data-testid="filter-run-status"]', 'SUCCESS');
    await page.waitForURL(/\/runs\?status=SUCCESS$/);
    await waitForRows(page, 3);
    for (const s of await page.locator('[data-testid="run-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(s).toBe('SUCCESS');

    await page.fill('[data-testid="filter-run-asset"]', 'flights_daily');
    await page.waitForURL(/\/runs\?status=SUCCESS&asset=flights_daily$/);
    await waitForRows(page, 1);
    expect(await rowIds(page)).toEqual([ids[2]]);
    await page.screenshot({ path: join(shots, 'runs-filtered.png') });

    // The filters come back from the URL; an origin no run has matches none.
    await page.goto(`${cairn.url}/runs?asset=flights_daily&origin=api`);
    await waitForRows(page, 1);
    expect(await rowIds(page)).toEqual([ids[2]]);
    expect(await page.inputValue('[data-testid="filter-run-asset"]')).toBe('flights_daily');
    await page.fill('[data-testid="filter-run-origin"]', 'cli');
    await page.waitForSelector('text=No run matches these filters.');
    await page.click('[data-testid="clear-run-filters"]');
    await page.waitForURL(/\/runs$/);
    await waitForRows(page, 3);
    expect(pageErrors).toEqual([]);
  });

  test('a page of 2 runs, then "Load more" brings the rest', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/runs?first=2`);
    await waitForRows(page, 2);
    expect(await rowIds(page)).toEqual([ids[2], ids[1]]);
    await page.click('[data-testid="load-more-runs"]');
    await waitForRows(page, 3);
    expect(await rowIds(page)).toEqual([ids[2], ids[1], ids[0]]);
    await page.waitForSelector('[data-testid="load-more-runs"]', { state: 'detached' });
    await page.screenshot({ path: join(shots, 'runs-paged.png') });
    expect(pageErrors).toEqual([]);
  });

  test('filters by creation date (UTC, ISO): from today keeps the runs, to yesterday none; an invalid date is marked, not applied', async () => {
    const { cairn, page, shots, pageErrors } = session();
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${cairn.url}/runs`);
    await waitForRows(page, 3);
    await page.fill('[data-testid="filter-run-created-from"]', today);
    await page.waitForURL(new RegExp(`/runs\\?from=${today}$`));
    await waitForRows(page, 3);
    await page.fill('[data-testid="filter-run-created-to"]', yesterday);
    await page.waitForURL(new RegExp(`/runs\\?from=${today}&to=${yesterday}$`));
    await page.waitForSelector('text=No run matches these filters.');
    await page.fill('[data-testid="filter-run-created-to"]', '2026-13-01');
    expect(await page.getAttribute('[data-testid="filter-run-created-to"]', 'aria-invalid')).toBe('true');
    await page.screenshot({ path: join(shots, 'runs-dates.png') });
    expect(page.url()).toMatch(new RegExp(`to=${yesterday}$`));
    // "to" a day includes that day: to today keeps them.
    await page.fill('[data-testid="filter-run-created-to"]', today);
    await page.waitForURL(new RegExp(`/runs\\?from=${today}&to=${today}$`));
    await waitForRows(page, 3);
    expect(await page.getAttribute('[data-testid="filter-run-created-to"]', 'aria-invalid')).toBe('false');
    // From the URL.
    await page.goto(`${cairn.url}/runs?to=${yesterday}`);
    await page.waitForSelector('text=No run matches these filters.');
    expect(await page.inputValue('[data-testid="filter-run-created-to"]')).toBe(yesterday);
    await page.click('[data-testid="clear-run-filters"]');
    await page.waitForURL(/\/runs$/);
    await waitForRows(page, 3);
    expect(pageErrors).toEqual([]);
  });
});
