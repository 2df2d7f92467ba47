// End-to-end: failing checks marked on the lineage graph's nodes, on a real
// `cairn serve` of examples/flights in headless Chromium. delays_by_route's
// warn check `destinations_have_airport_metadata` fires on the real data: its
// node shows a warn mark and keeps the fresh colour. An error check added to
// delays_by_plane_age fails it; collapsed, their group shows both marks.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
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

  test("a collapsed group shows its members' failing checks: error and warn marks, summed", async () => {
    const { cairn, page, project, shots, pageErrors } = session();
    // An error check that fails on any data: delays_by_plane_age's materialization fails.
    const file = join(project, 'assets', 'rollups.yaml');
    const yaml = readFileSync(file, 'utf8');
    const anchor = '      - unique: [built_decade]\n';
    expect(yaml).toContain(anchor);
    writeFileSync(file, yaml.replace(anchor, `${anchor}      - name: no_rows_expected\n        sql: SELECT * FROM delays_by_plane_age\n`));
    const { reloadDefinitions } = await gql(cairn.url, 'mutation { reloadDefinitions { reloaded } }');
    expect(reloadDefinitions.reloaded).toBe(true);
    const run = await materializeAndWait(cairn.url, 'delays_by_plane_age', null, 120_000);
    expect(run.status).toBe('FAILURE');
    const { lineage } = await gql(cairn.url, '{ lineage(depth: 0) { nodes { key group failingWarnChecks failingErrorChecks } } }');
    type N = { key: string; group: string; failingWarnChecks: number; failingErrorChecks: number };
    const nodes: N[] = lineage.nodes;
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    expect(byKey.get('delays_by_plane_age')).toMatchObject({ failingErrorChecks: 1 });
    expect(byKey.get('delays_by_route')).toMatchObject({ failingWarnChecks: 1 });
    const group = byKey.get('delays_by_route')!.group;
    expect(byKey.get('delays_by_plane_age')!.group).toBe(group);
    const members = nodes.filter((n) => n.group === group);
    const errors = members.reduce((s, n) => s + n.failingErrorChecks, 0);
    const warns = members.reduce((s, n) => s + n.failingWarnChecks, 0);
    expect(errors).toBeGreaterThanOrEqual(1);
    expect(warns).toBeGreaterThanOrEqual(1);

    await page.goto(`${cairn.url}/`);
    await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 30_000 });
    await page.click('button:has-text("Collapse groups")');
    const node = page.locator(`.gnode-group[data-group="${group}"]`);
    await node.locator('[data-testid="node-checks"]').first().waitFor({ timeout: 15_000 });
    const marks = await node.locator('[data-testid="node-checks"]').evaluateAll((els) => els.map((e) => ({ level: e.getAttribute('data-level'), text: e.textContent?.trim(), title: e.getAttribute('title') })));
    expect(marks).toEqual([
      { level: 'error', text: `✕ ${errors}`, title: `${errors} error check${errors === 1 ? '' : 's'} failing` },
      { level: 'warn', text: `⚠ ${warns}`, title: `${warns} warn check${warns === 1 ? '' : 's'} failing` },
    ]);
    // The same style as an asset node's mark.
    const style = (sel: string) => page.locator(sel).first().evaluate((e) => ({ color: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor }));
    await page.click('button:has-text("Expand groups")');
    await page.locator('.gnode[data-key="delays_by_plane_age"] [data-testid="node-checks"]').waitFor({ timeout: 15_000 });
    const assetError = await style('.gnode[data-key="delays_by_plane_age"] [data-testid="node-checks"]');
    await page.click('button:has-text("Collapse groups")');
    await node.locator('[data-testid="node-checks"]').first().waitFor();
    expect(await style(`.gnode-group[data-group="${group}"] [data-testid="node-checks"][data-level="error"]`)).toEqual(assetError);
    // A group whose members' checks pass (or have none) carries no mark.
    expect(await page.locator('.gnode-group[data-group="raw"] [data-testid="node-checks"]').count()).toBe(0);
    const box = (await node.boundingBox())!;
    await page.screenshot({ path: join(shots, 'graph-group-checks.png'), clip: { x: Math.max(0, box.x - 200), y: Math.max(0, box.y - 120), width: 700, height: 320 } });
    await page.screenshot({ path: join(shots, 'graph-groups-collapsed.png') });
    expect(pageErrors).toEqual([]);
  });
});
