import { createUuidV7, EventType, type RecordedEvent } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecorder as createFacade } from './lazy';
import { BATCH_SEQ_STRIDE } from './limits';
import { createBatchStore } from './persist';
import { createRecorder, type RecorderEngine, sampleValue } from './recorder';
import { SESSION_KEY, writeStored } from './session';
import { type FakeIngest, installFakeIngest } from './test/fake-ingest';
import { readStoredQueue } from './test/stored-queue';
import { ingestUrl } from './transport';

const ENDPOINT = 'https://replays.test';
const WRITE_KEY = 'rk_write_test';

let ingest: FakeIngest;
let recorder: RecorderEngine | undefined;

function allEvents(): RecordedEvent[] {
  return ingest.batches.flatMap((batch) => batch.events);
}

function customEvents(tag: string) {
  return allEvents().filter(
    (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === tag,
  );
}

type CanvasData = {
  source: number;
  id: number;
  type: number;
  commands: Array<{ property: string; args: unknown[] }>;
};

/** The canvas image snapshots sent so far (CanvasMutation data). */
function canvasSnapshots(): CanvasData[] {
  return allEvents()
    .filter(
      (event) =>
        event.type === EventType.IncrementalSnapshot && (event.data as { source?: number }).source === 9,
    )
    .map((event) => event.data as CanvasData);
}

/** The colour of the image a canvas snapshot draws, at (5, 5), as [r, g, b, a]. */
async function snapshotColour(data: CanvasData): Promise<number[]> {
  const image = (data.commands[1]!.args[0] as { args: Array<{ type: string; data: [{ base64: string }] }> })
    .args[0];
  const bytes = Uint8Array.from(atob(image?.data[0].base64 ?? ''), (character) => character.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: image?.type }));
  const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
  context?.drawImage(bitmap, 0, 0);
  return [...(context?.getImageData(5, 5, 1, 1).data ?? [])];
}

async function typeInto(input: HTMLInputElement | HTMLTextAreaElement, text: string) {
  input.focus();
  for (const character of text) {
    input.value += character;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  document.body.innerHTML = '';
  ingest = installFakeIngest();
});

afterEach(async () => {
  recorder?.stop();
  // Let the final batch land in this test's stub, not the next one's.
  await recorder?.flush();
  recorder = undefined;
  ingest.restore();
});

describe('recorder', () => {
  it('sends a gzip batch in wire format 2 with session, window and seq, starting with Meta and FullSnapshot', async () => {
    document.body.innerHTML = '<h1>Shop</h1>';
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    expect(recorder.getStatus()).toBe('recording');
    await recorder.flush();

    expect(ingest.urls[0]).toBe(`${ENDPOINT}/v1/ingest?key=${WRITE_KEY}`);
    // Wire format 2 on the wire (numbers delta-encoded), read as format 1 by the server.
    expect(ingest.bodies[0]).toMatch(/^\{"v":2,"sessionId":/);
    const [first] = ingest.batches;
    expect(first).toMatchObject({
      v: 1,
      sessionId: recorder.getSessionId(),
      windowId: recorder.getWindowId(),
      seq: BATCH_SEQ_STRIDE,
    });
    expect(first?.events.slice(0, 2).map((event) => event.type)).toEqual([
      EventType.Meta,
      EventType.FullSnapshot,
    ]);

    document.body.append(Object.assign(document.createElement('p'), { textContent: 'later' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await recorder.flush();
    expect(ingest.batches.map((batch) => batch.seq)).toEqual([BATCH_SEQ_STRIDE, 2 * BATCH_SEQ_STRIDE]);
  });

  it('masks every input by default and keeps ordinary text readable', async () => {
    document.body.innerHTML = `
      <p>Welcome back</p>
      <input id="email" type="email">
      <textarea id="notes"></textarea>`;
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await typeInto(document.querySelector<HTMLInputElement>('#email')!, 'pat@example.com');
    await typeInto(document.querySelector<HTMLTextAreaElement>('#notes')!, 'call me maybe');
    await recorder.flush();
    const sent = ingest.bodies.join('');
    expect(sent).toContain('Welcome back');
    expect(sent).not.toContain('pat@example');
    expect(sent).not.toContain('call me');
    expect(sent).toContain('*************');
  });

  it('applies data-rk-mask, data-rk-unmask (nearest wins) and data-rk-block', async () => {
    document.body.innerHTML = `
      <div data-rk-mask><p>Card ending 4242</p></div>
      <div data-rk-unmask>
        <input id="coupon">
        <input id="password" type="password">
        <input id="card" autocomplete="cc-number">
        <div data-rk-mask><p>nested secret</p></div>
      </div>
      <div data-rk-block id="blocked"><p>blocked words</p></div>`;
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await typeInto(document.querySelector<HTMLInputElement>('#coupon')!, 'SPRING24');
    await typeInto(document.querySelector<HTMLInputElement>('#password')!, 'hunter22');
    await typeInto(document.querySelector<HTMLInputElement>('#card')!, '5555444433332222');
    await recorder.flush();
    const sent = ingest.bodies.join('');
    expect(sent).not.toContain('Card ending');
    expect(sent).toContain('SPRING24');
    expect(sent).not.toContain('hunter22');
    expect(sent).not.toContain('5555444433332222');
    expect(sent).not.toContain('nested secret');
    expect(sent).not.toContain('blocked words');
    expect(sent).toContain('rr_width');
  });

  it('delivers custom events and identify, including those captured before start', async () => {
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.capture('early_event', { step: 1 });
    recorder.start();
    recorder.capture('checkout_error', { code: 'card_declined' });
    recorder.identify('user-7', { plan: 'pro' });
    await recorder.flush();
    expect(customEvents('early_event')).toHaveLength(1);
    expect(customEvents('checkout_error')[0]?.data).toEqual({
      tag: 'checkout_error',
      payload: { code: 'card_declined' },
    });
    expect(customEvents('$identify')[0]?.data).toEqual({
      tag: '$identify',
      payload: { userId: 'user-7', traits: { plan: 'pro' } },
    });
    // The facade checks names before anything is loaded.
    const facade = createFacade({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    expect(() => facade.capture('$reserved')).toThrow(/keeps for its own events/);
    expect(() => facade.capture('')).toThrow(/non-empty string/);
  });

  it('retries after a network error and a 503 without losing or repeating a batch', async () => {
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    ingest.failNext('network', 503);
    recorder.start();
    await recorder.flush();
    expect(ingest.batches).toHaveLength(0);
    await expect.poll(() => ingest.batches.length, { timeout: 8_000, interval: 100 }).toBe(1);
    expect(ingest.batches[0]?.seq).toBe(BATCH_SEQ_STRIDE);
  });

  it('resends a batch as wire format 1 to a server older than format 2, and keeps to format 1 after', async () => {
    ingest.formatOneOnly = true;
    document.body.innerHTML = '<h1>Shop</h1>';
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await recorder.flush();
    // Refused as format 2, then accepted as format 1: nothing dropped.
    expect(ingest.requests.map((body) => body.slice(0, 7))).toEqual(['{"v":2,', '{"v":1,']);
    expect(ingest.batches).toHaveLength(1);
    expect(ingest.batches[0]?.events.map((event) => event.type).slice(0, 2)).toEqual([
      EventType.Meta,
      EventType.FullSnapshot,
    ]);
    document.body.append(Object.assign(document.createElement('p'), { textContent: 'later' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await recorder.flush();
    // The next batch goes as format 1 at once.
    expect(ingest.requests.map((body) => body.slice(0, 7))).toEqual(['{"v":2,', '{"v":1,', '{"v":1,']);
    expect(ingest.batches.map((batch) => batch.seq)).toEqual([BATCH_SEQ_STRIDE, 2 * BATCH_SEQ_STRIDE]);
    expect(ingest.bodies.join('')).not.toMatch(/\$dropped/);
  });

  it('refuses to start a second recorder on the same page', () => {
    recorder = createFacade({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    const second = createFacade({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    expect(() => second.start()).toThrow(/already recording on this page/);
  });

  it('keeps the session and window across recorder restarts and continues the sequence', async () => {
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await recorder.flush();
    const sessionId = recorder.getSessionId();
    // A reload fires pagehide, which tells the next page of this tab that it is not a duplicate.
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    recorder.stop();
    // A new recorder on the same tab (a reload) reads the ids and the counter from storage.
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await recorder.flush();
    expect(recorder.getSessionId()).toBe(sessionId);
    expect(new Set(ingest.batches.map((batch) => batch.windowId)).size).toBe(1);
    expect(ingest.batches.map((batch) => batch.seq)).toEqual([BATCH_SEQ_STRIDE, 2 * BATCH_SEQ_STRIDE]);
  });

  it('sends what stop() left unsent on page hide after a start again that ends early, sampled out', async () => {
    const sampleRate = 0.5;
    /** Starts a session in shared storage (as another tab would) that is sampled in or out. */
    const startSession = (sampledIn: boolean) => {
      let id: string;
      do {
        id = createUuidV7(Date.now());
      } while (sampleValue(id) < sampleRate !== sampledIn);
      writeStored('localStorage', SESSION_KEY, { id, startedAt: Date.now(), lastActivityAt: Date.now() });
      return id;
    };
    const recorded = startSession(true);
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, sampleRate, persistQueue: false });
    recorder.start();
    expect(recorder.getSessionId()).toBe(recorded);
    recorder.capture('left_by_stop');
    // The server asks to wait a minute: stop() leaves the batch queued, for page hide to send.
    ingest.failNext({ status: 503, headers: { 'retry-after': '60' } });
    recorder.stop();
    await recorder.flush();
    expect(customEvents('left_by_stop')).toHaveLength(0);
    // Started again in a session another tab began, which is sampled out: nothing is recorded…
    const sampledOut = startSession(false);
    recorder.start();
    expect([recorder.getSessionId(), recorder.getStatus()]).toEqual([sampledOut, 'disabled']);
    // …but the tab closing still sends what the stopped recording left.
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await expect.poll(() => customEvents('left_by_stop').length, { timeout: 5_000 }).toBe(1);
    expect(ingest.batches[0]?.sessionId).toBe(recorded);
  });

  it('sends what stop() left unsent on page hide after a start again that rrweb fails', async () => {
    recorder = await stoppedWithBatchLeft('left_before_failed_start');
    // rrweb's next full snapshot throws (it reads the document's adopted stylesheets).
    Object.defineProperty(document, 'adoptedStyleSheets', {
      configurable: true,
      get() {
        throw new Error('adopted stylesheets unreadable');
      },
    });
    try {
      recorder.start();
    } finally {
      delete (document as { adoptedStyleSheets?: unknown }).adoptedStyleSheets;
    }
    expect(recorder.getStatus()).toBe('error');
    expect(recorder.getLastError()).toMatch(/could not start/);
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await expect.poll(() => customEvents('left_before_failed_start').length, { timeout: 5_000 }).toBe(1);
  });

  it('drops a stopped recorder’s page-hide listener once what it left has landed, so recorders made again do not pile up', async () => {
    const listeners = await watchPageHideListeners();
    try {
      // A provider mounted again and again: a new recorder each time, stopped with a batch left.
      for (let round = 1; round <= 5; round++) {
        const made = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, persistQueue: false });
        made.start();
        made.capture('mounted', { round });
        made.stop();
        await made.flush();
        expect(customEvents('mounted')).toHaveLength(round);
        expect(listeners.live(), `round ${round}`).toBe(0);
      }
    } finally {
      listeners.restore();
    }
  });

  it('hands what a stopped recorder left to the recorder made after it, which sends it, and keeps no listener of the old one', async () => {
    // The new recorder's own listener only. (Its delivery may send the batch before the page
    // hides: the server drops repeats by seq.)
    expect(await remountAndHide('left_by_first', WRITE_KEY)).toBe(1);
  });

  it('sends what a stopped recorder handed over at once, though the recorder made after it holds its own until an error', async () => {
    await stoppedWithBatchLeft('left_before_buffering');
    // Holds what it records until an error: it sends nothing of its own, and before, the
    // batch handed to it waited in its queue until the page hid.
    recorder = createRecorder({
      endpoint: ENDPOINT,
      writeKey: WRITE_KEY,
      persistQueue: false,
      bufferUntilError: true,
    });
    recorder.start();
    expect(recorder.getStatus()).toBe('buffering');
    await expect.poll(() => customEvents('left_before_buffering').length, { timeout: 5_000 }).toBe(1);
  });

  it('keeps in IndexedDB what a stopped recorder handed over while the recorder made after it sends it', async () => {
    const stopped = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    stopped.start();
    stopped.capture('handed_over_kept');
    // The retry this answer asks for writes the batch to IndexedDB.
    ingest.failNext({ status: 503, headers: { 'retry-after': '60' } });
    stopped.stop();
    await stopped.flush();
    await expect.poll(() => storedTags(), { timeout: 5_000 }).toContain('handed_over_kept');
    // The next recorder's requests never come back, as if the tab crashed while they were out.
    const pageFetch = window.fetch;
    const held: Array<() => void> = [];
    let holding = true;
    // The recorder keeps the fetch it found: once released, this one lets requests through.
    window.fetch = (...args) =>
      holding ? new Promise((resolve) => held.push(() => resolve(pageFetch(...args)))) : pageFetch(...args);
    try {
      recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
      recorder.start();
      // The handover deletes the stopped recorder's copy; before, nothing wrote it again.
      await expect.poll(() => held.length, { timeout: 5_000 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await storedTags()).toContain('handed_over_kept');
    } finally {
      holding = false;
      for (const release of held) {
        release();
      }
    }
    // Once sent, it leaves IndexedDB.
    await expect.poll(() => storedTags(), { timeout: 5_000 }).not.toContain('handed_over_kept');
  });

  it('leaves what a stopped recorder left to it when the recorder made after it has another write key', async () => {
    // The key corrected, say: the batches belong to the key they were recorded for.
    expect(await remountAndHide('left_for_its_key', 'rk_write_other')).toBe(2);
    const keys = ingest.batches.flatMap((batch, index) =>
      batch.events.some((event) => (event.data as { tag?: string }).tag === 'left_for_its_key')
        ? [new URL(ingest.urls[index] ?? '').searchParams.get('key')]
        : [],
    );
    expect(new Set(keys)).toEqual(new Set([WRITE_KEY]));
  });

  it('records a page holding a tainted canvas, without that canvas’s image', async () => {
    // The same image from the test server under its other host name: cross-origin, no CORS.
    const url = new URL('../../../docs/screenshots/replays.png', import.meta.url);
    url.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const image = new Image();
    image.src = url.href;
    await image.decode();
    const tainted = document.createElement('canvas');
    tainted.width = 40;
    tainted.height = 20;
    tainted.getContext('2d')?.drawImage(image, 0, 0);
    document.body.append(tainted);
    expect(() => tainted.toDataURL(), 'the canvas is tainted').toThrow();
    document.body.append(Object.assign(document.createElement('p'), { textContent: 'Order chart' }));

    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, canvas: { fps: 10 } });
    recorder.start();
    expect(recorder.getStatus()).toBe('recording');
    // Added later, too: a mutation is serialized the same way.
    const later = tainted.cloneNode() as HTMLCanvasElement;
    later.getContext('2d')?.drawImage(image, 0, 0);
    document.body.append(later, Object.assign(document.createElement('p'), { textContent: 'later' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await recorder.flush();
    const recorded = JSON.stringify(allEvents());
    expect(allEvents().map((event) => event.type)).toContain(EventType.FullSnapshot);
    expect(recorded).toContain('Order chart');
    expect(recorded).toContain('later');
    expect(recorded).not.toContain('rr_dataURL');
    expect(canvasSnapshots()).toHaveLength(0);
  });

  it('records no image of a canvas rrweb blocks by its own class (rr-block), which the snapshot leaves out', async () => {
    const canvas = document.createElement('canvas');
    canvas.className = 'rr-block';
    canvas.width = 40;
    canvas.height = 20;
    document.body.append(canvas);
    const context = canvas.getContext('2d') as CanvasRenderingContext2D;
    context.fillStyle = 'red';
    context.fillRect(0, 0, 40, 20);
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, canvas: { fps: 10 } });
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    context.fillStyle = 'blue';
    context.fillRect(0, 0, 40, 20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await recorder.flush();
    const recorded = JSON.stringify(allEvents());
    expect(recorded).toContain('rr_width');
    expect(recorded).not.toContain('rr_dataURL');
    expect(canvasSnapshots()).toHaveLength(0);
  });

  it('records canvases as throttled image snapshots only when asked, and only when they change', async () => {
    const addCanvas = (colour: string, parent: HTMLElement = document.body) => {
      const canvas = document.createElement('canvas');
      canvas.width = 40;
      canvas.height = 20;
      parent.append(canvas);
      fill(canvas, colour);
      return canvas;
    };
    const fill = (canvas: HTMLCanvasElement, colour: string) => {
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.fillStyle = colour;
      context.fillRect(0, 0, canvas.width, canvas.height);
    };
    const isRed = ([r = 0, g = 0, b = 0]: number[]) => r > 200 && g < 60 && b < 60;
    const isBlue = ([r = 0, g = 0, b = 0]: number[]) => r < 60 && g < 60 && b > 200;
    const pollSnapshots = async (count: number) =>
      expect
        .poll(
          async () => {
            await recorder?.flush();
            return canvasSnapshots().length;
          },
          { timeout: 5_000, interval: 100 },
        )
        .toBeGreaterThanOrEqual(count);

    const visible = addCanvas('red');
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY });
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    fill(visible, 'blue');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await recorder.flush();
    expect(canvasSnapshots()).toHaveLength(0);
    expect(JSON.stringify(allEvents())).not.toContain('rr_dataURL');
    recorder.stop();
    ingest.batches.length = 0;

    fill(visible, 'red');
    const blocked = document.createElement('div');
    blocked.setAttribute('data-rk-block', '');
    document.body.append(blocked);
    addCanvas('green', blocked);
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, canvas: { fps: 10, quality: 0.5 } });
    recorder.start();
    await pollSnapshots(1);
    const visibleId = canvasSnapshots()[0]?.id;
    expect(canvasSnapshots().every((data) => data.id === visibleId)).toBe(true);
    expect(canvasSnapshots()[0]?.commands[0]).toEqual({ property: 'clearRect', args: [0, 0, 40, 20] });
    expect(isRed(await snapshotColour(canvasSnapshots()[0] as CanvasData))).toBe(true);
    // The full snapshot carries the image each canvas had at the start.
    const snapshot = allEvents().find((event) => event.type === EventType.FullSnapshot);
    expect(JSON.stringify(snapshot)).toContain('rr_dataURL');

    // Ten chances at 10 per second: an unchanged image is not sent again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await recorder.flush();
    expect(canvasSnapshots()).toHaveLength(1);

    fill(visible, 'blue');
    await pollSnapshots(2);
    expect(isBlue(await snapshotColour(canvasSnapshots()[1] as CanvasData))).toBe(true);
    expect(canvasSnapshots()[1]?.id).toBe(visibleId);
  });

  it('records a WebGL canvas made while recording, which keeps its drawing buffer so it can be read', async () => {
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, canvas: { fps: 10 } });
    recorder.start();
    const canvas = document.createElement('canvas');
    canvas.width = 40;
    canvas.height = 20;
    document.body.append(canvas);
    const gl = canvas.getContext('webgl');
    expect(gl, 'this Chromium renders WebGL').not.toBeNull();
    expect(gl?.getContextAttributes()?.preserveDrawingBuffer).toBe(true);
    gl?.clearColor(0, 0.8, 0, 1);
    gl?.clear(gl.COLOR_BUFFER_BIT);
    // Frames go by: without its drawing buffer kept, the canvas would now read as blank.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const greenImages = async () => {
      await recorder?.flush();
      let green = 0;
      for (const data of canvasSnapshots()) {
        const [r = 0, g = 0, b = 0, a = 0] = await snapshotColour(data);
        green += r < 60 && g > 150 && b < 60 && a === 255 ? 1 : 0;
      }
      return green;
    };
    await expect.poll(greenImages, { timeout: 5_000, interval: 200 }).toBeGreaterThan(0);

    // Stopping puts the page's own getContext back.
    recorder.stop();
    const after = document.createElement('canvas').getContext('webgl');
    expect(after?.getContextAttributes()?.preserveDrawingBuffer).toBe(false);
  });
});

/**
 * A recorder stopped with a batch left queued (holding the custom event `tag`): the server asked
 * to wait a minute, so page hide is what sends it.
 */
async function stoppedWithBatchLeft(tag: string): Promise<RecorderEngine> {
  const stopped = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, persistQueue: false });
  stopped.start();
  stopped.capture(tag);
  ingest.failNext({ status: 503, headers: { 'retry-after': '60' } });
  stopped.stop();
  await stopped.flush();
  expect(customEvents(tag)).toHaveLength(0);
  return stopped;
}

/**
 * A recorder stopped with a batch left (holding `tag`), a new one made with `writeKey` and
 * started (a provider mounted again), then the page hidden, until that batch is sent: the
 * page-hide listeners live once the new one recorded.
 */
async function remountAndHide(tag: string, writeKey: string): Promise<number> {
  const listeners = await watchPageHideListeners();
  try {
    await stoppedWithBatchLeft(tag);
    recorder = createRecorder({ endpoint: ENDPOINT, writeKey, persistQueue: false });
    recorder.start();
    const live = listeners.live();
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await expect.poll(() => customEvents(tag).length, { timeout: 5_000 }).toBeGreaterThan(0);
    return live;
  } finally {
    listeners.restore();
  }
}

/**
 * Counts the page-hide listeners added to the window and not removed since, through wrapped
 * `addEventListener`/`removeEventListener`. The page's one listener of its own (the window id's
 * mark, added once) is added first, so only recorders' listeners are counted.
 */
async function watchPageHideListeners(): Promise<{ live(): number; restore(): void }> {
  const warmUp = createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, persistQueue: false });
  warmUp.start();
  warmUp.stop();
  await warmUp.flush();
  const live = new Set<unknown>();
  const { addEventListener: add, removeEventListener: remove } = window;
  window.addEventListener = function (this: Window, ...args: Parameters<Window['addEventListener']>) {
    if (args[0] === 'pagehide') {
      live.add(args[1]);
    }
    add.apply(this, args);
  } as Window['addEventListener'];
  window.removeEventListener = function (this: Window, ...args: Parameters<Window['removeEventListener']>) {
    if (args[0] === 'pagehide') {
      live.delete(args[1]);
    }
    remove.apply(this, args);
  } as Window['removeEventListener'];
  return {
    live: () => live.size,
    restore: () => {
      window.addEventListener = add;
      window.removeEventListener = remove;
    },
  };
}

/** The custom event tags of the batches in the recorder's IndexedDB queue, whatever their window. */
async function storedTags(): Promise<string[]> {
  const records = (await readStoredQueue((batches) => batches.getAll())) as Array<{ events?: string[] }>;
  return records.flatMap((record) =>
    (record.events ?? []).flatMap((text) => {
      const tag = (JSON.parse(text) as { data?: { tag?: unknown } }).data?.tag;
      return typeof tag === 'string' ? [tag] : [];
    }),
  );
}

/** Stores a batch an earlier page of this origin left unsent, in a window that is gone; resolves with its removal. */
async function leaveEarlierPageBatch(): Promise<() => Promise<void>> {
  const earlier = createBatchStore(ingestUrl(ENDPOINT, WRITE_KEY));
  const left = {
    sessionId: 'earlier-session',
    windowId: 'earlier-window',
    seq: 0,
    events: [JSON.stringify({ type: 5, data: { tag: 'left_by_earlier_page', payload: {} }, timestamp: 1 })],
    bytes: 80,
    createdAt: Date.now(),
  };
  await earlier.put(left);
  return async () => {
    await earlier.remove(left);
  };
}

/** A recorder that keeps its queue in IndexedDB, as the opt-out tests need. */
const persistingRecorder = () =>
  createRecorder({ endpoint: ENDPOINT, writeKey: WRITE_KEY, persistQueue: true, useWorker: false });

/** An earlier page's batch would go out within a few tasks: none may. */
async function expectNothingResent(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(ingest.requests).toEqual([]);
}

describe('a recorder opted out while the page is still loading', () => {
  it('opens no IndexedDB at DOMContentLoaded and resends nothing an earlier page left there', async () => {
    const removeLeft = await leaveEarlierPageBatch();
    const realOpen = indexedDB.open.bind(indexedDB);
    let opens = 0;
    indexedDB.open = (...args: Parameters<IDBFactory['open']>) => {
      opens++;
      return realOpen(...args);
    };
    // As a recorder script at the end of <body> sees the page: rrweb waits for DOMContentLoaded.
    Object.defineProperty(document, 'readyState', { configurable: true, get: () => 'loading' });
    try {
      recorder = persistingRecorder();
      recorder.start();
      recorder.optOut();
      delete (document as { readyState?: unknown }).readyState;
      document.dispatchEvent(new Event('DOMContentLoaded'));
      expect(recorder.getStatus()).toBe('disabled');
      // Delivery, and the IndexedDB queue with it, would be made in the listener itself.
      expect(opens).toBe(0);
      // And so nothing is sent.
      await expectNothingResent();
    } finally {
      delete (document as { readyState?: unknown }).readyState;
      indexedDB.open = realOpen;
      await removeLeft();
    }
  });

  it('resends nothing an earlier page left in IndexedDB when opted out right after starting on a loaded page', async () => {
    const removeLeft = await leaveEarlierPageBatch();
    try {
      recorder = persistingRecorder();
      recorder.start();
      // Before the queue has read IndexedDB (it does so in a task of its own).
      recorder.optOut();
      await expectNothingResent();
    } finally {
      await removeLeft();
    }
  });
  it('deletes what an earlier page left in IndexedDB once opted out, so no later page sends it', async () => {
    const removeLeft = await leaveEarlierPageBatch();
    try {
      recorder = persistingRecorder();
      recorder.start();
      recorder.optOut();
      // What another page of the origin would adopt from IndexedDB.
      const leftTags = async () =>
        (await createBatchStore(ingestUrl(ENDPOINT, WRITE_KEY)).takeOver('another-window')).flatMap(
          (batch) => batch.events,
        );
      await expect.poll(leftTags, { timeout: 5_000, interval: 100 }).toEqual([]);
      await expectNothingResent();
    } finally {
      await removeLeft();
    }
  });
});
