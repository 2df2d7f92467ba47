// End-to-end: the deployment page of a real `cairn serve` (which runs its
// own executor) on a copy of examples/flights, in headless Chromium.
// Run with CAIRN_BIN=/path/to/cairn npm run e2e.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';
import { closeSession, openSession, type Session } from './session';

let session: Session | undefined;

beforeAll(async () => {
  session = await openSession();
});

afterAll(() => closeSession(session));

describe('deployment page', () => {
  test('shows the store, the definitions and the server executor as running', async () => {
    const { cairn, page, shots, pageErrors } = session!;
    const { deployment } = await gql(cairn.url, '{ deployment { serverExecutorConcurrency } }');
    await page.goto(`${cairn.url}/`);
    await page.click('.topbar nav a:has-text("Deployment")');
    await page.waitForURL(`${cairn.url}/deployment`);
    await page.waitForSelector('[data-testid="store-backend"]');
    expect(await page.textContent('[data-testid="store-backend"]')).toBe('sqlite');
    expect(await page.textContent('[data-testid="definitions-project"]')).toBe('flights');
    expect(await page.textContent('[data-testid="server-executor"]')).toBe(`executor, concurrency ${deployment.serverExecutorConcurrency}`);
    // The server's own executor registers when it starts: its row carries the server's pid.
    const pid = cairn.child.pid!;
    const row = page.locator(`[data-testid="executor-row"][data-pid="${pid}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-status')).toBe('RUNNING');
    expect(await row.locator('[data-testid="executor-status"]').textContent()).toBe('RUNNING');
    expect(await row.locator('[data-testid="executor-pid"]').textContent()).toBe(String(pid));
    expect(await row.textContent()).toMatch(/\d+ s ago/);
    // The backfill daemon's last pass (every 500 ms) and the runs it launched.
    await page.waitForFunction(() => /\d+ s ago/.test(document.querySelector('[data-testid="daemon-last-pass"]')?.textContent ?? ''));
    expect(await page.textContent('[data-testid="daemon-launched"]')).toBe('0');
    expect(await page.$('[data-testid="daemon-error"]')).toBeNull();
    expect(await page.getAttribute('.topbar nav a:has-text("Deployment")', 'class')).toContain('active');
    await page.screenshot({ path: join(shots, 'deployment.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
