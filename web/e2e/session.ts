// One browser test file's session: a real `cairn serve` on a copy of
// examples/flights (checked to serve this build's UI), headless Chromium
// and a 1440×900 page whose uncaught errors are collected.
import { mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
// @ts-expect-error plain JS module shared with the perf script
import { copyExample, expectServedUi, launchBrowser, removeDir, screenshotsDir, startCairn } from './harness.mjs';

export interface Session {
  /** The project's temporary copy. */
  project: string;
  cairn: { url: string; child: ChildProcess; stop: () => Promise<void> };
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page so far. */
  pageErrors: string[];
  /** Where screenshots go (created). */
  shots: string;
}

export async function openSession(): Promise<Session> {
  const project: string = copyExample('flights');
  const cairn = await startCairn(project);
  await expectServedUi(cairn.url);
  const browser: Browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const shots: string = screenshotsDir();
  mkdirSync(shots, { recursive: true });
  return { project, cairn, browser, page, pageErrors, shots };
}

/** Stops what a session started (whatever part of it did start). */
export async function closeSession(session: Partial<Session> | undefined) {
  await session?.browser?.close();
  await session?.cairn?.stop();
  if (session?.project) removeDir(session.project);
}

/** A session opened before a test file's tests and closed after them: call at the top of the file, then the getter in tests. */
export function sessionPerFile(): () => Session {
  let session: Session | undefined;
  beforeAll(async () => {
    session = await openSession();
  });
  afterAll(() => closeSession(session));
  return () => session!;
}
