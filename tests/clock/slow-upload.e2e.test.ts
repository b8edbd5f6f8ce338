import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';
import { chunks, clickAround, skewClock, sleep, waitForMarkers, watchIngest } from './support.ts';

setUpRecorderPages();

/** Just past the server's 5-minute future skew limit. */
const SKEW_MS = 5 * 60 * 1000 + 2_500;

describe('a clock just over 5 min fast, on a slow uplink', () => {
  it('corrects a large (slow to upload) batch by the same offset as the small ones', async () => {
    await skewClock(context, SKEW_MS);
    const sent = watchIngest(context);
    const { page, sessionId } = await openRecordedPage(context, harness.pageUrl('/slow-uplink'));
    await clickAround(page, 2, 300);
    await page.evaluate(() => window.recorder.flush());

    // A slow mobile uplink: 40 KB/s.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 40 * 1024,
    });
    // A large, incompressible piece of page: its mutation makes a batch of about 200 KB gzipped.
    const bigAt = Date.now();
    await page.evaluate(() => {
      const bytes = new Uint8Array(200 * 1024);
      for (let offset = 0; offset < bytes.length; offset += 65_536) {
        crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
      }
      let text = '';
      for (const byte of bytes) {
        text += String.fromCharCode(33 + (byte % 94));
      }
      const pre = document.createElement('pre');
      pre.id = 'big';
      pre.textContent = text;
      document.body.append(pre);
    });
    await page.evaluate(() => window.recorder.flush());
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await sleep(500);
    const afterAt = Date.now();
    await page.evaluate(() => window.recorder.capture('after_big'));
    await page.evaluate(() => window.recorder.flush());
    const realEnd = Date.now();

    const { session } = await waitForMarkers(harness, sessionId, ['after_big'], 60_000);
    const stored = await chunks(harness, sessionId);
    const bigChunk = stored.find((chunk) => JSON.stringify(chunk.events).includes('"big"'));
    const bigEvent = bigChunk?.events.find((event) => JSON.stringify(event).includes('"big"'));
    const after = stored.flatMap((chunk) => chunk.events).find((event) => event.data?.tag === 'after_big');
    const report = {
      bigVsReal: (bigEvent?.timestamp ?? Number.NaN) - bigAt,
      afterVsReal: (after?.timestamp ?? Number.NaN) - afterAt,
      endedAtVsRealEnd: session.endedAt - realEnd,
      durationMs: session.durationMs,
      sentAtMinusSkew: sent.map((batch) => ({ seq: batch.seq, size: JSON.stringify(batch.events).length })),
    };
    console.log(JSON.stringify(report));
    expect(Math.abs(report.afterVsReal)).toBeLessThan(1_500);
    // sentAt is stamped when the upload starts, so the correction of a batch includes its
    // upload time (here about 5 s): off by that, not by the clock's 5 minutes as before.
    expect(
      Math.abs(report.bigVsReal),
      'the large batch at its real time, give or take its upload',
    ).toBeLessThan(10_000);
    // The replay's order: the big mutation before the marker recorded after it.
    expect(bigEvent?.timestamp ?? 0).toBeLessThan(after?.timestamp ?? 0);
    expect(session.endedAt).toBeLessThanOrEqual(realEnd + 1_500);
  });
});
