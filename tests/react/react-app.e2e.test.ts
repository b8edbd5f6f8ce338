// A React app (StrictMode, development build) recorded through <RecordingProvider> in
// Chromium, against the real replaykit server: what one page does must reach the stored
// session exactly once, and the session must carry on across a reload and into a second tab.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_PATHS,
  EventType,
  type NavigationPayload,
  type RecordedEvent,
  type SessionEventsResponse,
  type SessionResponse,
} from '@replaykit/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { type FixtureStack, startFixtureStack } from '../support/fixture-stack.ts';
import { waitForCustomEvent } from '../support/wait-for-event.ts';
import type { ReactFixtureConfig } from './fixture/main.tsx';

let stack: FixtureStack;
let browser: Browser;
let context: BrowserContext;
let dataDir = '';

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.serverUrl}${path}`, {
    headers: { authorization: `Bearer ${stack.readKey}` },
  });
  expect(response.status, `GET ${path}`).toBe(200);
  return (await response.json()) as T;
}

function payloads<T>(events: RecordedEvent[], tag: string): T[] {
  return events
    .filter((event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === tag)
    .map((event) => (event.data as { payload: T }).payload);
}

/** Opens the fixture in a new tab and waits until it records; its session and window ids. */
async function openApp(path = '/'): Promise<{ page: Page; sessionId: string; windowId: string }> {
  const page = await context.newPage();
  await page.goto(`${stack.pageUrl}${path}`);
  return { page, ...(await ids(page)) };
}

async function ids(page: Page): Promise<{ sessionId: string; windowId: string }> {
  const status = page.getByRole('status');
  await status.filter({ hasText: 'recording' }).waitFor();
  const sessionId = (await status.getAttribute('data-session')) ?? '';
  const windowId = await page.evaluate(
    () => (JSON.parse(sessionStorage.getItem('replaykit:window') ?? '{}') as { id?: string }).id ?? '',
  );
  return { sessionId, windowId };
}

/** Captures `name`, flushes, and waits until the server stored it. */
async function stored(page: Page, sessionId: string, name: string): Promise<void> {
  await page.evaluate((tag) => {
    window.__rk?.capture(tag);
    return window.__rk?.flush();
  }, name);
  await waitForCustomEvent({ url: stack.serverUrl, readKey: stack.readKey }, sessionId, name);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'replaykit-react-app-'));
  stack = await startFixtureStack(dataDir, 'tests/react/fixture');
  browser = await launchChromium();
  context = await browser.newContext();
  const config: ReactFixtureConfig = { endpoint: stack.serverUrl, writeKey: stack.writeKey };
  await context.addInitScript((fixture) => {
    window.__REACT_FIXTURE__ = fixture;
  }, config);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a React app recorded against the real server', () => {
  let first: { page: Page; sessionId: string; windowId: string };

  it('records one page load under StrictMode once: errors of every kind, custom events, navigations', async () => {
    first = await openApp('/shop');
    const { page, sessionId } = first;
    await page.evaluate(() =>
      window.__rk?.capture('checkout_error', { code: 'card_declined', step: 'payment', totalCents: 20_350 }),
    );
    for (const name of ['Fail in render', 'Fail in an effect']) {
      await page.getByRole('button', { name }).click();
      await page.getByRole('alert').waitFor();
    }
    for (const name of ['Fail in a handler', 'Fail in a promise', 'Log an error']) {
      await page.getByRole('button', { name }).click();
    }
    await page.evaluate(async () => {
      const fired = (type: string) =>
        new Promise((resolve) => addEventListener(type, resolve, { once: true }));
      history.pushState({}, '', '/shop/cart');
      history.replaceState({}, '', '/shop/checkout');
      location.hash = '#payment';
      await fired('hashchange');
      history.back();
      await fired('hashchange');
      history.back();
      await fired('popstate');
    });
    await stored(page, sessionId, 'first_page_done');

    const { session, markers } = await api<SessionResponse>(API_PATHS.session(sessionId));
    const { events } = await api<SessionEventsResponse>(API_PATHS.sessionEvents(sessionId));
    expect(events.filter((event) => event.type === EventType.Meta)).toHaveLength(1);
    expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(1);
    expect(payloads(events, '$identify')).toEqual([{ userId: 'user-42', traits: { plan: 'team' } }]);
    expect(session.userId).toBe('user-42');
    expect(payloads(events, 'checkout_error')).toEqual([
      { code: 'card_declined', step: 'payment', totalCents: 20_350 },
    ]);

    // Each failure once: the boundary's for render and effect, the page's handlers for the others.
    const errors = payloads<{ kind: string; message: string }>(events, '$error');
    expect(errors.map((error) => [error.kind, error.message.replace(/^Uncaught (Error: )?/, '')])).toEqual([
      ['react', 'render failed'],
      ['react', 'effect failed'],
      ['error', 'handler failed'],
      ['unhandledrejection', 'promise failed'],
    ]);
    expect(session.errorCount).toBe(4);
    const consoleErrors = payloads<{ level: string; args: string[] }>(events, '$console').filter(
      (entry) => entry.level === 'error' && entry.args[0] === 'console failed',
    );
    expect(consoleErrors).toHaveLength(1);
    // React logs the errors its boundary caught with a format string: applied, not shown raw.
    const consoleMarkers = markers
      .filter((marker) => marker.kind === 'console_error')
      .map((marker) => marker.label);
    expect(consoleMarkers.some((label) => label.startsWith('Error: render failed'))).toBe(true);
    expect(consoleMarkers.filter((label) => label.includes('%o'))).toEqual([]);

    const navigations = payloads<NavigationPayload>(events, '$navigation');
    expect(
      navigations.map((navigation) => [
        navigation.kind,
        new URL(navigation.url).pathname + new URL(navigation.url).hash,
      ]),
    ).toEqual([
      ['load', '/shop'],
      ['pushState', '/shop/cart'],
      ['replaceState', '/shop/checkout'],
      ['hashchange', '/shop/checkout#payment'],
      ['hashchange', '/shop/checkout'],
      ['popstate', '/shop'],
    ]);
  });

  it('keeps the session and the window across a reload, and gives a second tab its own window', async () => {
    const { page, sessionId, windowId } = first;
    await page.reload();
    expect(await ids(page)).toEqual({ sessionId, windowId });
    await stored(page, sessionId, 'after_reload');

    const second = await openApp('/other-tab');
    expect(second.sessionId).toBe(sessionId);
    expect(second.windowId).not.toBe(windowId);
    await stored(second.page, sessionId, 'second_tab');

    const { session } = await api<SessionResponse>(API_PATHS.session(sessionId));
    expect([...session.windowIds].sort()).toEqual([windowId, second.windowId].sort());
    const { events } = await api<SessionEventsResponse>(API_PATHS.sessionEvents(sessionId));
    // One full snapshot per page load: the first, its reload, the second tab.
    expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(3);
  });
});
