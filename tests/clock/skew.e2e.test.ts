import { API_PATHS } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';
import { api, chunks, clickAround, skewClock, sleep, waitForMarkers, watchIngest } from './support.ts';

setUpRecorderPages();

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** Allowed error between a stored time and the real time it stands for. */
const TOLERANCE_MS = 1_500;

describe.each([
  ['1 h fast', HOUR],
  ['2 days slow', -2 * DAY],
  ['10 min slow', -10 * 60 * 1000],
])('a page whose clock is %s', (_name, skew) => {
  it('is stored and replayed at real time: start, end, duration, markers', async () => {
    await skewClock(context, skew);
    const sent = watchIngest(context);
    const page = await context.newPage();
    const realStart = Date.now();
    await page.goto(harness.pageUrl('/a'));
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    const pageNow = await page.evaluate(() => Date.now());
    expect(Math.abs(pageNow - Date.now() - skew)).toBeLessThan(1_000);
    await clickAround(page, 4, 400);
    const midAt = Date.now();
    await page.evaluate(() => window.recorder.capture('mid_marker'));
    await sleep(1_500);
    await page.goto(harness.pageUrl('/b'));
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    expect(await page.evaluate(() => window.recorder.getSessionId())).toBe(sessionId);
    await clickAround(page, 4, 400);
    const endAt = Date.now();
    await page.evaluate(() => window.recorder.capture('end_marker'));
    await page.evaluate(() => window.recorder.flush());
    const realEnd = Date.now();

    const { session, markers } = await waitForMarkers(harness, sessionId, ['end_marker']);
    const info = {
      skew,
      realStart,
      realEnd,
      session: {
        startedAt: session.startedAt,
        endedAt: session.endedAt,
        durationMs: session.durationMs,
        activeMs: session.activeMs,
      },
      sentAt: sent.map((batch) => ({
        seq: batch.seq,
        sentMinusReal: (batch.sentAt ?? Number.NaN) - batch.at,
      })),
      markers: markers.map((marker) => ({
        label: marker.label,
        vsReal:
          marker.timestamp -
          (marker.label === 'mid_marker' ? midAt : marker.label === 'end_marker' ? endAt : 0),
      })),
    };
    console.log(JSON.stringify(info, null, 1));

    expect(session.startedAt).toBeGreaterThanOrEqual(realStart - TOLERANCE_MS);
    expect(session.startedAt).toBeLessThanOrEqual(realStart + 3_000);
    expect(session.endedAt).toBeGreaterThanOrEqual(endAt - TOLERANCE_MS);
    expect(session.endedAt).toBeLessThanOrEqual(realEnd + TOLERANCE_MS);
    expect(session.durationMs).toBeLessThanOrEqual(realEnd - realStart + TOLERANCE_MS);
    expect(session.durationMs).toBeGreaterThanOrEqual(endAt - realStart - 3_000);
    expect(session.activeMs).toBeLessThanOrEqual(session.durationMs);
    const mid = markers.find((marker) => marker.label === 'mid_marker');
    const end = markers.find((marker) => marker.label === 'end_marker');
    expect(Math.abs((mid?.timestamp ?? 0) - midAt)).toBeLessThan(TOLERANCE_MS);
    expect(Math.abs((end?.timestamp ?? 0) - endAt)).toBeLessThan(TOLERANCE_MS);

    // The replay's events (chunks) lie in real time too, and in order.
    const stored = await chunks(harness, sessionId);
    const times = stored.flatMap((chunk) => chunk.events.map((event) => event.timestamp));
    expect(Math.min(...times)).toBe(session.startedAt);
    expect(Math.max(...times)).toBeLessThanOrEqual(realEnd + TOLERANCE_MS);
    // The session shows up in the list within the real time range.
    const list = await api<{ sessions: { id: string; startedAt: number }[] }>(
      harness,
      `${API_PATHS.sessions}?from=${realStart - 60_000}`,
    );
    expect(list.sessions.map((item) => item.id)).toContain(sessionId);
  });
});
