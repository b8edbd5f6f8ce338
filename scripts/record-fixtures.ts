// Regenerates the recorded session that stories replay: it starts the real demo stack,
// drives the shop in Chromium with replaykit's recorder (real rrweb), and writes the events
// the server stored. Run with `pnpm fixtures`.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PATHS, type SessionEventsResponse } from '@replaykit/core';
import { withRecordedCheckout } from './recorded-checkout.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'stories/fixtures/checkout-session.json');

await withRecordedCheckout({ width: 1024, height: 700 }, async ({ stack, sessionId }) => {
  const response = await fetch(`${stack.serverUrl}${API_PATHS.sessionEvents(sessionId)}`, {
    headers: { authorization: `Bearer ${stack.keys.readKey}` },
  });
  const { events } = (await response.json()) as SessionEventsResponse;
  // Stable origin in the fixture, whatever port the demo ran on this time.
  // …and no machine's path (the dev server names source files by absolute path).
  const text = JSON.stringify(events)
    .replaceAll(stack.demoUrl, 'http://shop.replaykit.test')
    .replaceAll(stack.serverUrl, 'http://replays.replaykit.test')
    .replaceAll(ROOT, '/replaykit');
  writeFileSync(OUTPUT, `${text}\n`);
  console.log(`Wrote ${events.length} events (${(text.length / 1024).toFixed(0)} KB) to ${OUTPUT}`);
});
