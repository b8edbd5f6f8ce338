import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { launchChromium } from './browser.ts';
import { type RecorderHarness, startRecorderHarness } from './recorder-harness.ts';

/** The harness of the test file that called {@link setUpRecorderPages}: started before its tests, closed after. */
export let harness: RecorderHarness;
/** Chromium, for the whole file. */
export let browser: Browser;
/** A fresh browser context for each test, closed after it. */
export let context: BrowserContext;

/**
 * Registers the hooks of a test file that drives recorder pages against the real server: one
 * harness and one Chromium for the file, and for each test a new context and a harness reset
 * (no faults, nothing logged). Read them through the live bindings above.
 */
export function setUpRecorderPages(): void {
  beforeAll(async () => {
    harness = await startRecorderHarness();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });
  beforeEach(async () => {
    harness.reset();
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context.close();
  });
}
