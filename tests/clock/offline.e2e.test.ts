import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';
import { chunks, clickAround, skewClock, sleep, waitForMarkers, watchIngest } from './support.ts';

setUpRecorderPages();

const HOUR = 60 * 60 * 1000;
const TOLERANCE_MS = 1_500;

describe.each([
  ['a right clock', 0],
  ['a clock 1 h fast', HOUR],
])('offline for a while, with %s', (_name, skew) => {
  it('delivers the queued batches once back online, each once, at their real times', async () => {
    if (skew) {
      await skewClock(context, skew);
    }
    const sent = watchIngest(context);
    const { page, sessionId } = await openRecordedPage(context, harness.pageUrl('/offline'));
    await clickAround(page, 2, 300);
    await page.evaluate(() => window.recorder.flush());

    await context.setOffline(true);
    const times: Record<string, number> = {};
    for (const name of ['off_1', 'off_2', 'off_3']) {
      await clickAround(page, 1, 200);
      times[name] = Date.now();
      await page.evaluate((tag) => window.recorder.capture(tag), name);
      await sleep(3_000);
    }
    await sleep(5_000);
    await context.setOffline(false);
    await clickAround(page, 1, 200);
    times.back = Date.now();
    await page.evaluate(() => window.recorder.capture('back'));
    await page.evaluate(() => window.recorder.flush());

    const { session, markers } = await waitForMarkers(harness, sessionId, ['back'], 40_000);
    const report = Object.fromEntries(
      Object.entries(times).map(([name, at]) => [
        name,
        (markers.find((m) => m.label === name)?.timestamp ?? Number.NaN) - at,
      ]),
    );
    console.log(
      JSON.stringify({ skew, report, log: harness.log.map((e) => [e.seq, e.status, e.duplicate]) }),
    );
    for (const [name, at] of Object.entries(times)) {
      const marker = markers.filter((m) => m.label === name);
      expect(marker, name).toHaveLength(1);
      expect(Math.abs((marker[0]?.timestamp ?? 0) - at), `${name} vs its real time`).toBeLessThan(
        TOLERANCE_MS,
      );
    }
    // Nothing lost, nothing twice: every batch the page sent successfully is stored once.
    const stored = await chunks(harness, sessionId);
    const keys = stored.map((chunk) => `${chunk.windowId}/${chunk.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    const sentKeys = new Set(sent.map((batch) => `${batch.windowId}/${batch.seq}`));
    expect([...sentKeys].sort()).toEqual([...new Set(keys)].sort());
    const storedCount = stored.reduce((total, chunk) => total + chunk.events.length, 0);
    expect(session.eventCount).toBe(storedCount);
  });
});
