import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, setUpRecorderPages } from '../support/recorder-pages.ts';
import { until } from '../support/until.ts';
import { skewClock, sleep } from './support.ts';

setUpRecorderPages();

/** Opens a recorded page at `path` and waits until its first batch is stored; the log starts empty after it. */
async function pageWithFirstBatch(path: string): Promise<Page> {
  const { page } = await openRecordedPage(context, harness.pageUrl(path));
  await page.evaluate(() => window.recorder.flush());
  await until(async () => harness.log.some((entry) => entry.status === 200), 'first batch');
  harness.log.length = 0;
  return page;
}

describe('Retry-After, same origin (through the harness proxy)', () => {
  it.each([429, 503])('waits as long as a %i asks before sending again', async (status) => {
    const page = await pageWithFirstBatch('/same');
    harness.faults.push({ kind: 'status', status, headers: { 'retry-after': '4' } });
    await page.evaluate(() => window.recorder.capture('after_fault'));
    await until(async () => harness.log.length >= 2, 'the retry', 15_000);
    const gap = (harness.log[1]?.at ?? 0) - (harness.log[0]?.at ?? 0);
    console.log(JSON.stringify({ status, gap }));
    expect(gap).toBeGreaterThanOrEqual(3_900);
    expect(gap).toBeLessThan(6_000);
  });
});

describe('Retry-After as an HTTP date, from a page whose clock is 1 h fast', () => {
  it('waits until that date (by the server clock), not 0 s', async () => {
    await skewClock(context, 60 * 60 * 1000);
    const page = await pageWithFirstBatch('/date');
    // A proxy or CDN answering 503 "come back in 6 s", as an HTTP date (RFC 9110 allows both forms).
    for (let index = 0; index < 20; index++) {
      harness.faults.push({
        kind: 'status',
        status: 503,
        headers: {
          'retry-after': new Date(Date.now() + 6_000).toUTCString(),
          date: new Date().toUTCString(),
        },
      });
    }
    await page.evaluate(() => window.recorder.capture('after_fault'));
    await sleep(3_000);
    const log = harness.log.map((entry) => ({
      dt: entry.at - (harness.log[0]?.at ?? 0),
      status: entry.status,
    }));
    console.log(JSON.stringify(log));
    // Within the 6 s asked for, one attempt only.
    expect(log.length).toBe(1);
  });
});

describe('Retry-After: 0 answered again and again (a proxy that always says so)', () => {
  it('still backs off between attempts', async () => {
    const page = await pageWithFirstBatch('/zero');
    for (let index = 0; index < 50; index++) {
      harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '0' } });
    }
    await page.evaluate(() => window.recorder.capture('after_fault'));
    await sleep(2_000);
    console.log(JSON.stringify({ attemptsIn2s: harness.log.length }));
    expect(harness.log.length).toBeLessThan(5);
  });
});
