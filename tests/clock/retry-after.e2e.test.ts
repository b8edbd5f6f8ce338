import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { type RecorderHarness, startRecorderHarness } from '../support/recorder-harness.ts';
import { until } from '../support/until.ts';
import { skewClock, sleep } from './support.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('Retry-After, same origin (through the harness proxy)', () => {
  let harness: RecorderHarness;
  beforeAll(async () => {
    harness = await startRecorderHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it.each([429, 503])('waits as long as a %i asks before sending again', async (status) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(harness.pageUrl('/same'));
      await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
      await page.evaluate(() => window.recorder.flush());
      await until(async () => harness.log.some((entry) => entry.status === 200), 'first batch');
      harness.log.length = 0;
      harness.faults.push({ kind: 'status', status, headers: { 'retry-after': '4' } });
      await page.evaluate(() => window.recorder.capture('after_fault'));
      await until(async () => harness.log.length >= 2, 'the retry', 15_000);
      const gap = (harness.log[1]?.at ?? 0) - (harness.log[0]?.at ?? 0);
      console.log(JSON.stringify({ status, gap }));
      expect(gap).toBeGreaterThanOrEqual(3_900);
      expect(gap).toBeLessThan(6_000);
    } finally {
      await context.close();
    }
  });
});

describe('Retry-After as an HTTP date, from a page whose clock is 1 h fast', () => {
  let harness: RecorderHarness;
  beforeAll(async () => {
    harness = await startRecorderHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('waits until that date (by the server clock), not 0 s', async () => {
    const context = await browser.newContext();
    try {
      await skewClock(context, 60 * 60 * 1000);
      const page = await context.newPage();
      await page.goto(harness.pageUrl('/date'));
      await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
      await page.evaluate(() => window.recorder.flush());
      await until(async () => harness.log.some((entry) => entry.status === 200), 'first batch');
      harness.log.length = 0;
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
    } finally {
      harness.faults.length = 0;
      await context.close();
    }
  });
});

describe('Retry-After: 0 answered again and again (a proxy that always says so)', () => {
  let harness: RecorderHarness;
  beforeAll(async () => {
    harness = await startRecorderHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('still backs off between attempts', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(harness.pageUrl('/zero'));
      await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
      await page.evaluate(() => window.recorder.flush());
      await until(async () => harness.log.some((entry) => entry.status === 200), 'first batch');
      harness.log.length = 0;
      for (let index = 0; index < 50; index++) {
        harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '0' } });
      }
      await page.evaluate(() => window.recorder.capture('after_fault'));
      await sleep(2_000);
      console.log(JSON.stringify({ attemptsIn2s: harness.log.length }));
      expect(harness.log.length).toBeLessThan(5);
    } finally {
      harness.faults.length = 0;
      await context.close();
    }
  });
});
