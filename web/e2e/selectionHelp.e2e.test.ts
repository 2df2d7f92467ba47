// End-to-end: the lineage graph's selection input shows the grammar
// (README's selection table) on a real `cairn serve` of examples/flights
// in headless Chromium; a selection written as the placeholder suggests
// (`group:raw or kind:sql`) draws what it names.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { sessionPerFile } from './session';
import { SELECTION_PLACEHOLDER, SELECTION_SYNTAX } from '../src/lib/selectionSyntax';

const session = sessionPerFile();

describe('selection syntax on the graph', () => {
  test('the placeholder names group:, kind:, + and the operators; "?" lists every form; a group selection draws its group', async () => {
    const { cairn, page, shots, pageErrors } = session();
    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 30_000 });
    const placeholder = await page.getAttribute('input[name="selection"]', 'placeholder');
    expect(placeholder).toBe(SELECTION_PLACEHOLDER);
    for (const part of ['group:raw', 'kind:sql', '+key', ' or ', 'not ']) expect(placeholder).toContain(part);
    await page.screenshot({ path: join(shots, 'graph-selection-placeholder.png'), clip: { x: 0, y: 0, width: 1440, height: 120 } });

    await page.click('[data-testid="selection-help-toggle"]');
    const help = page.locator('[data-testid="selection-help"]');
    await help.waitFor();
    const text = (await help.textContent()) ?? '';
    for (const form of SELECTION_SYNTAX.flatMap((s) => s.forms)) expect(text).toContain(form);
    await page.screenshot({ path: join(shots, 'graph-selection-help.png'), clip: { x: 0, y: 0, width: 1440, height: 520 } });
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    await page.fill('input[name="selection"]', 'group:raw and not kind:sql');
    await page.click('.selection-form button[type="submit"]');
    await page.waitForURL(/selection=group%3Araw/);
    const { assets } = await gql(cairn.url, '{ assets(selection: "group:raw") { key } }');
    await page.waitForFunction((n) => document.querySelector('[data-testid="graph"]')?.getAttribute('data-node-count') === String(n), assets.length, { timeout: 15_000 });
    expect(pageErrors).toEqual([]);
  });
});
