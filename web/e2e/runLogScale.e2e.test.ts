// End-to-end: a run log of a few thousand lines on its page, on a real
// `cairn serve` in headless Chromium: every line counted and reachable,
// far fewer rows in the DOM than lines (the list is virtualised), the end
// followed while the run streams until the user scrolls up, the final
// RUN_ event at the end, a step's stderr on several lines; the finished
// run opened again: every event, read in pages, with no subscription.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error plain JS module shared with the perf script
import { expectServedUi, gql, launchBrowser, removeDir, screenshotsDir, startCairn } from './harness.mjs';

const DAYS = 45;
const FANOUT = 64;

/**
 * A daily command asset that writes two stderr lines and fails, after a
 * pause (so the run streams for a few seconds), for each of DAYS
 * partitions, read by FANOUT SQL assets: each failure skips its
 * partition's FANOUT downstream steps, one STEP_SKIPPED event each.
 */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-runlog-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'cairn.yaml'), 'name: e2e_runlog\ndatabase: sqlite://.cairn/cairn.db\ndata_dir: .cairn/data\n');
  const end = new Date(Date.UTC(2020, 0, 1) + DAYS * 86_400_000).toISOString().slice(0, 10);
  const partitions = `    partitions:\n      daily: { start: 2020-01-01, end: ${end} }`;
  const lines = ['assets:', '  - key: root', '    command: [sh, -c, "echo oops-one >&2; echo oops-two >&2; sleep 0.3; exit 3"]', partitions];
  for (let i = 0; i < FANOUT; i++) lines.push(`  - key: leaf_${i}`, '    sql: select 1 as x', '    deps: [root]', partitions);
  writeFileSync(join(dir, 'assets', 'runlog.yaml'), lines.join('\n') + '\n');
  return dir;
}

async function eventCount(url: string, id: string): Promise<number> {
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const { run }: { run: { events: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } = await gql(url, 'query($id: ID!, $after: String) { run(id: $id) { events(first: 1000, after: $after) { nodes { cursor } pageInfo { hasNextPage endCursor } } } }', { id, after });
    count += run.events.nodes.length;
    if (!run.events.pageInfo.hasNextPage) return count;
    after = run.events.pageInfo.endCursor;
  }
}

const shownCount = async (page: Page) => Number(/^(\d+) lines$/.exec((await page.textContent('[data-testid="log-count"]')) ?? '')?.[1] ?? NaN);

/** The log's scroll position, its rows in the DOM and whether the last line is the last row drawn. */
const logState = (page: Page) =>
  page.$eval('[data-testid="run-log"]', (el) => {
    const rows = [...el.querySelectorAll<HTMLElement>('.log-line')];
    const count = Number(/(\d+) lines$/.exec(document.querySelector('[data-testid="log-count"]')?.textContent ?? '')?.[1] ?? NaN);
    const last = rows[rows.length - 1];
    return {
      top: el.scrollTop,
      gap: el.scrollHeight - el.scrollTop - el.clientHeight,
      rows: rows.length,
      count,
      lastIndex: last ? Number(last.dataset.index) : -1,
      lastKind: last?.querySelector('.log-kind')?.textContent ?? '',
    };
  });

describe('a run log of a few thousand lines', () => {
  let dir: string;
  let cairn: { url: string; stop: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shots: string = screenshotsDir();

  beforeAll(async () => {
    dir = project();
    cairn = await startCairn(dir);
    await expectServedUi(cairn.url);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    mkdirSync(shots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await cairn?.stop();
    if (dir) removeDir(dir);
  });

  test('streamed: followed to the end, not once the user scrolls up; every line reachable; few rows drawn', async () => {
    const { materialize: run } = await gql(cairn.url, 'mutation { materialize(partitions: { all: true }) { id } }');
    await page.goto(`${cairn.url}/runs/${run.id}`);
    await page.waitForSelector('[data-testid="run-log"] .log-line');

    // While it streams, the log follows its end: the last line is the last row drawn, at the bottom.
    let seen = 0;
    for (let i = 0; i < 3; i++) {
      await page.waitForFunction((n) => Number(/(\d+) lines$/.exec(document.querySelector('[data-testid="log-count"]')?.textContent ?? '')?.[1]) > n + 100, seen, { timeout: 30_000 });
      await page.waitForFunction(
        () => {
          const el = document.querySelector<HTMLElement>('[data-testid="run-log"]')!;
          const rows = el.querySelectorAll<HTMLElement>('.log-line');
          const count = Number(/(\d+) lines$/.exec(document.querySelector('[data-testid="log-count"]')?.textContent ?? '')?.[1]);
          return el.scrollHeight - el.scrollTop - el.clientHeight <= 2 && Number(rows[rows.length - 1]?.dataset.index) === count - 1;
        },
        null,
        { timeout: 5_000, polling: 'raf' },
      );
      seen = (await logState(page)).count;
    }
    expect(['QUEUED', 'STARTED'], 'the run was still streaming').toContain((await gql(cairn.url, 'query($id: ID!) { run(id: $id) { status } }', { id: run.id })).run.status);

    // The user scrolls up: the log stays where they put it while lines keep coming.
    await page.hover('[data-testid="run-log"]');
    await page.mouse.wheel(0, -1500);
    await page.waitForFunction(() => document.querySelector('[data-testid="run-log"]')!.scrollTop > 0, null, { timeout: 5_000 }).catch(() => {});
    await page.waitForTimeout(200);
    const up = await logState(page);
    expect(up.gap).toBeGreaterThan(1000);
    await page.waitForFunction((n) => Number(/(\d+) lines$/.exec(document.querySelector('[data-testid="log-count"]')?.textContent ?? '')?.[1]) > n + 200, up.count, { timeout: 30_000 });
    const later = await logState(page);
    expect(Math.abs(later.top - up.top)).toBeLessThan(5);
    expect(later.gap).toBeGreaterThan(up.gap);

    // The run ends: the count is every event the API has, once each.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { run: r } = await gql(cairn.url, 'query($id: ID!) { run(id: $id) { status } }', { id: run.id });
      if (!['QUEUED', 'STARTED', 'CANCELING'].includes(r.status)) break;
      if (Date.now() > deadline) throw new Error('the run did not end');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const total = await eventCount(cairn.url, run.id);
    expect(total).toBeGreaterThanOrEqual(DAYS * (FANOUT + 2));
    await page.waitForFunction((n) => document.querySelector('[data-testid="log-count"]')?.textContent === `${n} lines`, total, { timeout: 30_000 });
    expect(await shownCount(page)).toBe(total);

    // Far fewer rows in the DOM than lines.
    const drawn = await logState(page);
    expect(drawn.rows).toBeGreaterThan(10);
    expect(drawn.rows).toBeLessThan(200);
    expect(drawn.rows * 10).toBeLessThan(total);
    // Still where the user left it.
    expect(Math.abs(drawn.top - up.top)).toBeLessThan(5);

    // Scrolled to the end: the final RUN_ event is the last row, in view, shown once.
    await page.$eval('[data-testid="run-log"]', (el) => el.scrollTo({ top: el.scrollHeight }));
    await page.waitForSelector('[data-testid="run-log"] .log-line:last-child .log-kind:text-is("run_failure")', { timeout: 10_000 });
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLElement>('[data-testid="run-log"]')!;
      return el.scrollHeight - el.scrollTop - el.clientHeight <= 2;
    });
    const end = await logState(page);
    expect(end.lastIndex).toBe(total - 1);
    expect(end.lastKind).toBe('run_failure');
    const logged = await page.$$eval('[data-testid="run-log"] .log-line', (rows) => rows.map((r) => [r.getAttribute('data-cursor'), r.querySelector('.log-kind')?.textContent]));
    expect(logged.filter(([, kind]) => kind === 'run_failure')).toHaveLength(1);
    expect(new Set(logged.map(([cursor]) => cursor)).size).toBe(logged.length);
    const last = await page.$eval('[data-testid="run-log"] .log-block:last-child > .log-line:last-child', (row) => {
      const log = row.closest('[data-testid="run-log"]')!.getBoundingClientRect();
      const r = row.getBoundingClientRect();
      return { inView: r.top >= log.top && r.bottom <= log.bottom, time: row.querySelector('.log-time')?.textContent };
    });
    expect(last.inView).toBe(true);
    expect(last.time).toMatch(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}$/);
    await page.locator('[data-testid="run-log"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'run-log-scale.png') });
  });

  test('filtered to step failures: each failure with its stderr on several lines, rows measured, none overlapping', async () => {
    await page.selectOption('[data-testid="log-filters"] select[name="kind"]', 'STEP_FAILURE');
    await page.waitForFunction((n) => document.querySelector('[data-testid="log-count"]')?.textContent?.startsWith(`${n} of `), DAYS, { timeout: 10_000 });
    await page.waitForTimeout(300);
    const rows = await page.$$eval('[data-testid="run-log"] .log-line', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { kind: e.querySelector('.log-kind')?.textContent, msg: e.querySelector('.log-msg')?.textContent ?? '', top: r.top, bottom: r.bottom, height: r.height };
      }),
    );
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) {
      expect(r.kind).toBe('step_failure');
      expect(r.msg).toContain('oops-one\noops-two');
      // 12 px lines: the message's 4 lines or more.
      expect(r.height).toBeGreaterThan(4 * 12);
    }
    const sorted = [...rows].sort((a, b) => a.top - b.top);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].top).toBeGreaterThanOrEqual(sorted[i - 1].bottom - 0.5);
    // Followed to the end: the last failure is the last row, at the bottom.
    const end = await logState(page);
    expect(end.gap).toBeLessThanOrEqual(2);
    expect(end.lastIndex).toBe(DAYS - 1);
    expect(new URL(page.url()).searchParams.get('kind')).toBe('STEP_FAILURE');
    // The closed control shows the chosen value's current count, as many as
    // the lines shown (the rest of its list may be up to 5 s old).
    const chosen = await page.$eval('[data-testid="log-filters"] select[name="kind"]', (e) => (e as HTMLSelectElement).selectedOptions[0]?.textContent);
    expect(chosen).toBe(`step failure (${DAYS})`);
    await page.locator('[data-testid="run-log"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'run-log-scale-failures.png') });
  });

  test("a finished run's page: every event, once each, in order, read in pages of 1,000 with no subscription", async () => {
    const { runs } = await gql(cairn.url, '{ runs(first: 1) { nodes { id status } } }');
    const run = runs.nodes[0];
    expect(run.status).toBe('FAILURE');
    const total = await eventCount(cairn.url, run.id);
    const pages: (string | null)[] = [];
    const subscribed: string[] = [];
    page.on('request', (request) => {
      const body = request.method() === 'POST' && request.url().endsWith('/graphql') ? request.postDataJSON() : null;
      if (body?.operationName === 'RunEventPage') pages.push(body.variables.after);
    });
    page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => void (String(payload).includes('runEvents') && subscribed.push(String(payload)))));
    await page.goto(`${cairn.url}/runs/${run.id}`);
    await page.waitForFunction((n) => document.querySelector('[data-testid="log-count"]')?.textContent === `${n} lines`, total, { timeout: 30_000 });
    await page.waitForSelector('[data-testid="run-log"] .log-line:last-child .log-kind:text-is("run_failure")', { timeout: 10_000 });
    expect(await page.locator('[data-testid="log-loading"]').count()).toBe(0);
    expect(await page.locator('[data-testid="log-error"]').count()).toBe(0);
    const end = await logState(page);
    expect(end.lastIndex).toBe(total - 1);
    expect(end.gap).toBeLessThanOrEqual(2);
    expect(pages).toHaveLength(Math.ceil(total / 1000));
    expect(pages[0]).toBeNull();
    expect(subscribed).toEqual([]);

    // Every line, scrolled through from the top: each cursor once, growing.
    const cursors: number[] = [];
    await page.$eval('[data-testid="run-log"]', (el) => el.scrollTo({ top: 0 }));
    for (;;) {
      await page.waitForTimeout(30);
      const { rows, atEnd } = await page.$eval('[data-testid="run-log"]', (el) => {
        const rows = [...el.querySelectorAll<HTMLElement>('.log-line')].map((r) => ({ index: Number(r.dataset.index), cursor: Number(r.dataset.cursor) }));
        const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight <= 2;
        el.scrollBy({ top: el.clientHeight });
        return { rows, atEnd };
      });
      for (const r of rows) cursors[r.index] = r.cursor;
      if (atEnd) break;
    }
    expect(cursors).toHaveLength(total);
    for (let i = 1; i < total; i++) expect(cursors[i], `line ${i}`).toBeGreaterThan(cursors[i - 1]);
    const { run: first } = await gql(cairn.url, 'query($id: ID!) { run(id: $id) { events(first: 1) { nodes { cursor } } } }', { id: run.id });
    expect(cursors[0]).toBe(Number(first.events.nodes[0].cursor));
    await page.screenshot({ path: join(shots, 'run-log-finished.png') });
  });

  test("a finished run's steps and timeline: a box each, drawing the rows in view, every row reachable", async () => {
    const { runs } = await gql(cairn.url, '{ runs(first: 1) { nodes { id steps(first: 1000) { nodes { asset partition startedAt } } } } }');
    const steps: { asset: string; partition: string; startedAt: string | null }[] = runs.nodes[0].steps.nodes;
    const started = steps.filter((s) => s.startedAt).length;
    expect(steps).toHaveLength(1000);
    expect(started).toBe(DAYS);
    const drawn = async (box: string, row: string) =>
      page.$eval(box, (el, row) => [...el.querySelectorAll<HTMLElement>(row)].map((r) => r.textContent ?? ''), row);
    // A few rows drawn of 1,000 steps, and of the DAYS bars.
    const stepRows = await drawn('[data-testid="run-steps"]', '[data-testid="run-step"]');
    expect(stepRows.length).toBeGreaterThan(5);
    expect(stepRows.length).toBeLessThan(60);
    const bars = await drawn('[data-testid="timeline"]', '[data-testid="timeline-bar"]');
    expect(bars.length).toBeGreaterThan(5);
    expect(bars.length).toBeLessThan(started);
    // Scrolled to their ends (again once the rows drawn there are measured): the last step and the last bar drawn, in view.
    for (let i = 0; i < 2; i++) {
      for (const box of ['[data-testid="run-steps"]', '.timeline-box']) await page.$eval(box, (el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(200);
    }
    const last = steps[steps.length - 1];
    const endRows = await drawn('[data-testid="run-steps"]', '[data-testid="run-step"]');
    expect(endRows.at(-1)).toContain(`${last.asset}${last.partition}`);
    const lastRowInView = await page.$eval('[data-testid="run-steps"]', (el) => {
      const rows = el.querySelectorAll('[data-testid="run-step"]');
      const r = rows[rows.length - 1].getBoundingClientRect();
      const b = el.getBoundingClientRect();
      return r.bottom <= b.bottom + 1 && r.top >= b.top;
    });
    expect(lastRowInView).toBe(true);
    const endBars = await page.$$eval('[data-testid="timeline-bar"]', (els) => els.map((e) => Number(e.getAttribute('data-position'))));
    expect(endBars.length).toBeLessThan(started);
    const positionsStarted = await page.$eval('[data-testid="timeline-bar"]:last-child', (el) => el.textContent);
    expect(positionsStarted).toMatch(/^root \[2020-\d\d-\d\d\]$/);
    await page.locator('[data-testid="timeline-section"]').screenshot({ path: join(shots, 'run-timeline-scrolled.png') });
  });

  test('no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
