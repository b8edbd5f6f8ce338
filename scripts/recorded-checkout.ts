import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/support/browser.ts';
import { driveCheckout } from '../tests/support/checkout-flow.ts';
import { waitForCustomEvent } from '../tests/support/wait-for-event.ts';
import { type DemoStack, startDemoStack } from './demo-stack.ts';

/** What a script gets once a checkout has been recorded and stored by the real demo stack. */
export interface RecordedCheckout {
  stack: DemoStack;
  page: Page;
  sessionId: string;
}

/**
 * Starts a throwaway demo stack, records one paced checkout in Chromium (real recorder,
 * real server), waits until it is stored, hands it to `use`, and cleans everything up.
 */
export async function withRecordedCheckout<T>(
  viewport: { width: number; height: number },
  use: (recorded: RecordedCheckout) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-script-'));
  const stack = await startDemoStack({ dataDir, demoPort: 0, serverPort: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport });
    const sessionId = await driveCheckout(page, stack.demoUrl, {
      email: 'fixture.shopper@example.org',
      cardDigits: '4000056655665556',
      stepDelayMs: 600,
    });
    await waitForCustomEvent(
      { url: stack.serverUrl, readKey: stack.keys.readKey },
      sessionId,
      'checkout_error',
    );
    return await use({ stack, page, sessionId });
  } finally {
    await browser.close();
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
