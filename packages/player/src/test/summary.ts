import type { SessionSummary } from '@replaykit/core';

/** A complete session summary for tests; override what the test is about. */
export function sessionSummary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id: '0192e4a0-7b1c-7def-8000-000000000001',
    startedAt: 1_000,
    endedAt: 5_000,
    durationMs: 4_000,
    activeMs: 3_000,
    eventCount: 4,
    byteCount: 900,
    firstUrl: 'https://shop.test/checkout',
    urls: ['https://shop.test/checkout'],
    userId: null,
    userTraits: null,
    clickCount: 0,
    keypressCount: 0,
    errorCount: 0,
    consoleErrorCount: 0,
    consoleWarnCount: 0,
    rageClickCount: 0,
    deadClickCount: 0,
    failedRequestCount: 0,
    customEventNames: ['checkout_error'],
    windowIds: ['window-a'],
    hasFullSnapshot: true,
    ...overrides,
  };
}
