import { emptySessionSummary, type SessionSummary } from '@replaykit/core';

/** A complete session summary for tests; override what the test is about. */
export function sessionSummary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    ...emptySessionSummary('0192e4a0-7b1c-7def-8000-000000000001', 1_000, 5_000),
    durationMs: 4_000,
    activeMs: 3_000,
    eventCount: 4,
    byteCount: 900,
    firstUrl: 'https://shop.test/checkout',
    urls: ['https://shop.test/checkout'],
    customEventNames: ['checkout_error'],
    windowIds: ['window-a'],
    hasFullSnapshot: true,
    ...overrides,
  };
}
