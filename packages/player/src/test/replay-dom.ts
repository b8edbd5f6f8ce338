import type { RecordedEvent, SessionChunk } from '@replaykit/core';
import { screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';

/** How long browser tests wait for the replay to appear or change. */
export const REPLAY_WAIT = { timeout: 5_000 };

/** The replay's iframe, once the player has made it. */
export async function replayIframe(): Promise<HTMLIFrameElement> {
  return waitFor(() => {
    const iframe = document.querySelector<HTMLIFrameElement>('.rk-viewport iframe');
    expect(iframe).not.toBeNull();
    return iframe as HTMLIFrameElement;
  }, REPLAY_WAIT);
}

/**
 * The replayed document. Assertions on its nodes read their text directly: jest-dom's
 * matchers reject nodes that belong to another window (the iframe's).
 */
export function replayedDocument(iframe: HTMLIFrameElement): Document {
  const replayed = iframe.contentDocument;
  if (replayed === null) {
    throw new Error('The replay iframe has no document: it must be same-origin (allow-same-origin).');
  }
  return replayed;
}

/** The timeline's seek slider. */
export function seekSlider(): HTMLElement {
  return screen.getByRole('slider', { name: 'Seek' });
}

/**
 * A loader that yields the events of the recording's first `splitMs`, then the rest once
 * `release()` is called: a session that streams in while it plays.
 */
export function twoChunks(
  events: readonly RecordedEvent[],
  splitMs: number,
): { loader: () => AsyncGenerator<SessionChunk>; release: () => void } {
  const start = events[0]?.timestamp ?? 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* loader(): AsyncGenerator<SessionChunk> {
    yield { windowId: 'w', seq: 0, events: events.filter((event) => event.timestamp - start < splitMs) };
    await released;
    yield { windowId: 'w', seq: 1, events: events.filter((event) => event.timestamp - start >= splitMs) };
  }
  return { loader, release: () => release() };
}
