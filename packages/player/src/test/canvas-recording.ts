import type { RecordedEvent } from '@replaykit/core';
import { CANVAS_IMAGE_ATTRIBUTE } from '../canvas-snapshots';

/** An RGB colour, 0–255 per channel. */
export type Rgb = readonly [number, number, number];

export const GREEN: Rgb = [0, 160, 0];
export const RED: Rgb = [220, 0, 0];
export const BLUE: Rgb = [0, 0, 220];
export const YELLOW: Rgb = [230, 200, 0];
export const MAGENTA: Rgb = [200, 0, 200];

export const CANVAS_ID = 6;
const CANVAS_WIDTH = 120;
const CANVAS_HEIGHT = 60;

/** Offsets (ms from the first event) of what the canvas recording holds. */
export const AT = {
  /** First snapshot: the canvas carries a green `rr_dataURL`. */
  fullSnapshot: 20,
  red: 1_000,
  /** A DOM change (no canvas change): a forward seek over it goes through rrweb's virtual DOM. */
  textChange: 1_500,
  blue: 2_000,
  /** Checkpoint (Meta + FullSnapshot): the page is rebuilt with a yellow `rr_dataURL`. */
  checkpointMeta: 3_000,
  checkpoint: 3_020,
  magenta: 4_000,
  end: 4_500,
} as const;

async function imageBlob(colour: Rgb, type: string): Promise<Blob> {
  const canvas = new OffscreenCanvas(CANVAS_WIDTH, CANVAS_HEIGHT);
  const context = canvas.getContext('2d');
  if (context === null) {
    throw new Error('OffscreenCanvas has no 2d context in this browser.');
  }
  context.fillStyle = `rgb(${colour.join(' ')})`;
  context.fillRect(0, 0, CANVAS_WIDTH, CANVAS_HEIGHT);
  return canvas.convertToBlob({ type, quality: 1 });
}

async function base64Of(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

/** A canvas image snapshot event as `@replaykit/recorder` writes it (WebP, clear then draw). */
async function snapshotEvent(colour: Rgb, timestamp: number): Promise<RecordedEvent> {
  const base64 = await base64Of(await imageBlob(colour, 'image/webp'));
  return {
    type: 3,
    timestamp,
    data: {
      source: 9,
      id: CANVAS_ID,
      type: 0,
      commands: [
        { property: 'clearRect', args: [0, 0, CANVAS_WIDTH, CANVAS_HEIGHT] },
        {
          property: 'drawImage',
          args: [
            {
              rr_type: 'ImageBitmap',
              args: [{ rr_type: 'Blob', type: 'image/webp', data: [{ rr_type: 'ArrayBuffer', base64 }] }],
            },
            0,
            0,
          ],
        },
      ],
    },
  };
}

function page(dataUrl: string | null, note: string): unknown {
  const canvasAttributes: Record<string, string> = {
    width: String(CANVAS_WIDTH),
    height: String(CANVAS_HEIGHT),
  };
  if (dataUrl !== null) {
    canvasAttributes.rr_dataURL = dataUrl;
  }
  return {
    type: 0,
    id: 1,
    childNodes: [
      { type: 1, id: 2, name: 'html', publicId: '', systemId: '' },
      {
        type: 2,
        id: 3,
        tagName: 'html',
        attributes: {},
        childNodes: [
          { type: 2, id: 4, tagName: 'head', attributes: {}, childNodes: [] },
          {
            type: 2,
            id: 5,
            tagName: 'body',
            attributes: {},
            childNodes: [
              { type: 2, id: CANVAS_ID, tagName: 'canvas', attributes: canvasAttributes, childNodes: [] },
              {
                type: 2,
                id: 7,
                tagName: 'p',
                attributes: { id: 'note' },
                childNodes: [{ type: 3, id: 8, textContent: note }],
              },
            ],
          },
        ],
      },
    ],
  };
}

function mouseMove(timestamp: number): RecordedEvent {
  return { type: 3, timestamp, data: { source: 1, positions: [{ x: 10, y: 10, id: 5, timeOffset: 0 }] } };
}

/**
 * A recording of a page with one canvas: green in the first full snapshot (`rr_dataURL`),
 * then red and blue image snapshots, a checkpoint that rebuilds the page with a yellow
 * canvas, then a magenta snapshot. Images are real PNG (data URLs) and WebP (snapshots)
 * bytes made by this browser.
 */
export async function canvasRecording(start = 1_700_000_000_000): Promise<RecordedEvent[]> {
  const [greenUrl, yellowUrl] = await Promise.all(
    [GREEN, YELLOW].map(
      async (colour) => `data:image/png;base64,${await base64Of(await imageBlob(colour, 'image/png'))}`,
    ),
  );
  const meta = (at: number): RecordedEvent => ({
    type: 4,
    timestamp: start + at,
    data: { href: 'https://shop.example/draw', width: 800, height: 600 },
  });
  return [
    meta(0),
    {
      type: 2,
      timestamp: start + AT.fullSnapshot,
      data: { node: page(greenUrl ?? null, 'first'), initialOffset: { top: 0, left: 0 } },
    },
    await snapshotEvent(RED, start + AT.red),
    {
      type: 3,
      timestamp: start + AT.textChange,
      data: { source: 0, texts: [{ id: 8, value: 'changed' }], attributes: [], removes: [], adds: [] },
    },
    await snapshotEvent(BLUE, start + AT.blue),
    mouseMove(start + 2_500),
    meta(AT.checkpointMeta),
    {
      type: 2,
      timestamp: start + AT.checkpoint,
      data: { node: page(yellowUrl ?? null, 'checkpoint'), initialOffset: { top: 0, left: 0 } },
    },
    await snapshotEvent(MAGENTA, start + AT.magenta),
    mouseMove(start + AT.end),
  ];
}

/** The colour at the middle of a replayed canvas, or null while it is blank (transparent). */
export function centreColour(canvas: HTMLCanvasElement): Rgb | null {
  const context = canvas.getContext('2d');
  if (context === null) {
    throw new Error('The replayed canvas has no 2d context.');
  }
  return centreOf(context, canvas.width, canvas.height);
}

/** The colour at the middle of a 2d context's pixels, or null where they are transparent. */
function centreOf(
  context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  width: number,
  height: number,
): Rgb | null {
  const [r = 0, g = 0, b = 0, alpha = 0] = context.getImageData(
    Math.floor(width / 2),
    Math.floor(height / 2),
    1,
    1,
  ).data;
  return alpha === 0 ? null : [r, g, b];
}

/**
 * The colour at the middle of what the replayed page shows for a canvas: the image the player
 * puts inside it (a page without script renders a canvas as its fallback content, never its
 * pixels), or null when there is none or it is blank. Fails if that image does not cover the
 * canvas's box.
 */
export async function shownCentreColour(canvas: HTMLCanvasElement): Promise<Rgb | null> {
  const image = canvas.querySelector<HTMLImageElement>(`img[${CANVAS_IMAGE_ATTRIBUTE}]`);
  if (image === null) {
    return null;
  }
  await image.decode();
  const imageBox = image.getBoundingClientRect();
  const canvasBox = canvas.getBoundingClientRect();
  if (imageBox.width === 0 || imageBox.width !== canvasBox.width || imageBox.height !== canvasBox.height) {
    throw new Error(
      `The canvas's image is ${imageBox.width}×${imageBox.height}, its box ${canvasBox.width}×${canvasBox.height}.`,
    );
  }
  const context = new OffscreenCanvas(image.naturalWidth, image.naturalHeight).getContext('2d');
  if (context === null) {
    throw new Error('OffscreenCanvas has no 2d context in this browser.');
  }
  context.drawImage(image, 0, 0);
  return centreOf(context, image.naturalWidth, image.naturalHeight);
}

/** Whether two colours match within lossy-encoding error. */
function sameColour(actual: Rgb | null, expected: Rgb | null): boolean {
  if (actual === null || expected === null) {
    return actual === expected;
  }
  return actual.every((channel, index) => Math.abs(channel - (expected[index] ?? 0)) <= 12);
}

/** Names a colour for failure messages. */
export function colourName(colour: Rgb | null): string {
  const named: Array<[string, Rgb]> = [
    ['green', GREEN],
    ['red', RED],
    ['blue', BLUE],
    ['yellow', YELLOW],
    ['magenta', MAGENTA],
  ];
  if (colour === null) {
    return 'blank';
  }
  return named.find(([, value]) => sameColour(colour, value))?.[0] ?? `rgb(${colour.join(', ')})`;
}
