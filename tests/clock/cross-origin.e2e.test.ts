/**
 * The recorder on one origin and the real server on another, as most sites deploy it: the
 * page must be able to read the server's Retry-After (Access-Control-Expose-Headers).
 */
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { type CrossOriginStack, startCrossOriginStack, WRITE_KEY } from './stack.ts';
import { sleep } from './support.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Times (ms since 1970) and answers of the ingest requests of a context. */
function watchAttempts(context: BrowserContext): { at: number; status?: number }[] {
  const attempts: { at: number; status?: number }[] = [];
  context.on('request', (request: Request) => {
    if (request.method() === 'POST' && request.url().includes('/v1/ingest')) {
      const entry: { at: number; status?: number } = { at: Date.now() };
      attempts.push(entry);
      void request.response().then((response) => {
        entry.status = response?.status();
      });
    }
  });
  return attempts;
}

describe('Retry-After from the real server on another origin (the usual deployment)', () => {
  let stack: CrossOriginStack;
  beforeAll(async () => {
    stack = await startCrossOriginStack({ maxSessions: 1 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the page can read the Retry-After of a refused ingest request', async () => {
    const context = await browser.newContext();
    try {
      const { page } = await openRecordedPage(context, stack.pageUrl('/probe', { persistQueue: false }));
      // Fill the quota of one session with a first session.
      await page.evaluate(() => window.recorder.flush());
      // A second session is over quota: 429 with Retry-After: 3600.
      const seen = await page.evaluate(
        async ({ url }) => {
          const body = JSON.stringify({
            v: 1,
            sessionId: 'second-session',
            windowId: 'w',
            seq: 0,
            events: [{ type: 5, timestamp: Date.now(), data: { tag: 'x', payload: {} } }],
          });
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body,
            credentials: 'omit',
          });
          return { status: response.status, retryAfter: response.headers.get('retry-after') };
        },
        { url: `${stack.serverUrl}/v1/ingest?key=${WRITE_KEY}` },
      );
      // What the server sent, read from Node (no CORS there).
      const direct = await fetch(`${stack.serverUrl}/v1/ingest?key=${WRITE_KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: stack.pageOrigin },
        body: JSON.stringify({
          v: 1,
          sessionId: 'third-session',
          windowId: 'w',
          seq: 0,
          events: [{ type: 5, timestamp: Date.now(), data: { tag: 'x', payload: {} } }],
        }),
      });
      console.log(
        JSON.stringify({
          inPage: seen,
          direct: {
            status: direct.status,
            retryAfter: direct.headers.get('retry-after'),
            expose: direct.headers.get('access-control-expose-headers'),
          },
        }),
      );
      expect(direct.status).toBe(429);
      expect(direct.headers.get('retry-after')).toBe('3600');
      expect(seen.status).toBe(429);
      expect(seen.retryAfter, 'Retry-After visible to the page (Access-Control-Expose-Headers)').toBe('3600');
    } finally {
      await context.close();
    }
  });

  it('a recorder over quota honours Retry-After: 3600 (clamped to 10 min), not its 1 s backoff', async () => {
    const context = await browser.newContext();
    try {
      const attempts = watchAttempts(context);
      const { page } = await openRecordedPage(context, stack.pageUrl('/over-quota', { persistQueue: false }));
      await page.evaluate(() => window.recorder.flush());
      await sleep(8_000);
      console.log(
        JSON.stringify(attempts.map((a) => ({ dt: a.at - (attempts[0]?.at ?? 0), status: a.status }))),
      );
      expect(attempts[0]?.status).toBe(429);
      // One refusal, then silence for (at least) the rest of this test.
      expect(attempts.length).toBe(1);
    } finally {
      await context.close();
    }
  });
});

describe('a page outside the project allowedOrigins', () => {
  let stack: CrossOriginStack;
  beforeAll(async () => {
    stack = await startCrossOriginStack({ allowedOrigins: ['https://app.example.com'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('reads the 403 origin_not_allowed of its batch, as the recorder sends it, instead of a CORS error', async () => {
    const context = await browser.newContext();
    try {
      const { page } = await openRecordedPage(context, stack.pageUrl('/foreign', { persistQueue: false }));
      // The recorder's request: text/plain with the key in the query, which needs no preflight.
      const seen = await page.evaluate(
        async ({ url }) => {
          try {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'text/plain' },
              body: JSON.stringify({
                v: 1,
                sessionId: 'foreign-session',
                windowId: 'w',
                seq: 0,
                events: [{ type: 5, timestamp: Date.now(), data: { tag: 'x', payload: {} } }],
              }),
              credentials: 'omit',
            });
            return { status: response.status, body: await response.text() };
          } catch (error) {
            // Before: the answer had no Access-Control-Allow-Origin, so this was all the page had.
            return { status: 0, body: String(error) };
          }
        },
        { url: `${stack.serverUrl}/v1/ingest?key=${WRITE_KEY}` },
      );
      expect(seen.status).toBe(403);
      const { error } = JSON.parse(seen.body) as { error: { code: string; message: string } };
      expect(error.code).toBe('origin_not_allowed');
      expect(error.message).toContain(stack.pageOrigin);
      // Nothing of that page was stored.
      const list = await fetch(`${stack.serverUrl}/v1/sessions`, {
        headers: { authorization: `Bearer ${stack.readKey}` },
      });
      expect(((await list.json()) as { sessions: unknown[] }).sessions).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
