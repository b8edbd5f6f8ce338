'use client';

import { EventType, IncrementalSource, isRecord, type RecordedEvent } from '@replaykit/core';
import type { ReplayerEvents } from '@rrweb/types';

/** rrweb-snapshot's NodeType for elements. */
const ELEMENT_NODE = 2;
/** rrweb's CanvasContext for 2D: image snapshots are replayed as 2D drawing. */
const CANVAS_2D = 0;

// The Replayer's events this module listens to, checked against rrweb's enum.
const EVENT_CAST: `${ReplayerEvents.EventCast}` = 'event-cast';
const FULL_SNAPSHOT_REBUILT: `${ReplayerEvents.FullsnapshotRebuilded}` = 'fullsnapshot-rebuilded';
const FLUSH: `${ReplayerEvents.Flush}` = 'flush';

/**
 * Most drawing commands one recorded image snapshot may hold. The recorder writes two (clear,
 * draw); anything much longer is a command stream, which only rrweb's own canvas replay plays.
 */
export const MAX_SNAPSHOT_COMMANDS = 16;

/** An image as recorded: its MIME type and its bytes, in one or more encoded parts. */
export interface EncodedImage {
  mimeType: string;
  parts: readonly string[];
  /** `base64` for rrweb's serialized ArrayBuffers and base64 data URLs; `percent` for other data URLs. */
  encoding: 'base64' | 'percent';
}

type PaintStep =
  | { kind: 'clear'; rect: readonly [number, number, number, number] }
  | { kind: 'clear-all' }
  | { kind: 'draw'; image: EncodedImage; args: readonly number[] };

/** What one canvas should show: the steps of a recorded snapshot (a data URL from the page's snapshot is one draw step). */
interface CanvasPicture {
  steps: readonly PaintStep[];
}

/** What an incremental event without canvas content gives: shared, never changed. */
const NO_PICTURES: { pictures: ReadonlyMap<number, CanvasPicture>; reshapes: boolean } = {
  pictures: new Map(),
  reshapes: false,
};

/** The part of rrweb's Replayer this module uses. */
export interface CanvasSnapshotReplayer {
  on(event: string, handler: (payload?: unknown) => void): unknown;
  off(event: string, handler: (payload?: unknown) => void): unknown;
  getMirror(): { getNode(id: number): Node | null };
}

/** Options of {@link CanvasSnapshotPainter}. */
export interface CanvasSnapshotPainterOptions {
  /** Turns a recorded image into something a 2D canvas can draw (default: `createImageBitmap`). */
  decode?: (image: EncodedImage) => Promise<CanvasImageSource>;
  /** Told once when the recording holds canvas drawing only rrweb's own (UNSAFE) canvas replay can show. */
  onUnsupported?: (message: string) => void;
}

/** The bytes of a recorded image, as a Blob. */
export function encodedImageToBlob(image: EncodedImage): Blob {
  const parts = image.parts.map((part) => {
    if (image.encoding === 'percent') {
      return decodeURIComponent(part);
    }
    const binary = atob(part);
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index += 1) {
      bytes[index] = binary.charCodeAt(index);
    }
    return bytes;
  });
  return new Blob(parts, { type: image.mimeType });
}

function decodeWithImageBitmap(image: EncodedImage): Promise<CanvasImageSource> {
  return createImageBitmap(encodedImageToBlob(image));
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Parses `data:[<mime>][;base64],<data>`; null for anything else. */
export function parseDataUrl(url: string): EncodedImage | null {
  const match = /^data:([^,]*?)(;base64)?,/i.exec(url);
  if (match === null) {
    return null;
  }
  const mimeType = (match[1] ?? '').split(';')[0] ?? '';
  return {
    mimeType,
    parts: [url.slice(match[0].length)],
    encoding: match[2] ? 'base64' : 'percent',
  };
}

function pictureOfDataUrl(url: string): CanvasPicture | null {
  const image = parseDataUrl(url);
  return image ? { steps: [{ kind: 'clear-all' }, { kind: 'draw', image, args: [0, 0] }] } : null;
}

/** Moves a canvas's `rr_dataURL` attribute, if any, out of `attributes` into `into` as its picture. */
function takeDataUrl(id: number, attributes: unknown, into: Map<number, CanvasPicture>): void {
  if (isRecord(attributes) && typeof attributes.rr_dataURL === 'string') {
    const picture = pictureOfDataUrl(attributes.rr_dataURL);
    delete attributes.rr_dataURL;
    if (picture) {
      into.set(id, picture);
    }
  }
}

/** `{ rr_type: 'ImageBitmap', args: [{ rr_type: 'Blob', type, data: [{ rr_type: 'ArrayBuffer', base64 }] }] }` */
function encodedImageOf(argument: unknown): EncodedImage | null {
  if (!isRecord(argument) || argument.rr_type !== 'ImageBitmap' || !Array.isArray(argument.args)) {
    return null;
  }
  const blob: unknown = argument.args[0];
  if (!isRecord(blob) || blob.rr_type !== 'Blob' || !Array.isArray(blob.data) || blob.data.length === 0) {
    return null;
  }
  const parts: string[] = [];
  for (const part of blob.data) {
    if (!isRecord(part) || part.rr_type !== 'ArrayBuffer' || typeof part.base64 !== 'string') {
      return null;
    }
    parts.push(part.base64);
  }
  return { mimeType: typeof blob.type === 'string' ? blob.type : '', parts, encoding: 'base64' };
}

/**
 * The steps of an image snapshot (clearRect and drawImage of a recorded image, as the
 * recorder writes them); null for any other canvas mutation, e.g. a 2D or WebGL command stream.
 */
export function snapshotPicture(data: unknown): CanvasPicture | null {
  if (!isRecord(data) || data.type !== CANVAS_2D || !Array.isArray(data.commands)) {
    return null;
  }
  const { commands } = data;
  if (commands.length === 0 || commands.length > MAX_SNAPSHOT_COMMANDS) {
    return null;
  }
  const steps: PaintStep[] = [];
  for (const command of commands) {
    if (!isRecord(command) || !Array.isArray(command.args) || command.setter) {
      return null;
    }
    const args: unknown[] = command.args;
    if (command.property === 'clearRect') {
      const [x, y, width, height] = args;
      if (
        args.length !== 4 ||
        !isFiniteNumber(x) ||
        !isFiniteNumber(y) ||
        !isFiniteNumber(width) ||
        !isFiniteNumber(height)
      ) {
        return null;
      }
      steps.push({ kind: 'clear', rect: [x, y, width, height] });
    } else if (command.property === 'drawImage') {
      const image = encodedImageOf(args[0]);
      const numbers = args.slice(1);
      // drawImage takes (x, y), (x, y, w, h) or (sx, sy, sw, sh, dx, dy, dw, dh).
      if (image === null || ![2, 4, 8].includes(numbers.length) || !numbers.every(isFiniteNumber)) {
        return null;
      }
      steps.push({ kind: 'draw', image, args: numbers });
    } else {
      return null;
    }
  }
  return steps.some((step) => step.kind === 'draw') ? { steps } : null;
}

function isCanvasElement(node: Node | null | undefined): node is HTMLCanvasElement {
  // The canvas lives in the replay iframe's window, so `instanceof HTMLCanvasElement` (the
  // host's) would be false.
  return node?.nodeName === 'CANVAS' && 'getContext' in node;
}

function drawStep(
  context: CanvasRenderingContext2D,
  source: CanvasImageSource,
  args: readonly number[],
): void {
  if (args.length === 8) {
    const [sx, sy, sw, sh, dx, dy, dw, dh] = args as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    context.drawImage(source, sx, sy, sw, sh, dx, dy, dw, dh);
  } else if (args.length === 4) {
    const [dx, dy, dw, dh] = args as [number, number, number, number];
    context.drawImage(source, dx, dy, dw, dh);
  } else {
    const [dx, dy] = args as [number, number];
    context.drawImage(source, dx, dy);
  }
}

/** Marks the image the painter puts inside a replayed canvas (see {@link CanvasSnapshotPainter}). */
export const CANVAS_IMAGE_ATTRIBUTE = 'data-rk-canvas-image';

/** The data URL of a recorded image, when it can be shown as it is (one part). */
function dataUrlOf(image: EncodedImage): string | null {
  if (image.parts.length !== 1) {
    return null;
  }
  return `data:${image.mimeType}${image.encoding === 'base64' ? ';base64' : ''},${image.parts[0]}`;
}

/** True when a picture replaces the whole canvas by one image drawn at its origin, unscaled. */
function wholeImage(picture: CanvasPicture, canvas: HTMLCanvasElement): EncodedImage | null {
  const [first, second] = picture.steps;
  const clearsAll =
    first?.kind === 'clear-all' ||
    (first?.kind === 'clear' &&
      first.rect[0] <= 0 &&
      first.rect[1] <= 0 &&
      first.rect[2] >= canvas.width &&
      first.rect[3] >= canvas.height);
  return picture.steps.length === 2 &&
    clearsAll &&
    second?.kind === 'draw' &&
    second.args.length === 2 &&
    second.args[0] === 0 &&
    second.args[1] === 0
    ? second.image
    : null;
}

/** The image the painter put inside a replayed canvas, if any. */
function shownImage(canvas: HTMLCanvasElement): HTMLImageElement | null {
  return canvas.querySelector<HTMLImageElement>(`img[${CANVAS_IMAGE_ATTRIBUTE}]`);
}

/**
 * Shows `url` in the replayed page as the canvas's content. A document without script (the
 * replay frame's sandbox) renders a canvas as its fallback content, its children, never its
 * pixels: the picture is shown by an image inside it. A fallback canvas is an ordinary box,
 * on which `width` and `height` apply only if it is not inline.
 */
function showInPage(canvas: HTMLCanvasElement, url: string): void {
  let image = shownImage(canvas);
  if (image === null) {
    image = canvas.ownerDocument.createElement('img');
    image.setAttribute(CANVAS_IMAGE_ATTRIBUTE, '');
    // The canvas carries the page's own label, if any.
    image.alt = '';
    image.style.cssText = 'display:block;width:100%;height:100%;border-radius:inherit';
    canvas.append(image);
  }
  // The page's own fallback content (for browsers without canvas) is never seen where script
  // runs: only the picture may take the canvas's room. Its elements are hidden, and its text
  // by a zero font size (only then: it would also shrink a canvas sized in em).
  for (const child of canvas.childNodes) {
    if (child === image) {
      continue;
    }
    if (child.nodeType === child.TEXT_NODE && child.textContent?.trim()) {
      canvas.style.fontSize = '0';
    }
    (child as Partial<ElementCSSInlineStyle>).style?.setProperty('display', 'none', 'important');
  }
  const view = canvas.ownerDocument.defaultView;
  if (view?.getComputedStyle(canvas).display === 'inline') {
    canvas.style.display = 'inline-block';
  }
  if (image.getAttribute('src') !== url) {
    image.src = url;
  }
}

/**
 * A transparent image of a canvas's own size: what a canvas with nothing recorded shows, so it
 * keeps the room it took on the recorded page instead of collapsing to its (empty) fallback.
 */
function blankImageUrl(canvas: HTMLCanvasElement): string {
  return `data:image/svg+xml,${encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}"/>`,
  )}`;
}

function release(source: CanvasImageSource | null): void {
  if (source !== null && 'close' in source && typeof source.close === 'function') {
    source.close();
  }
}

/**
 * Shows canvases recorded as image snapshots without script in the replay frame: the images
 * are decoded and painted from the host page onto the replayed canvas elements (the frame is
 * same-origin), which rrweb leaves blank unless `UNSAFE_replayCanvas` is on. A document
 * without script renders a canvas as its fallback content, so what the page shows is an
 * `<img>` put inside the canvas with the painted picture (marked {@link CANVAS_IMAGE_ATTRIBUTE}).
 *
 * Each canvas shows the last picture the Replayer has reached: the latest snapshot cast for
 * it, else the `rr_dataURL` of the full snapshot (or mutation) that built it. The Replayer
 * casts every event it applies, seeks included, so following its casts (rather than a clock)
 * stays right for forward seeks (only the skipped events are cast), backward seeks and
 * checkpoints (both rebuild the page from a full snapshot, announced by
 * `fullsnapshot-rebuilded`). Painting waits for a microtask, so a seek, which casts
 * everything synchronously, paints each canvas once, with its latest picture, after rrweb
 * has moved its virtual DOM into the page. Decoding is async: a paint that finishes after a
 * newer one was asked for the same element is dropped.
 *
 * Canvas `rr_dataURL`s are taken out of the Replayer's copies of the events (see
 * {@link prepare}) and painted here too: rrweb draws them when an image load fires, which
 * could land after, and cover, a newer snapshot painted here.
 */
export class CanvasSnapshotPainter {
  readonly #decode: (image: EncodedImage) => Promise<CanvasImageSource>;
  readonly #onUnsupported: (message: string) => void;
  /** The pictures each prepared event gives, by canvas node id. */
  readonly #picturesByEvent = new WeakMap<object, ReadonlyMap<number, CanvasPicture>>();
  /** Ids of canvas nodes seen so far (to recognise an `rr_dataURL` attribute change, and to size blank ones). */
  readonly #canvasIds = new Set<number>();
  /** Prepared mutations that add or resize a canvas: a blank one needs its image once they are applied. */
  readonly #reshapesCanvas = new WeakSet<object>();
  /** What each canvas should show at the Replayer's current position, by node id. */
  #current = new Map<number, CanvasPicture>();
  /** The last paint asked of each element: a paint whose request was replaced is stale. */
  readonly #requested = new WeakMap<HTMLCanvasElement, { picture: CanvasPicture }>();
  #scheduled = false;
  /** Set after a seek: repaint every canvas, even one already asked to show its picture. */
  #repaintAll = false;
  #detached = false;
  #warnedUnsupported = false;
  #warnedUndecodable = false;

  constructor({ decode = decodeWithImageBitmap, onUnsupported }: CanvasSnapshotPainterOptions = {}) {
    this.#decode = decode;
    this.#onUnsupported =
      onUnsupported ??
      ((message) => {
        console.warn(message);
      });
  }

  /**
   * Indexes the canvas pictures of events about to be given to the Replayer, and removes
   * canvas `rr_dataURL`s from them so rrweb does not draw them itself. The events must be
   * the Replayer's private copies: they are changed in place.
   */
  prepare(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (event.type === EventType.FullSnapshot && isRecord(event.data)) {
        // Always indexed, even without pictures: a rebuild from it leaves every canvas blank.
        this.#picturesByEvent.set(event, this.#takeFromTree(event.data.node));
      } else if (event.type === EventType.IncrementalSnapshot && isRecord(event.data)) {
        const { pictures, reshapes } = this.#takeFromIncremental(event.data);
        if (reshapes) {
          this.#reshapesCanvas.add(event);
        }
        if (pictures.size > 0) {
          this.#picturesByEvent.set(event, pictures);
        }
      }
    }
  }

  /** Starts painting for `replayer` (built from prepared events); returns the teardown. */
  attach(replayer: CanvasSnapshotReplayer): () => void {
    const onRebuilt = (payload?: unknown) => {
      this.#current = new Map(isRecord(payload) ? this.#picturesByEvent.get(payload) : undefined);
      this.#schedule(replayer);
    };
    const onCast = (payload?: unknown) => {
      // Called for every event applied, thousands per seek: a type check and a map lookup.
      if (!isRecord(payload) || payload.type !== EventType.IncrementalSnapshot) {
        return;
      }
      const pictures = this.#picturesByEvent.get(payload);
      if (pictures === undefined) {
        if (this.#reshapesCanvas.has(payload)) {
          this.#schedule(replayer);
        }
        return;
      }
      for (const [id, picture] of pictures) {
        this.#current.set(id, picture);
      }
      this.#schedule(replayer);
    };
    // Emitted at the end of every play (so of every seek), once rrweb has moved its virtual
    // DOM into the page. That move sets every attribute again, and setting a canvas's width
    // or height, even to the same value, clears it: every canvas must be painted again.
    const onFlush = () => {
      this.#repaintAll = true;
      this.#schedule(replayer);
    };
    replayer.on(FULL_SNAPSHOT_REBUILT, onRebuilt);
    replayer.on(EVENT_CAST, onCast);
    replayer.on(FLUSH, onFlush);
    return () => {
      this.#detached = true;
      replayer.off(FULL_SNAPSHOT_REBUILT, onRebuilt);
      replayer.off(EVENT_CAST, onCast);
      replayer.off(FLUSH, onFlush);
    };
  }

  #schedule(replayer: CanvasSnapshotReplayer): void {
    if (this.#scheduled) {
      return;
    }
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (!this.#detached) {
        this.#reconcile(replayer);
      }
    });
  }

  #reconcile(replayer: CanvasSnapshotReplayer): void {
    const mirror = replayer.getMirror();
    const repaintAll = this.#repaintAll;
    this.#repaintAll = false;
    for (const [id, picture] of this.#current) {
      const node = mirror.getNode(id);
      if (isCanvasElement(node) && (repaintAll || this.#requested.get(node)?.picture !== picture)) {
        void this.#paint(node, picture);
      }
    }
    // Blank canvases only when they are new, resized, or the page was moved in again: this
    // runs at every painted snapshot of any canvas, and showInPage reads computed style.
    for (const id of this.#canvasIds) {
      const node = this.#current.has(id) ? null : mirror.getNode(id);
      if (isCanvasElement(node)) {
        const url = blankImageUrl(node);
        if (repaintAll || shownImage(node)?.getAttribute('src') !== url) {
          showInPage(node, url);
        }
      }
    }
  }

  async #paint(canvas: HTMLCanvasElement, picture: CanvasPicture): Promise<void> {
    const request = { picture };
    this.#requested.set(canvas, request);
    const decoded = await Promise.all(
      picture.steps.map((step) =>
        step.kind === 'draw'
          ? this.#decode(step.image).catch((error: unknown) => {
              // Once per replay: a broken image is painted again after every seek.
              if (!this.#warnedUndecodable) {
                this.#warnedUndecodable = true;
                console.warn(
                  'replaykit: a recorded canvas image could not be decoded; it is left out.',
                  error,
                );
              }
              return null;
            })
          : null,
      ),
    );
    const stale = this.#detached || this.#requested.get(canvas) !== request;
    const context = stale ? null : canvas.getContext('2d');
    if (context !== null) {
      picture.steps.forEach((step, index) => {
        const source = decoded[index] ?? null;
        if (step.kind === 'clear') {
          context.clearRect(...step.rect);
        } else if (step.kind === 'clear-all') {
          context.clearRect(0, 0, canvas.width, canvas.height);
        } else if (source !== null) {
          drawStep(context, source, step.args);
        }
      });
      // The canvas's pixels are the picture's composition; what the page shows is an image of
      // them (the recorded image itself when it fills the canvas: nothing to encode).
      const whole = decoded.some((source) => source !== null) ? wholeImage(picture, canvas) : null;
      showInPage(canvas, (whole && dataUrlOf(whole)) ?? canvas.toDataURL());
    }
    for (const source of decoded) {
      release(source);
    }
  }

  /** Collects (and removes) the `rr_dataURL` of every canvas in a serialized node tree. */
  #takeFromTree(root: unknown, into = new Map<number, CanvasPicture>()): Map<number, CanvasPicture> {
    // Iterative: a deep page must not overflow the stack.
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (!isRecord(node)) {
        continue;
      }
      if (node.type === ELEMENT_NODE && node.tagName === 'canvas' && typeof node.id === 'number') {
        this.#canvasIds.add(node.id);
        takeDataUrl(node.id, node.attributes, into);
      }
      if (Array.isArray(node.childNodes)) {
        stack.push(...node.childNodes);
      }
    }
    return into;
  }

  /**
   * The pictures an incremental event gives, by canvas id, and whether it adds a canvas or
   * sets a canvas's width or height.
   */
  #takeFromIncremental(data: Record<string, unknown>): {
    pictures: ReadonlyMap<number, CanvasPicture>;
    reshapes: boolean;
  } {
    // Runs for every incremental event of a recording, mouse moves included: nothing is made
    // for the sources that cannot hold a picture.
    if (data.source !== IncrementalSource.CanvasMutation && data.source !== IncrementalSource.Mutation) {
      return NO_PICTURES;
    }
    const pictures = new Map<number, CanvasPicture>();
    let reshapes = false;
    if (data.source === IncrementalSource.CanvasMutation) {
      const picture = snapshotPicture(data);
      if (picture && typeof data.id === 'number') {
        pictures.set(data.id, picture);
      } else if (!this.#warnedUnsupported) {
        this.#warnedUnsupported = true;
        this.#onUnsupported(
          'replaykit: this recording has canvas drawing that is not an image snapshot (a 2D or WebGL command stream); ' +
            'the player shows it only with UNSAFE_replayCanvas, which lets the replayed page run script. ' +
            'Record canvases as snapshots (the recorder’s `canvas` option) to see them safely.',
        );
      }
      return { pictures, reshapes };
    }
    if (Array.isArray(data.adds)) {
      const known = this.#canvasIds.size;
      for (const add of data.adds) {
        if (isRecord(add)) {
          this.#takeFromTree(add.node, pictures);
        }
      }
      reshapes = this.#canvasIds.size > known;
    }
    if (Array.isArray(data.attributes)) {
      for (const change of data.attributes) {
        if (!isRecord(change) || typeof change.id !== 'number' || !this.#canvasIds.has(change.id)) {
          continue;
        }
        const { attributes } = change;
        reshapes ||= isRecord(attributes) && ('width' in attributes || 'height' in attributes);
        takeDataUrl(change.id, attributes, pictures);
      }
    }
    return { pictures, reshapes };
  }
}
