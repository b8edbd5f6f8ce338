import type { RecordedEvent } from '@replaykit/core';
import { Replayer } from '@rrweb/replay';
import type { eventWithTime } from '@rrweb/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
// The recorder's own privacy rules and rrweb copy: what a replaykit page really sends.
import { recordPage } from '../../recorder/src/test/record-page';

/** How long a frame may take to load, in the recorded page or in the replay. */
const FRAME_WAIT = { timeout: 5_000 };

const frameHtml = (word: string) =>
  `<p id="plain">plain-${word}</p><p data-rk-mask>masked-secret-${word}</p><p data-rk-block>blocked-secret-${word}</p>`;

/** Resolves when the iframe's next document has loaded. */
const loaded = (frame: HTMLIFrameElement) =>
  new Promise((resolve) => {
    frame.addEventListener('load', resolve, { once: true });
  });

/**
 * Replays the events to their end, by a seek (rrweb's virtual DOM) or by playing them (each
 * change applied to the replayed DOM as it comes), and returns the replayed frame's text.
 */
async function replayedFrameText(events: RecordedEvent[], how: 'seek' | 'play'): Promise<() => string> {
  const root = document.createElement('div');
  document.body.append(root);
  const replayer = new Replayer(structuredClone(events) as unknown as eventWithTime[], {
    root,
    triggerFocus: false,
    mouseTail: false,
  });
  cleanups.push(() => {
    replayer.destroy();
    root.remove();
  });
  const duration = (events.at(-1)?.timestamp ?? 0) - (events[0]?.timestamp ?? 0);
  if (how === 'seek') {
    replayer.pause(duration + 1);
  } else {
    const finished = new Promise((resolve) => {
      replayer.on('finish', resolve);
    });
    replayer.play();
    await finished;
  }
  return () =>
    replayer.iframe.contentDocument?.querySelector('iframe')?.contentDocument?.body?.textContent ?? '';
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) {
    cleanup();
  }
  document.body.innerHTML = '';
});

describe('a srcdoc iframe recorded by replaykit (srcdoc itself is never sent)', () => {
  it("replays the frame's content, masked and blocked as the rules say", async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = frameHtml('one');
    const ready = loaded(frame);
    document.body.append(frame);
    await ready;
    const events = await recordPage({ preset: 'balanced' }, async () => undefined);
    expect(JSON.stringify(events)).not.toContain('"srcdoc":"<');
    for (const how of ['seek', 'play'] as const) {
      const text = await replayedFrameText(events, how);
      await vi.waitFor(() => expect(text()).toContain('plain-one'), FRAME_WAIT);
      // A frame may load in a later task: what the replay shows must stay.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(text(), how).toContain('plain-one');
      expect(text()).not.toContain('masked-secret');
      expect(text()).not.toContain('blocked-secret');
      for (const cleanup of cleanups.splice(0)) {
        cleanup();
      }
    }
  });

  it('replays the new content when srcdoc changes while recording, to HTML or to nothing', async () => {
    for (const next of ['two', '']) {
      const frame = document.createElement('iframe');
      frame.srcdoc = frameHtml('one');
      const ready = loaded(frame);
      document.body.append(frame);
      await ready;
      const events = await recordPage({ preset: 'balanced' }, async () => {
        const reloaded = loaded(frame);
        frame.srcdoc = next === '' ? '' : frameHtml(next);
        await reloaded;
        if (next === '') {
          // An empty frame the page then fills itself.
          (frame.contentDocument as Document).body.innerHTML = '<p>plain-filled</p>';
        }
      });
      expect(JSON.stringify(events)).not.toContain('masked-secret');
      expect(JSON.stringify(events)).not.toContain('"srcdoc":"<');
      const expected = next === '' ? 'plain-filled' : `plain-${next}`;
      for (const how of ['seek', 'play'] as const) {
        const text = await replayedFrameText(events, how);
        const label = `${how}, srcdoc set to ${JSON.stringify(next)}`;
        await vi.waitFor(() => expect(text(), label).toContain(expected), FRAME_WAIT);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(text(), label).toContain(expected);
        expect(text(), label).not.toContain('plain-one');
        for (const cleanup of cleanups.splice(0)) {
          cleanup();
        }
      }
      document.body.innerHTML = '';
    }
  });
});
