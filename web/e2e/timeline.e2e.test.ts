// End-to-end: a run's timeline (Gantt) on its page, on a real `cairn serve`
// of examples/flights in headless Chromium: one bar per started step, the
// critical path marked. Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { sessionPerFile } from './session';
import { materializeAndWait } from './runs';

const session = sessionPerFile();

describe('run timeline', () => {
  test('one bar per started step on the run page, the critical path marked', async () => {
    const { cairn, page, shots, pageErrors } = session();
    const run = await materializeAndWait(cairn.url, '+flights_weather_daily', ['2013-01-02', '2013-01-03', '2013-01-04'], 90_000);
    expect(run.status).toBe('SUCCESS');
    const { run: detail } = await gql(cairn.url, 'query($id: ID!) { run(id: $id) { steps(first: 1000) { nodes { position waitsFor startedAt } } } }', { id: run.id });
    const started = detail.steps.nodes.filter((s: { startedAt: string | null }) => s.startedAt);
    expect(started.length).toBe(6);

    await page.goto(`${cairn.url}/runs/${run.id}`);
    await page.waitForSelector('[data-testid="timeline"]');
    const bars = page.locator('[data-testid="timeline-bar"]');
    expect(await bars.count()).toBe(started.length);
    const positions = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-position'))));
    expect(positions.sort((a, b) => a - b)).toEqual(started.map((s: { position: number }) => s.position).sort((a: number, b: number) => a - b));

    // The critical path: one day's flights_daily, then the flights_weather_daily that waited for it and ended last.
    const critical = page.locator('[data-testid="timeline-bar"][data-critical="true"]');
    const onPath = await critical.count();
    expect(onPath).toBe(2);
    expect(await page.getAttribute('[data-testid="critical-path"]', 'data-steps')).toBe(String(onPath));
    const summary = (await page.textContent('[data-testid="critical-path"]'))!;
    expect(summary).toMatch(/Critical path: flights_daily \[(2013-01-0[234])\] → flights_weather_daily \[\1\], \d/);
    for (const s of await critical.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(s).toBe('MATERIALIZED');
    // Tick labels are a 24-hour UTC clock.
    const ticks = await page.locator('.timeline-tick').allTextContents();
    expect(ticks.length).toBeGreaterThan(0);
    for (const t of ticks) expect(t).toMatch(/^\d\d:\d\d:\d\d(\.\d{3})?$/);

    await page.locator('[data-testid="timeline-section"]').screenshot({ path: join(shots, 'run-timeline.png') });
    await page.screenshot({ path: join(shots, 'run-page-timeline.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
