// End-to-end: the global search (⌘K / Ctrl-K) on a real `cairn serve` of
// examples/flights in headless Chromium: an asset by part of its key, a
// run by its id. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { sessionPerFile } from './session';
import { materializeAndWait } from './runs';

const session = sessionPerFile();

/** Ctrl-K until the search's field has the focus (the page may still be mounting its key listener). */
async function openSearch(page: Page) {
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press('Control+K');
    try {
      await page.waitForSelector('[data-testid="palette-input"]:focus', { timeout: 1000 });
      return;
    } catch {
      if (await page.isVisible('[data-testid="palette-input"]')) await page.keyboard.press('Escape');
    }
  }
  throw new Error('Ctrl-K did not open the global search');
}

describe('global search', () => {
  test('Ctrl-K from the runs page finds an asset by part of its key and opens its page', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/runs`);
    await page.waitForSelector('h1:has-text("Runs")');
    await openSearch(page);
    await page.keyboard.type('delay_rep');
    await page.waitForSelector('[data-testid="palette-results"] li:has-text("reports/delay_report")');
    await page.screenshot({ path: join(shots, 'palette-asset.png') });
    await page.keyboard.press('Enter');
    await page.waitForURL(`${cairn.url}/assets/reports/delay_report`);
    expect(await page.isVisible('[data-testid="palette-input"]')).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  test('a run by its id; Escape closes the search', async () => {
    const { cairn, page, shots, pageErrors } = session();
    const run = await materializeAndWait(cairn.url, 'raw/airlines');
    await page.goto(`${cairn.url}/catalog`);
    await page.waitForSelector('h1');
    await openSearch(page);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="palette-input"]', { state: 'detached' });

    await openSearch(page);
    await page.keyboard.type(run.id);
    await page.waitForSelector(`[data-testid="palette-results"] li[aria-selected="true"]:has-text("${run.id}")`);
    await page.screenshot({ path: join(shots, 'palette-run.png') });
    await page.keyboard.press('Enter');
    await page.waitForURL(`${cairn.url}/runs/${run.id}`);
    expect(pageErrors).toEqual([]);
  });

  test('the shortcuts list names Ctrl-K', async () => {
    const { page } = session();
    await page.keyboard.press('?');
    expect(await page.textContent('[data-testid="shortcuts"]')).toContain('Ctrl-K');
    await page.keyboard.press('Escape');
  });
});
