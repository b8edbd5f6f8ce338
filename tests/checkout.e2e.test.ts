import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  API_PATHS,
  EventType,
  INGEST_PATH,
  IncrementalSource,
  isCustomEvent,
  isIncremental,
  type RecordedEvent,
  ReservedEvent,
  type SessionEventsResponse,
  type SessionResponse,
  WIRE_VERSION,
  WRITE_KEY_HEADER,
} from '@replaykit/core';
import type { Browser, Locator, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../packages/player/src/format-time.ts';
import { type DemoStack, startDemoStack } from '../scripts/demo-stack.ts';
import twoTabSession from '../stories/fixtures/two-tab-session.json';
import { launchChromium } from './support/browser.ts';
import { driveCheckout } from './support/checkout-flow.ts';
import { waitForCustomEvent } from './support/wait-for-event.ts';

const EMAIL = 'jane.secret-shopper@example.org';
const CARD_DIGITS = '4242424242424242';
const CARD_FORMATTED = '4242 4242 4242 4242';
/** How far past the chart's post-decline snapshot the canvas test seeks. */
const CHART_SEEK_AFTER_SNAPSHOT_MS = 5;
const SECRETS = [EMAIL, 'jane.secret-shopper', CARD_DIGITS, CARD_FORMATTED, '4242 4242'];

/** Whether the element is within the window's height, not scrolled past or below the fold. */
function isOnScreen(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  });
}

function decode(body: Buffer): string {
  const isGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  return (isGzip ? gunzipSync(body) : body).toString('utf8');
}

describe('the demo, end to end: record → ingest → store → replay', () => {
  let stack: DemoStack;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const sentBodies: string[] = [];
  let sessionId = '';
  /** Replay time at which the order chart shows its redraw after the decline. */
  let greyChartOffsetMs = 0;

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${stack.serverUrl}${path}`, {
      headers: { authorization: `Bearer ${stack.keys.readKey}` },
    });
    expect(response.status, `GET ${path}`).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'replaykit-e2e-'));
    stack = await startDemoStack({ dataDir, demoPort: 0, serverPort: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on('request', (request) => {
      if (request.url().startsWith(stack.serverUrl) && request.method() === 'POST') {
        const body = request.postDataBuffer();
        if (body) {
          sentBodies.push(decode(body));
        }
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records a checkout with a declined payment, masking the email and card number', async () => {
    // At a reader's pace: the order chart's canvas, redrawn when the payment is declined, is
    // recorded as an image at most twice a second, so the shopper stays that long at least.
    sessionId = await driveCheckout(page, stack.demoUrl, {
      email: EMAIL,
      cardDigits: CARD_DIGITS,
      stepDelayMs: 600,
    });
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForCustomEvent(
      { url: stack.serverUrl, readKey: stack.keys.readKey },
      sessionId,
      'checkout_error',
    );
  });

  it('stored a replayable session with the checkout_error event and its properties', async () => {
    const { session, markers } = await api<SessionResponse>(API_PATHS.session(sessionId));
    expect(session.hasFullSnapshot).toBe(true);
    expect(session.userId).toBe('demo-user-42');
    expect(session.firstUrl).toBe(`${stack.demoUrl}/`);
    expect(markers.map((marker) => marker.label)).toContain('checkout_error');

    const { events } = await api<SessionEventsResponse>(API_PATHS.sessionEvents(sessionId));
    const types = events.map((event: RecordedEvent) => event.type);
    expect(types).toContain(EventType.Meta);
    expect(types).toContain(EventType.FullSnapshot);
    expect(types.indexOf(EventType.Meta)).toBeLessThan(types.indexOf(EventType.FullSnapshot));
    const checkoutError = events.find(
      (event) => event.type === EventType.Custom && (event.data as { tag?: string }).tag === 'checkout_error',
    );
    expect(checkoutError?.data).toMatchObject({
      payload: { code: 'card_declined', step: 'payment', totalCents: 20_350, items: 2 },
    });
    // The order chart's redraw after the decline, as a canvas image snapshot (CanvasMutation).
    const declineAt = checkoutError?.timestamp ?? Number.POSITIVE_INFINITY;
    const canvasSnapshots = events.filter(
      (event) => isIncremental(event, IncrementalSource.CanvasMutation) && event.timestamp > declineAt,
    );
    expect(canvasSnapshots.length).toBeGreaterThan(0);
    // Where the replay shows the grey chart: after that snapshot, before the shop is left.
    const greyAt = (canvasSnapshots[0]?.timestamp ?? 0) + CHART_SEEK_AFTER_SNAPSHOT_MS;
    // The snapshot is stamped when its pixels were read, not when encoding finished: it sits
    // on the checkout page, before the shopper left for the replays page.
    const leftAt = events.find(
      (event) =>
        isCustomEvent(event) &&
        event.data.tag === ReservedEvent.Navigation &&
        String((event.data.payload as { url?: string } | undefined)?.url).endsWith('/replays'),
    )?.timestamp;
    expect(greyAt).toBeLessThan(leftAt ?? 0);
    // Sorted by time, as the player needs them: its timeline starts at the first.
    const timestamps = events.map((event) => event.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    greyChartOffsetMs = greyAt - (timestamps[0] ?? 0);
  });

  it('records the way to the replays page, but nothing of that page: not its list, nor its requests', async () => {
    // The shopper's last step opens the replays page, whose list asks the replaykit server for
    // sessions while the shop's recorder is still stopping.
    const { session } = await api<SessionResponse>(API_PATHS.session(sessionId));
    expect(session.urls).toContain(`${stack.demoUrl}/replays`);
    expect(session.failedRequestCount).toBe(0);
    const { events } = await api<SessionEventsResponse>(API_PATHS.sessionEvents(sessionId));
    const requestedUrls = events
      .filter((event) => isCustomEvent(event) && event.data.tag === ReservedEvent.Network)
      .map((event) => String((event.data as { payload?: { url?: string } }).payload?.url));
    expect(requestedUrls.filter((url) => url.startsWith(stack.serverUrl))).toEqual([]);
    expect(JSON.stringify(events)).not.toContain('Recorded sessions');
  });

  it('never let the typed email or card number leave the browser or reach the store', async () => {
    expect(sentBodies.length).toBeGreaterThan(0);
    const everythingSent = sentBodies.join('\n');
    // The masked shapes were sent: proof that the inputs were recorded, only masked.
    expect(everythingSent).toContain('**** **** **** ****');
    for (const secret of SECRETS) {
      expect(everythingSent, `sent bytes contain "${secret}"`).not.toContain(secret);
    }

    const served = JSON.stringify(await api<SessionEventsResponse>(API_PATHS.sessionEvents(sessionId)));
    for (const secret of SECRETS) {
      expect(served, `served events contain "${secret}"`).not.toContain(secret);
    }

    // The database files as they are on disk (batches are stored compressed, as received):
    // neither the raw bytes nor any decompressed gzip member may hold a secret.
    for (const file of readdirSync(stack.dataDir).filter((name) => name.startsWith('replaykit.db'))) {
      const bytes = readFileSync(join(stack.dataDir, file));
      const text = bytes.toString('latin1');
      for (const secret of SECRETS) {
        expect(text, `${file} contains "${secret}"`).not.toContain(secret);
      }
    }
  });

  it('replays the session in the viewer, at the checkout step, with the card number masked', async () => {
    await page.goto(`${stack.demoUrl}/replays`);
    const playButton = page.locator(`button[data-session-id="${sessionId}"]`);
    await playButton.click();
    await expect.poll(() => page.url()).toContain(`session=${sessionId}`);

    const marker = page.getByRole('button', { name: /^checkout_error at / });
    await marker.waitFor({ timeout: 20_000 });
    await marker.click();

    const frame = page.frameLocator('iframe').first();
    await expect
      .poll(() => frame.getByRole('heading', { name: 'Checkout' }).count(), { timeout: 10_000 })
      .toBe(1);
    const preview = await frame.locator('.card-preview').textContent();
    expect(preview).toBe('**** **** **** ****');
    const cardValue = await frame.locator('input[name="card-number"]').inputValue();
    expect(cardValue).toMatch(/^[*\s]{16,}$/);
    const emailValue = await frame.locator('input[name="email"]').inputValue();
    expect(emailValue).toMatch(/^\*+$/);
    const replayedHtml = await frame.locator('html').innerHTML();
    for (const secret of SECRETS) {
      expect(replayedHtml).not.toContain(secret);
    }
  });

  it('shows the order chart canvas in the replay, painted from the host page, with no script in the frame', async () => {
    // Continues on the viewer page of the previous test, at the checkout step.
    const sandbox = await page.locator('iframe').first().getAttribute('sandbox');
    expect(sandbox).not.toContain('allow-scripts');
    // The first bar's colour as the viewer shows it: a screenshot of a few pixels in the middle
    // of the bar, where the replayed canvas is on screen (the frame is scaled to fit). A frame
    // without script renders canvases as their fallback content, so the canvas's own pixels
    // (getImageData) would say nothing about what a person sees.
    const firstBar = async (): Promise<number[]> => {
      const box = await page.evaluate(() => {
        const frame = document.querySelector('iframe');
        const canvas = frame?.contentDocument?.querySelector('canvas.order-chart');
        if (!frame || !canvas) {
          return null;
        }
        const frameBox = frame.getBoundingClientRect();
        const scale = frameBox.width / frame.offsetWidth;
        const canvasBox = canvas.getBoundingClientRect();
        return {
          x: window.scrollX + frameBox.left + (canvasBox.left + 8) * scale,
          y: window.scrollY + frameBox.top + (canvasBox.top + canvasBox.height / 2) * scale,
        };
      });
      if (!box) {
        return [];
      }
      // In page coordinates: the chart may be below the fold.
      const png = await page.screenshot({
        fullPage: true,
        clip: { x: box.x, y: box.y, width: 2, height: 2 },
      });
      return page.evaluate(async (base64) => {
        const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${base64}`)).blob());
        const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
        context?.drawImage(bitmap, 0, 0);
        return [...(context?.getImageData(0, 0, 1, 1).data ?? [])];
      }, png.toString('base64'));
    };
    const near = (pixel: number[], [red, green, blue]: number[]) =>
      Math.abs((pixel[0] ?? 0) - (red ?? 0)) < 24 &&
      Math.abs((pixel[1] ?? 0) - (green ?? 0)) < 24 &&
      Math.abs((pixel[2] ?? 0) - (blue ?? 0)) < 24 &&
      pixel[3] === 255;
    // At checkout_error the chart is blue: the canvas was recorded with that image when it appeared.
    await expect.poll(async () => near(await firstBar(), [0x34, 0x52, 0xd1]), { timeout: 10_000 }).toBe(true);
    // The redraw in grey after the decline exists only as a canvas snapshot event: there the
    // player must have painted it.
    await page.goto(`${stack.demoUrl}/replays?session=${sessionId}&t=${greyChartOffsetMs / 1000}`);
    await expect.poll(async () => near(await firstBar(), [0x8a, 0x8f, 0x9c]), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('iframe').first().getAttribute('sandbox')).not.toContain('allow-scripts');
  });

  it('puts the player in fullscreen with its button and the f key, and leaves it again', async () => {
    // Continues on the viewer page of the previous test.
    const fullscreenElement = () => page.evaluate(() => document.fullscreenElement?.className ?? null);
    await page.getByRole('button', { name: 'Fullscreen', exact: true }).click();
    await expect.poll(fullscreenElement).toContain('rk-player');
    const size = await page.evaluate(() => {
      const box = document.fullscreenElement?.getBoundingClientRect();
      return { width: box?.width ?? 0, screenWidth: window.innerWidth };
    });
    expect(size.width).toBe(size.screenWidth);
    await page.getByRole('button', { name: 'Exit fullscreen', exact: true }).click();
    await expect.poll(fullscreenElement).toBeNull();

    // The f shortcut works while focus is in the player.
    await page.getByRole('slider', { name: 'Seek' }).focus();
    await page.keyboard.press('f');
    await expect.poll(fullscreenElement).toContain('rk-player');
    await page.keyboard.press('f');
    await expect.poll(fullscreenElement).toBeNull();
  });

  it("opens another session from the list at its start, without the last one's ?t= in its link", async () => {
    // Continues on the viewer page of the previous tests, paused at the grey chart's moment,
    // whose time the page wrote into ?t=. A second session is stored beside the checkout.
    await expect.poll(() => new URL(page.url()).searchParams.get('t')).not.toBeNull();
    const [tab] = twoTabSession as Array<{ windowId: string; events: unknown[] }>;
    const otherId = 'second-session';
    const response = await fetch(`${stack.serverUrl}${INGEST_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [WRITE_KEY_HEADER]: stack.keys.writeKey },
      body: JSON.stringify({
        v: WIRE_VERSION,
        sessionId: otherId,
        windowId: tab?.windowId,
        seq: 0,
        events: tab?.events,
      }),
    });
    expect(response.status, await response.text()).toBe(200);
    await page.reload();
    await page.locator(`button[data-session-id="${otherId}"]`).click();
    await expect.poll(() => page.url()).toContain(`session=${otherId}`);
    await page.locator('.session-id code', { hasText: otherId }).waitFor();
    // Ready (its page is on screen) and paused at its start: the link names no moment of
    // another session, then or once the player's state changes have been handled.
    await page.frameLocator('iframe').first().locator('body').waitFor();
    await page.waitForTimeout(500);
    expect(new URL(page.url()).searchParams.get('t')).toBeNull();
  });

  it('heads the chosen session with its id until its summary comes, which the page reads once, with the player', async () => {
    const summaryPath = API_PATHS.session(sessionId);
    const serverOrigin = new URL(stack.serverUrl).origin;
    const isSummary = (url: URL) => url.origin === serverOrigin && url.pathname === summaryPath;
    const summaryRequests: string[] = [];
    const countSummaryRequest = (request: Request) => {
      if (request.method() === 'GET' && isSummary(new URL(request.url()))) {
        summaryRequests.push(request.url());
      }
    };
    // The summary is held back until the heading has been read without it.
    let releaseSummary = () => {};
    const summaryReleased = new Promise<void>((resolve) => {
      releaseSummary = resolve;
    });
    await page.route(isSummary, async (route) => {
      await summaryReleased;
      // React's StrictMode (the demo runs in development) cancels the first request of each
      // effect it runs twice: that one cannot go on.
      await route.continue().catch(() => undefined);
    });
    // Answered requests: the cancelled ones never reach the server.
    page.on('requestfinished', countSummaryRequest);
    try {
      await page.goto(`${stack.demoUrl}/replays?session=${sessionId}`);
      const heading = page.locator('.player-panel h2');
      await expect.poll(() => heading.textContent()).toBe(`Session ${sessionId}`);
      releaseSummary();
      const { session } = await api<SessionResponse>(summaryPath);
      const started = await page.evaluate((time) => new Date(time).toLocaleString(), session.startedAt);
      await expect
        .poll(() => heading.textContent())
        .toBe(`demo-user-42 – ${started} (${formatDuration(session.durationMs)})`);
      await page.frameLocator('iframe').first().locator('body').waitFor();
      // The player's own request: the heading took the summary from it.
      expect(summaryRequests).toHaveLength(1);
    } finally {
      page.off('requestfinished', countSummaryRequest);
      await page.unroute(isSummary);
    }
  });

  it('brings the session chosen in the list into view, with focus on its heading', async () => {
    // The player sits below the list: in this window, out of sight until scrolled to.
    await page.goto(`${stack.demoUrl}/replays`);
    await page.locator(`button[data-session-id="${sessionId}"]`).click();
    // The heading says who and when, the start time as the list writes it (in the page's locale).
    const { session } = await api<SessionResponse>(API_PATHS.session(sessionId));
    const started = await page.evaluate((time) => new Date(time).toLocaleString(), session.startedAt);
    const heading = page.getByRole('heading', {
      name: `demo-user-42 – ${started} (${formatDuration(session.durationMs)})`,
      exact: true,
    });
    await expect.poll(() => heading.evaluate((element) => element === document.activeElement)).toBe(true);
    // The id stays on the page, under the heading, to copy into a ticket.
    expect(await page.locator('.player-panel .session-id code').textContent()).toBe(sessionId);
    const seek = page.getByRole('slider', { name: 'Seek' });
    await seek.waitFor();
    await expect.poll(() => isOnScreen(seek)).toBe(true);
  });

  it('keeps ?t= on the moment shown after a seek while paused, by the timeline and by the keyboard', async () => {
    // Continues on the checkout, just opened from the list: paused at its start, no ?t= yet.
    const seek = page.getByRole('slider', { name: 'Seek' });
    const linkSeconds = () => new URL(page.url()).searchParams.get('t');
    const shownSeconds = async () =>
      String(Math.floor(Number(await seek.getAttribute('aria-valuenow')) / 1000));
    await page.frameLocator('iframe').first().locator('body').waitFor();
    expect(linkSeconds()).toBeNull();

    const track = await page.locator('.rk-timeline').boundingBox();
    expect(track).not.toBeNull();
    await page.mouse.click(
      (track?.x ?? 0) + (track?.width ?? 0) * 0.6,
      (track?.y ?? 0) + (track?.height ?? 0) / 2,
    );
    await expect.poll(shownSeconds).not.toBe('0');
    expect(await page.getByRole('button', { name: 'Play', exact: true }).isVisible()).toBe(true);
    await expect.poll(linkSeconds).toBe(await shownSeconds());

    await seek.focus();
    await page.keyboard.press('Home');
    await expect.poll(shownSeconds).toBe('0');
    await expect.poll(linkSeconds).toBe('0');
  });

  it('keeps the list’s filters in the URL, through choosing a session and a reload', async () => {
    await page.goto(`${stack.demoUrl}/replays`);
    const list = page.getByRole('region', { name: 'Recorded sessions' });
    await list.getByRole('table').waitFor();
    await list.getByRole('textbox', { name: 'User' }).fill('demo-user-42');
    await list.getByRole('combobox', { name: 'Sort' }).selectOption('longest');
    const params = () => Object.fromEntries(new URL(page.url()).searchParams);
    await expect.poll(params).toEqual({ userId: 'demo-user-42', sort: 'longest' });

    await page.locator(`button[data-session-id="${sessionId}"]`).click();
    await expect.poll(params).toEqual({ userId: 'demo-user-42', sort: 'longest', session: sessionId });
    const listRequest = page.waitForRequest((request) => request.url().includes('/v1/sessions?'));
    await page.reload();
    const asked = new URL((await listRequest).url()).searchParams;
    expect([asked.get('userId'), asked.get('sort')]).toEqual(['demo-user-42', 'longest']);
    await list.getByRole('table').waitFor();
    expect(await list.getByRole('textbox', { name: 'User' }).inputValue()).toBe('demo-user-42');
    expect(await list.getByRole('combobox', { name: 'Sort' }).inputValue()).toBe('longest');
  });

  it('makes each applied filter set a history entry, so Back and Forward move between lists', async () => {
    await page.goto(`${stack.demoUrl}/replays`);
    const list = page.getByRole('region', { name: 'Recorded sessions' });
    const user = list.getByRole('textbox', { name: 'User' });
    const checkout = list.locator(`button[data-session-id="${sessionId}"]`);
    const params = () => Object.fromEntries(new URL(page.url()).searchParams);
    const historyLength = () => page.evaluate(() => window.history.length);
    await checkout.waitFor();

    await user.fill('nobody-recorded');
    await list.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(params).toEqual({ userId: 'nobody-recorded' });
    await list.getByText('No recordings match these filters').waitFor();
    // Typing before Apply changes neither the address nor the history.
    const afterApply = await historyLength();
    await user.fill('demo-user-42');
    expect(params()).toEqual({ userId: 'nobody-recorded' });
    expect(await historyLength()).toBe(afterApply);
    await list.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(params).toEqual({ userId: 'demo-user-42' });
    await checkout.waitFor();
    // The list the viewer applied from stays as it is: focus is still on Apply.
    const apply = list.getByRole('button', { name: 'Apply' });
    expect(await apply.evaluate((element) => element === document.activeElement)).toBe(true);

    // Back shows the list as it was under the earlier filters, fields included.
    await page.goBack();
    await expect.poll(params).toEqual({ userId: 'nobody-recorded' });
    await list.getByText('No recordings match these filters').waitFor();
    expect(await user.inputValue()).toBe('nobody-recorded');
    await page.goBack();
    await expect.poll(params).toEqual({});
    await checkout.waitFor();
    expect(await user.inputValue()).toBe('');
    // Forward, again.
    await page.goForward();
    await expect.poll(params).toEqual({ userId: 'nobody-recorded' });
    await list.getByText('No recordings match these filters').waitFor();
    expect(await user.inputValue()).toBe('nobody-recorded');
  });

  it('fits the chosen session, controls included, in a small window', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await page.goto(`${stack.demoUrl}/replays`);
      await page.locator(`button[data-session-id="${sessionId}"]`).click();
      await page.getByRole('slider', { name: 'Seek' }).waitFor();
      const controls = {
        Seek: page.getByRole('slider', { name: 'Seek' }),
        Play: page.getByRole('button', { name: 'Play', exact: true }),
        Fullscreen: page.getByRole('button', { name: 'Fullscreen', exact: true }),
      };
      for (const [name, control] of Object.entries(controls)) {
        await expect.poll(() => isOnScreen(control), { message: `${name} on screen` }).toBe(true);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    } finally {
      await page.setViewportSize({ width: 1100, height: 800 });
    }
  });
});
