// End-to-end: the asset catalog of a real `cairn serve` on a copy of
// examples/flights, in headless Chromium: every asset listed, search as
// you type, the group and tag filters, sorting, links to asset pages.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { closeSession, openSession, type Session } from './session';

let session: Session | undefined;
let cairn: Session['cairn'];
let page: Page;
let allKeys: string[];

const rowKeys = () => page.$$eval('[data-testid="catalog-row"]', (rows) => rows.map((r) => r.getAttribute('data-key')!));

/** Waits until the table shows exactly these keys (in any order). */
async function expectRows(keys: string[]) {
  const want = JSON.stringify([...keys].sort());
  await page
    .waitForFunction((w) => JSON.stringify([...document.querySelectorAll('[data-testid="catalog-row"]')].map((r) => r.getAttribute('data-key')).sort()) === w, want, { timeout: 5000 })
    .catch(() => undefined);
  expect((await rowKeys()).sort()).toEqual([...keys].sort());
}

beforeAll(async () => {
  session = await openSession();
  ({ cairn, page } = session);
  const { assets } = await gql(cairn.url, '{ assets { key } }');
  allKeys = assets.map((a: { key: string }) => a.key);
});

afterAll(() => closeSession(session));

describe('asset catalog', () => {
  test('lists every asset, reached from the top bar', async () => {
    await page.goto(`${cairn.url}/runs`);
    await page.click('.topbar nav a:has-text("Catalog")');
    await page.waitForSelector('[data-testid="catalog-table"]');
    expect(allKeys.length).toBeGreaterThan(5);
    await expectRows(allKeys);
    expect(await page.textContent('[data-testid="catalog-count"]')).toBe(`${allKeys.length} assets`);
    await page.screenshot({ path: join(session!.shots, 'catalog.png'), fullPage: true });
  });

  test('typing narrows the table to matching keys', async () => {
    await page.click('[data-testid="catalog-search"]');
    await page.keyboard.type('delay');
    const delay = allKeys.filter((k) => k.includes('delay'));
    expect(delay).toContain('reports/delay_report');
    expect(delay.length).toBeLessThan(allKeys.length);
    await expectRows(delay);
    // The URL keeps the search.
    await page.waitForURL(/[?&]q=delay/);
    await page.screenshot({ path: join(session!.shots, 'catalog-search.png'), fullPage: true });
    await page.fill('[data-testid="catalog-search"]', '');
    await expectRows(allKeys);
  });

  test('the group filter raw shows only raw/*', async () => {
    await page.selectOption('[data-testid="filter-group"]', 'raw');
    const raw = allKeys.filter((k) => k.startsWith('raw/'));
    expect(raw.length).toBeGreaterThan(0);
    await expectRows(raw);
    await page.click('[data-testid="clear-filters"]');
    await expectRows(allKeys);
  });

  test('the tag filter team=analytics shows reports/delay_report', async () => {
    await page.selectOption('[data-testid="filter-tag"]', 'team=analytics');
    await expectRows(['reports/delay_report']);
    const row = page.locator('[data-testid="catalog-row"][data-key="reports/delay_report"]');
    expect(await row.textContent()).toContain('reporting');
    expect(await row.textContent()).toContain('format=markdown');
    await page.screenshot({ path: join(session!.shots, 'catalog-tag.png'), fullPage: true });
    await page.click('[data-testid="clear-filters"]');
    await expectRows(allKeys);
  });

  test('sorts by key both ways, and a key opens its asset page', async () => {
    const sorted = [...allKeys].sort();
    expect(await rowKeys()).toEqual(sorted);
    await page.click('[data-testid="sort-key"]');
    await page.waitForURL(/sort=-key/);
    expect(await rowKeys()).toEqual([...sorted].reverse());
    await page.click('[data-testid="sort-materialized"]');
    await page.waitForURL(/sort=-materialized/);
    expect((await rowKeys()).sort()).toEqual(sorted);
    await page.click('[data-testid="catalog-row"][data-key="reports/delay_report"] a');
    await page.waitForSelector('[data-testid="asset-key"]');
    expect(await page.textContent('[data-testid="asset-key"]')).toBe('reports/delay_report');
  });

  test("the asset page's header shows its group and tags, each a link to the filtered catalog", async () => {
    expect(await page.textContent('[data-testid="asset-group"]')).toBe('reporting');
    expect(await page.$$eval('[data-testid="asset-tag"]', (els) => els.map((e) => e.textContent).sort())).toEqual(['format=markdown', 'team=analytics']);
    await page.screenshot({ path: join(session!.shots, 'asset-group-tags.png') });
    await page.click('[data-testid="asset-tag"]:has-text("team=analytics")');
    await page.waitForSelector('[data-testid="catalog-table"]');
    expect(await page.inputValue('[data-testid="filter-tag"]')).toBe('team=analytics');
    await expectRows(['reports/delay_report']);
    await page.goBack();
    await page.click('[data-testid="asset-group"]');
    await page.waitForSelector('[data-testid="catalog-table"]');
    expect(await page.inputValue('[data-testid="filter-group"]')).toBe('reporting');
    // The example project puts only reports/delay_report in group `reporting`.
    await expectRows(['reports/delay_report']);
    expect(session!.pageErrors).toEqual([]);
  });
});
