import './player.css';
import { EventType, IncrementalSource, isIncremental, type RecordedEvent } from '@replaykit/core';
import { Replayer } from '@rrweb/replay';
import type { eventWithTime } from '@rrweb/types';
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { createRef } from 'react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CANVAS_IMAGE_ATTRIBUTE,
  CanvasSnapshotPainter,
  type EncodedImage,
  encodedImageToBlob,
} from './canvas-snapshots';
import { ReplayPlayer, type ReplayPlayerHandle, type ReplayPlayerProps } from './index';
import {
  AT,
  BLUE,
  CANVAS_ID,
  canvasRecording,
  centreColour,
  colourName,
  GREEN,
  MAGENTA,
  RED,
  type Rgb,
  shownCentreColour,
  YELLOW,
} from './test/canvas-recording';
import { REPLAY_WAIT, replayedDocument, replayIframe, seekSlider, twoChunks } from './test/replay-dom';

let events: RecordedEvent[] = [];

beforeAll(async () => {
  events = await canvasRecording();
});

afterEach(() => {
  cleanup();
});

function renderPlayer(props: Partial<ReplayPlayerProps> = {}) {
  const ref = createRef<ReplayPlayerHandle>();
  render(
    <div style={{ width: '800px', height: '700px' }}>
      <ReplayPlayer ref={ref} events={props.loader ? undefined : events} inspector={false} {...props} />
    </div>,
  );
  const handle = () => {
    if (ref.current === null) {
      throw new Error('The player has not mounted its handle yet.');
    }
    return ref.current;
  };
  return {
    seek: (offsetMs: number) => act(() => handle().seek(offsetMs)),
    play: () => act(() => handle().play()),
    pause: () => act(() => handle().pause()),
  };
}

/**
 * Waits until the replayed canvas (whichever element it is now) holds `colour` at its centre
 * and shows it: the frame has no script, so the page shows the image put inside the canvas.
 */
async function expectCanvas(
  iframe: HTMLIFrameElement,
  colour: Rgb | null,
  // With allow-scripts (UNSAFE_replayCanvas) the canvas shows its own pixels.
  { withScripts = false } = {},
): Promise<void> {
  await waitFor(async () => {
    const canvas = replayedDocument(iframe).querySelector('canvas');
    expect(canvas, 'the replayed page has a canvas').not.toBeNull();
    expect(colourName(centreColour(canvas as HTMLCanvasElement))).toBe(colourName(colour));
    if (!withScripts) {
      expect(colourName(await shownCentreColour(canvas as HTMLCanvasElement))).toBe(colourName(colour));
    }
  }, REPLAY_WAIT);
}

async function expectNote(iframe: HTMLIFrameElement, text: string): Promise<void> {
  await waitFor(
    () => expect(replayedDocument(iframe).querySelector('#note')?.textContent).toBe(text),
    REPLAY_WAIT,
  );
}

/** The same recording without any canvas content: no rr_dataURL, no snapshots. */
function bareRecording(): RecordedEvent[] {
  const bare = structuredClone(events).filter(
    (event) => !isIncremental(event, IncrementalSource.CanvasMutation),
  );
  for (const event of bare) {
    if (event.type === EventType.FullSnapshot) {
      event.data = JSON.parse(JSON.stringify(event.data).replace(/,"rr_dataURL":"[^"]*"/g, ''));
    }
  }
  return bare;
}

/**
 * Seeks, then waits for the replayed page's note (when given: it proves the seek landed where
 * the canvas alone could not) and for the canvas's colour.
 */
async function seekAndExpect(
  player: ReturnType<typeof renderPlayer>,
  iframe: HTMLIFrameElement,
  offsetMs: number,
  colour: Rgb | null,
  note?: string,
): Promise<void> {
  player.seek(offsetMs);
  if (note !== undefined) {
    await expectNote(iframe, note);
  }
  await expectCanvas(iframe, colour);
}

describe('canvas image snapshots in Chromium, without allow-scripts', () => {
  it('paints each snapshot while playing, in an iframe sandboxed without allow-scripts', async () => {
    const player = renderPlayer();
    const iframe = await replayIframe();
    expect(iframe.getAttribute('sandbox')).not.toBeNull();
    expect(iframe.getAttribute('sandbox')).not.toContain('allow-scripts');

    // The first frame: the full snapshot's rr_dataURL.
    await expectCanvas(iframe, GREEN);
    player.play();
    await expectCanvas(iframe, RED);
    await expectCanvas(iframe, BLUE);
    player.pause();
  });

  it('shows the latest snapshot at or before the target after seeking forward, backward and before the first', async () => {
    const player = renderPlayer();
    const iframe = await replayIframe();
    await expectCanvas(iframe, GREEN);

    await seekAndExpect(player, iframe, AT.red + 200, RED);
    // Forward over a DOM change and no canvas change: rrweb moves its virtual DOM into the
    // page, which sets the canvas's width again and so clears it; red must come back.
    await seekAndExpect(player, iframe, AT.textChange + 200, RED, 'changed');
    await seekAndExpect(player, iframe, AT.blue + 200, BLUE);
    // Backward: the page is rebuilt from the full snapshot, and red is the latest then.
    await seekAndExpect(player, iframe, AT.red + 200, RED, 'first');
    // Before the first snapshot: the full snapshot's own content.
    await seekAndExpect(player, iframe, AT.red - 200, GREEN);
    // Straight from there past both snapshots.
    await seekAndExpect(player, iframe, AT.blue + 200, BLUE);
  });

  it('follows a checkpoint that rebuilds the page, seeking and playing across it both ways', async () => {
    const player = renderPlayer();
    const iframe = await replayIframe();
    await expectCanvas(iframe, GREEN);

    // Forward across the checkpoint: a new canvas element, with the checkpoint's content.
    await seekAndExpect(player, iframe, AT.checkpoint + 200, YELLOW, 'checkpoint');
    await seekAndExpect(player, iframe, AT.magenta + 200, MAGENTA);
    // Backward across it: the first page again, with the latest snapshot before the target.
    await seekAndExpect(player, iframe, AT.blue + 200, BLUE, 'changed');
    await seekAndExpect(player, iframe, AT.red - 200, GREEN);
    await seekAndExpect(player, iframe, AT.magenta + 200, MAGENTA);

    // Playing across it: the checkpoint is applied live, then the next snapshot.
    await seekAndExpect(player, iframe, AT.checkpointMeta - 300, BLUE);
    player.play();
    await expectCanvas(iframe, YELLOW);
    await expectCanvas(iframe, MAGENTA);
  });

  it('paints snapshots and checkpoints that stream in after the first frame', async () => {
    // Everything up to the red snapshot first, the rest once released.
    const { loader, release } = twoChunks(events, AT.red + 1);
    const player = renderPlayer({ loader });
    const iframe = await replayIframe();
    await expectCanvas(iframe, GREEN);
    act(() => release());
    // The timeline takes the second chunk in (it is rebuilt at most every 250 ms).
    await waitFor(() => expect(Number(seekSlider().getAttribute('aria-valuemax'))).toBe(AT.end), REPLAY_WAIT);
    await seekAndExpect(player, iframe, AT.blue + 200, BLUE);
    await seekAndExpect(player, iframe, AT.checkpoint + 200, YELLOW);
    await seekAndExpect(player, iframe, AT.magenta + 200, MAGENTA);
  });

  it('keeps the size of a canvas with nothing recorded, which a frame without script would collapse', async () => {
    const bare = bareRecording();
    render(
      <div style={{ width: '800px', height: '700px' }}>
        <ReplayPlayer events={bare} inspector={false} />
      </div>,
    );
    const iframe = await replayIframe();
    await waitFor(() => {
      const canvas = replayedDocument(iframe).querySelector('canvas');
      const box = canvas?.getBoundingClientRect();
      expect([box?.width, box?.height]).toEqual([canvas?.width, canvas?.height]);
      expect(canvas?.width).toBeGreaterThan(0);
    }, REPLAY_WAIT);
  });

  it('resizes a canvas with nothing recorded when a mutation changes its width and height, while playing', async () => {
    const bare = bareRecording();
    const start = bare[0]!.timestamp;
    // The page script resized the canvas: an attribute-only mutation, applied live (no seek).
    bare.splice(2, 0, {
      type: 3,
      timestamp: start + AT.red,
      data: {
        source: 0,
        texts: [],
        attributes: [{ id: CANVAS_ID, attributes: { width: '240', height: '30' } }],
        removes: [],
        adds: [],
      },
    });
    const ref = createRef<ReplayPlayerHandle>();
    render(
      <div style={{ width: '800px', height: '700px' }}>
        <ReplayPlayer ref={ref} events={bare} inspector={false} />
      </div>,
    );
    const iframe = await replayIframe();
    const size = () => {
      const canvas = replayedDocument(iframe).querySelector('canvas');
      const box = canvas?.getBoundingClientRect();
      return { attributes: [canvas?.width, canvas?.height], box: [box?.width, box?.height] };
    };
    await waitFor(() => expect(size().box).toEqual([120, 60]), REPLAY_WAIT);
    act(() => ref.current?.play());
    await waitFor(() => expect(size().attributes).toEqual([240, 30]), REPLAY_WAIT);
    await waitFor(() => expect(size().box).toEqual([240, 30]), REPLAY_WAIT);
    act(() => ref.current?.pause());
  });

  it('shows only the picture of a canvas that has fallback content, which a frame without script would render', async () => {
    const withFallback = structuredClone(events);
    for (const event of withFallback) {
      if (event.type === 2) {
        // The page's own fallback for browsers without canvas: never shown where script runs.
        event.data = JSON.parse(
          JSON.stringify(event.data).replace(
            /("tagName":"canvas","attributes":\{[^}]*\},"childNodes":)\[\]/,
            '$1[{"type":2,"id":90,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":91,"textContent":"Sales by month"}]},{"type":3,"id":92,"textContent":"No canvas support"}]',
          ),
        );
      }
    }
    expect(JSON.stringify(withFallback)).toContain('No canvas support');
    render(
      <div style={{ width: '800px', height: '700px' }}>
        <ReplayPlayer events={withFallback} inspector={false} />
      </div>,
    );
    const iframe = await replayIframe();
    // The canvas's box is the image's (shownCentreColour checks), of the canvas's own size.
    await expectCanvas(iframe, GREEN);
    const canvas = replayedDocument(iframe).querySelector('canvas') as HTMLCanvasElement;
    const box = canvas.getBoundingClientRect();
    expect([box.width, box.height]).toEqual([canvas.width, canvas.height]);
    // No fallback text is laid out.
    const range = replayedDocument(iframe).createRange();
    range.selectNodeContents(canvas);
    const text = [...range.getClientRects()].filter((rect) => rect.width > 0 && rect.height > 0);
    expect(text.every((rect) => rect.height === canvas.height && rect.width === canvas.width)).toBe(true);
  });

  it('leaves canvases to rrweb with UNSAFE_replayCanvas, which then needs allow-scripts', async () => {
    const player = renderPlayer({ UNSAFE_replayCanvas: true });
    const iframe = await replayIframe();
    expect(iframe.sandbox.contains('allow-scripts')).toBe(true);
    await expectCanvas(iframe, GREEN, { withScripts: true });
    // Not across the DOM change before blue: rrweb's own canvas replay decodes asynchronously
    // and, across a DOM change, may end a seek on an older image (its race, not the player's).
    player.seek(AT.red + 200);
    await expectCanvas(iframe, RED, { withScripts: true });
    expect(replayedDocument(iframe).querySelector(`img[${CANVAS_IMAGE_ATTRIBUTE}]`)).toBeNull();
  });
});

describe('CanvasSnapshotPainter on a real Replayer, with decodes finishing out of order', () => {
  it('never lets a slow decode paint over a newer snapshot', async () => {
    const pending: Array<{ image: EncodedImage; finish: () => Promise<ImageBitmap> }> = [];
    const painter = new CanvasSnapshotPainter({
      // Each decode waits until the test finishes it, so the order is the test's choice.
      decode: (image) =>
        new Promise<CanvasImageSource>((resolve) => {
          pending.push({
            image,
            finish: async () => {
              const bitmap = await createImageBitmap(encodedImageToBlob(image));
              resolve(bitmap);
              return bitmap;
            },
          });
        }),
    });
    const copies = structuredClone(events);
    painter.prepare(copies);
    const root = document.createElement('div');
    document.body.append(root);
    const replayer = new Replayer(copies as unknown as eventWithTime[], {
      root,
      triggerFocus: false,
      mouseTail: false,
    });
    const detach = painter.attach(replayer);
    const canvas = () => {
      const element = replayer.iframe.contentDocument?.querySelector('canvas');
      if (!element) {
        throw new Error('The replayed page has no canvas.');
      }
      return element;
    };
    /** Finishes a decode and lets everything waiting on it run. */
    const finish = async (index: number) => {
      await pending[index]?.finish();
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    try {
      // A seek casts the full snapshot and the red snapshot: only the latest, red, is decoded.
      replayer.pause(AT.red + 200);
      await waitFor(() => expect(pending).toHaveLength(1));
      replayer.pause(AT.blue + 200);
      await waitFor(() => expect(pending).toHaveLength(2));

      await finish(1);
      expect(colourName(centreColour(canvas()))).toBe('blue');
      // Red's decode finishes last: it was asked for first, so it must not be painted.
      await finish(0);
      expect(colourName(centreColour(canvas()))).toBe('blue');
    } finally {
      detach();
      replayer.destroy();
      root.remove();
    }
  });
});

describe('CanvasSnapshotPainter with a broken image', () => {
  it('applies the snapshot’s clear, leaves the undecodable image out, and warns once', async () => {
    const copies = structuredClone(events);
    const blue = copies.find((event) => event.timestamp - copies[0]!.timestamp === AT.blue);
    // Bytes that are no image at all: recorded data is untrusted.
    const brokenBlue = JSON.parse(JSON.stringify(blue).replace(/"base64":"[^"]*"/, '"base64":"AAAAAAAA"'));
    Object.assign(blue!, brokenBlue);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const painter = new CanvasSnapshotPainter();
    painter.prepare(copies);
    const root = document.createElement('div');
    document.body.append(root);
    const replayer = new Replayer(copies as unknown as eventWithTime[], {
      root,
      triggerFocus: false,
      mouseTail: false,
      showWarning: false,
    });
    const detach = painter.attach(replayer);
    const colour = () => {
      const canvas = replayer.iframe.contentDocument?.querySelector('canvas');
      return canvas ? colourName(centreColour(canvas)) : 'no canvas';
    };
    try {
      replayer.pause(AT.red + 200);
      await waitFor(() => expect(colour()).toBe('red'));
      replayer.pause(AT.blue + 200);
      await waitFor(() => expect(colour()).toBe('blank'));
      // Painted again after another seek: still no second warning.
      replayer.pause(AT.blue + 300);
      await waitFor(() =>
        expect(
          warn.mock.calls.filter(([message]) => String(message).includes('could not be decoded')),
        ).toHaveLength(1),
      );
      replayer.pause(AT.magenta + 200);
      await waitFor(() => expect(colour()).toBe('magenta'));
      expect(
        warn.mock.calls.filter(([message]) => String(message).includes('could not be decoded')),
      ).toHaveLength(1);
    } finally {
      warn.mockRestore();
      detach();
      replayer.destroy();
      root.remove();
    }
  });
});
