// End-to-end: failing checks marked on the lineage graph's nodes, on a real
// `cairn serve` of examples/flights in headless Chromium. delays_by_route's
// warn check `destinations_have_airport_metadata` fires on the real data: its
// node shows a warn mark and keeps the fresh colour.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { sessionPerFile } from './session';
import { materializeAndWait } from './runs';
import { assetColor } from '../src/theme';

const session = sessionPerFile();

/** `#2f9e44` as the browser computes it: `rgb(47, 158, 68)`. */
function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

describe('failing checks on the graph', () => {
  test('a firing warn check marks its node, which stays fresh', async () => {
    const { cairn, page, shots, pageErrors } = session();
    const run = await materializeAndWait(cairn.url, '+delays_by_route', null, 120_000);
    expect(run.status).toBe('SUCCESS');
    const { lineage } = await gql(cairn.url, '{ lineage(selection: "delays_by_route", depth: 0) { nodes { state failingWarnChecks failingErrorChecks } } }');
    expect(lineage.nodes[0]).toEqual({ state: 'FRESH', failingWarnChecks: 1, failingErrorChecks: 0 });

    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 30_000 });
    const node = page.locator('.gnode[data-key="delays_by_route"]');
    await node.locator('[data-testid="node-checks"]').waitFor({ timeout: 15_000 });
    expect(await node.getAttribute('data-state')).toBe('FRESH');
    expect(await node.evaluate((e) => getComputedStyle(e).borderLeftColor)).toBe(rgb(assetColor('FRESH')));
    const mark = node.locator('[data-testid="node-checks"]');
    expect(await mark.getAttribute('data-level')).toBe('warn');
    expect(await mark.getAttribute('title')).toBe('1 warn check failing');
    expect((await mark.textContent())?.trim()).toBe('⚠ 1');
    // Assets whose checks pass carry no mark.
    expect(await page.locator('.gnode[data-key="flights_daily"] [data-testid="node-checks"]').count()).toBe(0);

    const box = (await node.boundingBox())!;
    await page.screenshot({ path: join(shots, 'graph-warn-check.png'), clip: { x: Math.max(0, box.x - 300), y: Math.max(0, box.y - 150), width: 800, height: 400 } });
    await page.screenshot({ path: join(shots, 'graph-checks.png') });
    expect(pageErrors).toEqual([]);
  });
});
