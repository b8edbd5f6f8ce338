import { BATCH_SEQ_STRIDE } from '@replaykit/recorder';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { type CrossOriginStack, startCrossOriginStack } from './stack.ts';
import { chunks, clickAround, sleep, waitForMarkers, watchIngest } from './support.ts';

let browser: Browser;
let stack: CrossOriginStack;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startCrossOriginStack();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the server is stopped gracefully and started again during a recording', () => {
  it('delivers everything once, at real times', async () => {
    const context: BrowserContext = await browser.newContext();
    try {
      const sent = watchIngest(context);
      const { page, sessionId } = await openRecordedPage(context, stack.pageUrl('/restart'));
      await clickAround(page, 2, 300);
      await page.evaluate(() => window.recorder.flush());
      const times: Record<string, number> = {};
      // Stopped while the page keeps recording.
      const stopping = stack.stopServer();
      times.while_stopping = Date.now();
      await page.evaluate(() => window.recorder.capture('while_stopping'));
      await stopping;
      await clickAround(page, 3, 500);
      times.while_down = Date.now();
      await page.evaluate(() => window.recorder.capture('while_down'));
      await sleep(6_000);
      await stack.startServer();
      times.after_restart = Date.now();
      await page.evaluate(() => window.recorder.capture('after_restart'));
      const { session, markers } = await waitForMarkers(stack, sessionId, Object.keys(times), 40_000);
      console.log(
        JSON.stringify(
          Object.fromEntries(
            Object.entries(times).map(([k, v]) => [
              k,
              markers.filter((m) => m.label === k).map((m) => m.timestamp - v),
            ]),
          ),
        ),
      );
      for (const [label, at] of Object.entries(times)) {
        const found = markers.filter((marker) => marker.label === label);
        expect(found, label).toHaveLength(1);
        expect(Math.abs((found[0]?.timestamp ?? 0) - at), label).toBeLessThan(1_500);
      }
      const stored = await chunks(stack, sessionId);
      const keys = stored.map((chunk) => `${chunk.windowId}/${chunk.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(sent.map((batch) => `${batch.windowId}/${batch.seq}`))).toEqual(new Set(keys));
      expect(session.eventCount).toBe(stored.reduce((total, chunk) => total + chunk.events.length, 0));
    } finally {
      await context.close();
    }
  });
});

describe('reloads and tabs', () => {
  it('a reload keeps the session and the window; its seqs continue; nothing is lost', async () => {
    const context = await browser.newContext();
    try {
      const sent = watchIngest(context);
      const { page } = await openRecordedPage(context, stack.pageUrl('/reload'));
      const ids = await page.evaluate(() => [window.recorder.getSessionId(), window.recorder.getWindowId()]);
      await clickAround(page, 2, 300);
      await page.evaluate(() => window.recorder.capture('before_reload'));
      await page.reload();
      await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
      const after = await page.evaluate(() => [
        window.recorder.getSessionId(),
        window.recorder.getWindowId(),
      ]);
      expect(after).toEqual(ids);
      await clickAround(page, 2, 300);
      await page.evaluate(() => window.recorder.capture('after_reload'));
      await page.evaluate(() => window.recorder.flush());
      const sessionId = ids[0] as string;
      const { session } = await waitForMarkers(stack, sessionId, ['before_reload', 'after_reload'], 40_000);
      const stored = await chunks(stack, sessionId);
      const keys = stored.map((chunk) => `${chunk.windowId}/${chunk.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      // Playwright does not see the keepalive request made on page hide: every batch it saw
      // is stored, and the stored batches are the window's 0..n, without a gap.
      for (const batch of sent) {
        expect(keys).toContain(`${batch.windowId}/${batch.seq}`);
      }
      expect(stored.map((chunk) => chunk.seq).sort((a, b) => a - b)).toEqual(
        stored.map((_, index) => (index + 1) * BATCH_SEQ_STRIDE),
      );
      expect(session.windowIds).toEqual([ids[1]]);
      // Two full snapshots: one per page load.
      expect(
        stored.flatMap((chunk) => chunk.events).filter((event) => event.type === 2).length,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
    }
  });

  it('two tabs share the session with a window each; a tab opened from a tab gets its own window', async () => {
    const context = await browser.newContext();
    try {
      const sent = watchIngest(context);
      const { page: first } = await openRecordedPage(context, stack.pageUrl('/tab-one'));
      const { page: second } = await openRecordedPage(context, stack.pageUrl('/tab-two'));
      // A third tab opened by script copies the first tab's sessionStorage.
      const [third] = await Promise.all([
        context.waitForEvent('page'),
        first.evaluate((url) => {
          window.open(url);
        }, stack.pageUrl('/tab-three')),
      ]);
      await third.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
      const ids = await Promise.all(
        [first, second, third].map((page) =>
          page.evaluate(() => [window.recorder.getSessionId(), window.recorder.getWindowId()]),
        ),
      );
      expect(new Set(ids.map((pair) => pair[0])).size).toBe(1);
      expect(new Set(ids.map((pair) => pair[1])).size).toBe(3);
      for (const [index, page] of [first, second, third].entries()) {
        await page.click('#action');
        await page.evaluate((tag) => window.recorder.capture(tag), `tab_${index}`);
        await page.evaluate(() => window.recorder.flush());
      }
      const sessionId = ids[0]?.[0] as string;
      await waitForMarkers(stack, sessionId, ['tab_0', 'tab_1', 'tab_2'], 40_000);
      const stored = await chunks(stack, sessionId);
      const keys = stored.map((chunk) => `${chunk.windowId}/${chunk.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(sent.map((batch) => `${batch.windowId}/${batch.seq}`))).toEqual(new Set(keys));
    } finally {
      await context.close();
    }
  });
});
