// Regenerates the recorded sessions that stories and player tests replay: it starts the real
// demo stack, drives the shop in Chromium with replaykit's recorder (real rrweb), and
// writes the events the server stored. Run with `pnpm fixtures`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PATHS, type SessionEventsResponse, type SessionResponse } from '@replaykit/core';
import { launchChromium } from '../tests/support/browser.ts';
import { driveCheckout } from '../tests/support/checkout-flow.ts';
import { startDemoStack } from './demo-stack.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'stories/fixtures/checkout-session.json');
const DELIVERY_TIMEOUT_MS = 20_000;

const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-fixtures-'));
const stack = await startDemoStack({ dataDir, demoPort: 0, serverPort: 0 });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  const sessionId = await driveCheckout(page, stack.demoUrl, {
    email: 'fixture.shopper@example.org',
    cardDigits: '4000056655665556',
  });
  const headers = { authorization: `Bearer ${stack.keys.readKey}` };
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${stack.serverUrl}${API_PATHS.session(sessionId)}`, { headers });
    if (response.ok && ((await response.json()) as SessionResponse).session.customEventNames.includes('checkout_error')) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error('The checkout_error event did not reach the server in time.');
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
  const response = await fetch(`${stack.serverUrl}${API_PATHS.sessionEvents(sessionId)}`, { headers });
  const { events } = (await response.json()) as SessionEventsResponse;
  // Stable origin in the fixture, whatever port the demo ran on this time.
  const text = JSON.stringify(events).replaceAll(stack.demoUrl, 'http://shop.replaykit.test');
  writeFileSync(OUTPUT, `${text}\n`);
  console.log(`Wrote ${events.length} events (${(text.length / 1024).toFixed(0)} KB) to ${OUTPUT}`);
} finally {
  await browser.close();
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
}
