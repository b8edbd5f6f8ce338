import { EventType, type RecordedEvent } from '@replaykit/core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, queuedBatches, setUpRecorderPages } from '../support/recorder-pages.ts';
import { until } from '../support/until.ts';

setUpRecorderPages();

const open = async (path: string, options: Record<string, unknown> = {}): Promise<Page> =>
  (await openRecordedPage(context, harness.pageUrl(path, options))).page;

function customTags(events: RecordedEvent[]): string[] {
  return events
    .filter((event) => event.type === EventType.Custom)
    .map((event) => (event.data as { tag: string }).tag);
}

/** The custom event tags of every batch waiting in the origin's IndexedDB queue, read from `page`. */
const queuedTags = async (page: Page): Promise<string[]> =>
  (await queuedBatches(page)).flat().map((event) => /"tag":"(\w+)"/.exec(event)?.[1] ?? '');

/**
 * Opens a recording page whose batches cannot land (`fail`, given its window id, sets how), and
 * records `before_opt_out`, which waits in IndexedDB.
 */
async function openWithQueuedBatch(path: string, fail: (windowId: string) => void) {
  const page = await open(path, { persistQueue: true });
  const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
  const windowId = (await page.evaluate(() => window.recorder.getWindowId())) as string;
  fail(windowId);
  await page.evaluate(() => {
    window.recorder.capture('before_opt_out');
    return window.recorder.flush();
  });
  await until(
    async () => (await queuedTags(page)).includes('before_opt_out'),
    'the unsent batch in IndexedDB',
  );
  return { page, sessionId, windowId };
}

/** Opts out in a second tab of the origin, as a consent banner there does; returns when. */
async function optOutInAnotherTab(path: string): Promise<number> {
  const other = await open(path);
  await other.evaluate(() => window.recorder.optOut());
  return Date.now();
}

describe('an opt-out made in another tab', () => {
  it('stops a recording tab, which discards its unsent batches and sends nothing more', async () => {
    const { page, sessionId, windowId } = await openWithQueuedBatch('/opt-out-recording', (id) => {
      harness.down = (batch) => batch?.windowId === id;
    });
    await optOutInAnotherTab('/opt-out-elsewhere');
    await until(
      async () => (await page.evaluate(() => window.recorder.getStatus())) === 'disabled',
      'the recording tab to stop',
    );
    await until(async () => (await queuedTags(page)).length === 0, 'IndexedDB to be emptied');
    const upAt = Date.now();
    harness.down = false;
    await page.evaluate(() => {
      window.recorder.capture('after_opt_out');
      return window.recorder.flush();
    });
    const stored = customTags(await harness.storedEvents(sessionId));
    expect(stored).not.toContain('before_opt_out');
    expect(stored).not.toContain('after_opt_out');
    expect(harness.log.filter((entry) => entry.windowId === windowId && entry.at >= upAt)).toEqual([]);
  });

  it('makes a stopped tab discard the batch it was retrying instead of sending it', async () => {
    const { page, sessionId } = await openWithQueuedBatch('/opt-out-stopped-retry', (id) => {
      harness.down = (batch) => batch?.windowId === id;
    });
    // Stopped, the recorder hears no storage event: only its next retry can learn of the opt-out.
    await page.evaluate(() => window.recorder.stop());
    await optOutInAnotherTab('/opt-out-elsewhere');
    harness.down = false;
    // The retry either sends the batch (which then leaves IndexedDB) or discards it.
    await until(async () => (await queuedTags(page)).length === 0, 'the retry', 60_000);
    expect(customTags(await harness.storedEvents(sessionId))).not.toContain('before_opt_out');
  });

  it('makes a stopped tab send nothing on page hide and empty its IndexedDB queue', async () => {
    const { page, windowId } = await openWithQueuedBatch('/opt-out-stopped-hide', () => {
      // A server's wait longer than the test: only page hide could send the batch.
      harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '600' } });
    });
    await page.evaluate(() => window.recorder.stop());
    const optedOutAt = await optOutInAnotherTab('/opt-out-elsewhere');
    // The recorder's own page-hide handler, on a page that stays, so its IndexedDB work completes.
    await page.evaluate(() =>
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })),
    );
    await until(async () => (await queuedTags(page)).length === 0, 'IndexedDB to be emptied');
    expect(harness.log.filter((entry) => entry.windowId === windowId && entry.at >= optedOutAt)).toEqual([]);
  });
});
