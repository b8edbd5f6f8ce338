// @vitest-environment node
import type { RecordedEvent } from '@replaykit/core';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ReplayPlayer } from './index';
import recording from './test/fixtures/checkout-recording.json';

// Runs without a DOM: importing the package and rendering it on a server must not touch
// `window` or `document` (rrweb-player and Radix included).
describe('server rendering', () => {
  it('has no DOM to lean on here', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('renders a ready player with its controls and markers from events', () => {
    const html = renderToString(<ReplayPlayer events={recording as RecordedEvent[]} />);
    expect(html).toContain('data-state="ready"');
    expect(html).toContain('aria-label="Play"');
    expect(html).toContain('aria-label="checkout_error at 0:01"');
    expect(html).toContain('0:00 / 0:02');
  });

  it('renders the loading state for a session to fetch', () => {
    const html = renderToString(<ReplayPlayer sessionId="session-1" readKey="rk_read" />);
    expect(html).toContain('data-state="loading"');
  });
});
