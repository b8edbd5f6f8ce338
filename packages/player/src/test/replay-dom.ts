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
