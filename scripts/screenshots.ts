// Takes a screenshot of the real demo for the README: the replays page playing a checkout
// that was just recorded. Run with `pnpm screenshots`; writes docs/screenshots/replays.png.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withRecordedCheckout } from './recorded-checkout.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT_DIR = join(ROOT, 'docs/screenshots');
/** Time for the replay to paint after the seek, before the picture is taken. */
const SETTLE_MS = 500;

mkdirSync(OUTPUT_DIR, { recursive: true });
await withRecordedCheckout({ width: 1200, height: 900 }, async ({ stack, page, sessionId }) => {
  await page.goto(`${stack.demoUrl}/replays?session=${sessionId}`);
  const marker = page.getByRole('button', { name: /^checkout_error at / });
  await marker.waitFor();
  await marker.click();
  await page.waitForTimeout(SETTLE_MS);
  const file = join(OUTPUT_DIR, 'replays.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`Wrote ${file}`);
});
