import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PATHS, type SessionResponse } from '@replaykit/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoStack, startDemoStack } from '../../scripts/demo-stack.ts';
import { launchChromium } from '../support/browser.ts';
import { driveCheckout } from '../support/checkout-flow.ts';
import { waitForCustomEvent } from '../support/wait-for-event.ts';
import { skewClock } from './support.ts';

/** Where a screenshot of the player goes, if the environment names a folder. */
const SHOTS = process.env.REPLAYKIT_SHOTS_DIR;

describe('the player shows a session recorded by a page whose clock is 1 h fast at its real length', () => {
  let stack: DemoStack;
  let browser: Browser;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'replaykit-skew-player-'));
    stack = await startDemoStack({ dataDir, demoPort: 0, serverPort: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records the checkout and replays it', async () => {
    const shopper = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    await skewClock(shopper, 60 * 60 * 1000);
    const page = await shopper.newPage();
    const realStart = Date.now();
    const sessionId = await driveCheckout(page, stack.demoUrl, {
      email: 'someone@example.org',
      cardDigits: '4242424242424242',
      stepDelayMs: 300,
    });
    await waitForCustomEvent(
      { url: stack.serverUrl, readKey: stack.keys.readKey },
      sessionId,
      'checkout_error',
    );
    const realEnd = Date.now();
    await shopper.close();
    const response = await fetch(`${stack.serverUrl}${API_PATHS.session(sessionId)}`, {
      headers: { authorization: `Bearer ${stack.keys.readKey}` },
    });
    const { session } = (await response.json()) as SessionResponse;
    expect(session.startedAt).toBeGreaterThan(realStart - 2_000);
    expect(session.durationMs).toBeLessThan(realEnd - realStart + 2_000);

    const viewer = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await viewer.goto(`${stack.demoUrl}/replays?session=${encodeURIComponent(sessionId)}`);
    await viewer.waitForTimeout(4_000);
    if (SHOTS) {
      await viewer.screenshot({ path: join(SHOTS, 'skewed-session-player.png') });
    }
    const text = (await viewer.textContent('body')) ?? '';
    console.log(
      JSON.stringify({ durationMs: session.durationMs, real: realEnd - realStart, text: text.slice(0, 600) }),
    );
    // No hour-long timeline: the seek slider spans the seconds the checkout took.
    const seek = await viewer.getByRole('slider', { name: 'Seek' }).getAttribute('aria-valuetext');
    expect(seek).toMatch(/ of 0:0\d$/);
  });
});
