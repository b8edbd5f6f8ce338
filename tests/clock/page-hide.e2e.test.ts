import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';
import { until } from '../support/until.ts';
import { clickAround, skewClock, sleep, waitForMarkers, watchIngest } from './support.ts';

setUpRecorderPages();

const HOUR = 60 * 60 * 1000;
const TOLERANCE_MS = 1_500;

async function markerAt(sessionId: string, label: string): Promise<number> {
  const { markers } = await waitForMarkers(harness, sessionId, [label], 30_000);
  return markers.find((marker) => marker.label === label)?.timestamp ?? Number.NaN;
}

describe('page hide (navigation away) with a clock 1 h fast', () => {
  it('the last batch arrives, at its real time, with a sentAt of when it left', async () => {
    await skewClock(context, HOUR);
    const sent = watchIngest(context);
    const { page, sessionId } = await openRecordedPage(context, harness.pageUrl('/first'));
    await clickAround(page, 1, 200);
    await page.evaluate(() => window.recorder.flush());
    const lastAt = Date.now();
    await page.evaluate(() => window.recorder.capture('last_words'));
    // Navigating away at once: the buffered batch goes out on page hide.
    await page.goto(harness.pageUrl('/second'));
    const at = await markerAt(sessionId, 'last_words');
    const carrying = sent.filter((batch) => batch.events.some((event) => event.data?.tag === 'last_words'));
    console.log(
      JSON.stringify({ vsReal: at - lastAt, sentAt: carrying.map((b) => (b.sentAt ?? 0) - b.at - HOUR) }),
    );
    expect(Math.abs(at - lastAt)).toBeLessThan(TOLERANCE_MS);
  });

  it('a last batch too large for keepalive goes by sendBeacon when the tab is closed, at its real time', async () => {
    await skewClock(context, HOUR);
    const { page, sessionId } = await openRecordedPage(
      context,
      harness.pageUrl('/beacon', { flushDelayMs: 30_000 }),
    );
    await page.evaluate(() => window.recorder.flush());
    const lastAt = Date.now();
    // About 30 KB of JSON: as plain JSON it may need up to 90 KB, over the keepalive budget.
    await page.evaluate(() => {
      const pre = document.createElement('pre');
      pre.textContent = 'x'.repeat(30_000);
      document.body.append(pre);
      window.recorder.capture('beacon_words');
    });
    // The tab is closed: no next page of this window will resend it.
    await page.close({ runBeforeUnload: true });
    const at = await markerAt(sessionId, 'beacon_words');
    console.log(JSON.stringify({ vsReal: at - lastAt }));
    expect(Math.abs(at - lastAt)).toBeLessThan(TOLERANCE_MS);
  });

  it('a batch waiting out a Retry-After is resent on page hide with a fresh sentAt, and lands at its real time', async () => {
    await skewClock(context, HOUR);
    const sent = watchIngest(context);
    const { page, sessionId } = await openRecordedPage(context, harness.pageUrl('/first'));
    await clickAround(page, 1, 200);
    await page.evaluate(() => window.recorder.flush());
    await until(async () => harness.log.some((entry) => entry.status === 200), 'first batch stored');

    // The server is busy: the next batch gets a 503 asking to come back in 60 s.
    harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '60' } });
    const waitingAt = Date.now();
    await page.evaluate(() => window.recorder.capture('waiting'));
    await page.evaluate(() => window.recorder.flush());
    await until(async () => harness.log.some((entry) => entry.status === 503), 'the 503');
    await sleep(20_000);

    // The user leaves: page hide sends the waiting batch.
    const hideAt = Date.now();
    await page.goto(harness.pageUrl('/second'));
    const at = await markerAt(sessionId, 'waiting');
    const carrying = sent.filter((batch) => batch.events.some((event) => event.data?.tag === 'waiting'));
    const report = {
      markerVsReal: at - waitingAt,
      attempts: carrying.map((b) => ({
        seq: b.seq,
        realSendMinusHide: b.at - hideAt,
        sentAtMinusRealSend: (b.sentAt ?? 0) - HOUR - b.at,
      })),
      log: harness.log.map((e) => [e.seq, e.status, e.duplicate]),
    };
    console.log(JSON.stringify(report));
    // Every send says when it left (the page's clock is 1 h ahead).
    for (const attempt of report.attempts) {
      expect(
        Math.abs(attempt.sentAtMinusRealSend),
        `sentAt of seq ${attempt.seq} sent ${attempt.realSendMinusHide} ms after hide`,
      ).toBeLessThan(2_000);
    }
    expect(Math.abs(at - waitingAt), 'the marker at its real time').toBeLessThan(TOLERANCE_MS);
  });
});
