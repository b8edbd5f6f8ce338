// Records the player's story fixtures with the real demo stack, the real recorder (real
// rrweb) and the real server: a longer session with idle gaps, and a session with two tabs.
// Each is written as the chunks the server streams (one entry per stored batch), so stories
// can feed them to the player's loader as they are. Run with `tsx --conditions=source
// scripts/record-player-fixtures.ts`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_PATHS,
  type SessionChunk,
  type SessionEventsResponse,
  type SessionResponse,
} from '@replaykit/core';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/support/browser.ts';
import { waitForCustomEvent } from '../tests/support/wait-for-event.ts';
import { type DemoStack, startDemoStack } from './demo-stack.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'stories/fixtures');
/** Idle pauses of the long session: each is over the player's 5 s inactivity threshold. */
const IDLE_PAUSES_MS = [9_000, 14_000];
const VIEWPORT = { width: 1024, height: 700 };

async function sessionIdOf(page: Page): Promise<string> {
  await page.waitForFunction(
    () => /^[0-9a-f-]{36}$/.test(document.querySelector('[data-testid="session-id"]')?.textContent ?? ''),
    undefined,
    { timeout: 15_000 },
  );
  return (await page.getByTestId('session-id').textContent()) ?? '';
}

async function shopAndPay(page: Page, idle: (index: number) => Promise<void>): Promise<void> {
  await page.getByRole('button', { name: 'Add Anvil to cart' }).click();
  await idle(0);
  await page.getByRole('button', { name: 'Add Giant magnet to cart' }).click();
  await page.getByRole('button', { name: /View cart/ }).click();
  await page.getByRole('button', { name: 'Checkout' }).click();
  await page.getByLabel('Email').pressSequentially('fixture.shopper@example.org', { delay: 30 });
  await idle(1);
  await page.getByLabel('Card number').pressSequentially('4000056655665556', { delay: 30 });
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.getByRole('alert').waitFor();
  await page.waitForTimeout(500);
}

async function chunksOf(stack: DemoStack, sessionId: string): Promise<SessionChunk[]> {
  const headers = { authorization: `Bearer ${stack.keys.readKey}` };
  const meta = (await (
    await fetch(`${stack.serverUrl}${API_PATHS.session(sessionId)}`, { headers })
  ).json()) as SessionResponse;
  const chunks: SessionChunk[] = [];
  for (const windowId of meta.session.windowIds) {
    const url = `${stack.serverUrl}${API_PATHS.sessionEvents(sessionId)}?windowId=${encodeURIComponent(windowId)}`;
    const { events } = (await (await fetch(url, { headers })).json()) as SessionEventsResponse;
    // One chunk per tab keeps the files small; the loader streams them in order.
    chunks.push({ windowId, seq: 0, events });
  }
  return chunks.sort((a, b) => (a.events[0]?.timestamp ?? 0) - (b.events[0]?.timestamp ?? 0));
}

function write(stack: DemoStack, name: string, chunks: SessionChunk[]): void {
  // Stable origin and ids in the fixture, whatever port the demo ran on this time.
  // The dev server names source files by absolute path (style tags, module requests): strip
  // this checkout's location so that no machine's path lands in the repository.
  let text = JSON.stringify(chunks)
    .replaceAll(stack.demoUrl, 'http://shop.replaykit.test')
    .replaceAll(ROOT, '/replaykit');
  chunks.forEach((chunk, index) => {
    text = text.replaceAll(chunk.windowId, `tab-${index + 1}`);
  });
  const file = join(FIXTURES, name);
  writeFileSync(file, `${text}\n`);
  const events = chunks.reduce((sum, chunk) => sum + chunk.events.length, 0);
  console.log(
    `Wrote ${chunks.length} tab(s), ${events} events (${(text.length / 1024).toFixed(0)} KB) to ${file}`,
  );
}

const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-player-fixtures-'));
const stack = await startDemoStack({ dataDir, demoPort: 0, serverPort: 0 });
const browser = await launchChromium();
try {
  // A session with two long idle pauses.
  {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    await page.goto(`${stack.demoUrl}/`);
    const sessionId = await sessionIdOf(page);
    await shopAndPay(page, (index) => page.waitForTimeout(IDLE_PAUSES_MS[index] ?? 0));
    await page.getByRole('link', { name: 'Replays' }).click();
    await waitForCustomEvent(
      { url: stack.serverUrl, readKey: stack.keys.readKey },
      sessionId,
      'checkout_error',
    );
    write(stack, 'long-idle-session.json', await chunksOf(stack, sessionId));
    await context.close();
  }
  // One session, two tabs: browse in the first, pay in the second.
  {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const first = await context.newPage();
    await first.goto(`${stack.demoUrl}/`);
    const sessionId = await sessionIdOf(first);
    await first.getByRole('button', { name: 'Add Anvil to cart' }).click();
    const second = await context.newPage();
    await second.goto(`${stack.demoUrl}/`);
    const secondId = await sessionIdOf(second);
    if (secondId !== sessionId) {
      throw new Error(
        `The second tab started session ${secondId}, not ${sessionId}: tabs must share a session.`,
      );
    }
    await shopAndPay(second, async () => undefined);
    await first.bringToFront();
    await first.getByRole('button', { name: 'Add Giant magnet to cart' }).click();
    await first.waitForTimeout(500);
    await second.getByRole('link', { name: 'Replays' }).click();
    await first.getByRole('link', { name: 'Replays' }).click();
    await waitForCustomEvent(
      { url: stack.serverUrl, readKey: stack.keys.readKey },
      sessionId,
      'checkout_error',
    );
    // Both tabs' last batches go out when they leave the shop; give the first a moment.
    await first.waitForTimeout(1_000);
    write(stack, 'two-tab-session.json', await chunksOf(stack, sessionId));
    await context.close();
  }
} finally {
  await browser.close();
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
}
