import type { RecordedEvent } from '@replaykit/core';
import { createPrivacy, type PrivacyConfig } from '../privacy';
import { record } from '../vendor/rrweb-record.js';

/**
 * Records the page while `act` runs as the recorder does: replaykit's copy of rrweb with the
 * privacy options, and each event through the event processor of the same compiled
 * configuration (they share its per-snapshot marker cache). The events come back as JSON
 * copies, as they would travel.
 */
export async function recordPage(
  config: PrivacyConfig,
  act?: () => void | Promise<void>,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  const { options, processEvent } = createPrivacy(config);
  const stop = record({
    emit: (event) => {
      events.push(JSON.parse(JSON.stringify(processEvent(event as RecordedEvent))) as RecordedEvent);
    },
    ...options,
  });
  try {
    await act?.();
    // rrweb flushes mutations on a microtask, and serializes a loaded frame a task later.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    stop?.();
  }
  return events;
}
