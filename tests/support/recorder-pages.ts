import type { Browser, BrowserContext, Page } from 'playwright-core';
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

/** The events (each one's JSON) of every batch waiting in the IndexedDB queue of `page`'s origin, a list per batch. */
export function queuedBatches(page: Page): Promise<string[][]> {
  return page.evaluate(
    () =>
      new Promise<string[][]>((resolve, reject) => {
        const opening = indexedDB.open('replaykit');
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const reading = opening.result.transaction('batches').objectStore('batches').getAll();
          reading.onsuccess = () => {
            opening.result.close();
            resolve((reading.result as Array<{ events: string[] }>).map(({ events }) => events));
          };
          reading.onerror = () => reject(reading.error);
        };
      }),
  );
}
