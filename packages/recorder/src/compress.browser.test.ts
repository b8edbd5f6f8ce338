import { encodeWireDeltas, parseWireBody } from '@replaykit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCompressor, WORKER_AFTER_SMALL_TEXTS, WORKER_MIN_CHARS } from './compress';
import { gunzip } from './test/fake-ingest';

const originalWorker = window.Worker;
const originalCompressionStream = window.CompressionStream;

afterEach(() => {
  window.Worker = originalWorker;
  window.CompressionStream = originalCompressionStream;
});

/** A batch body as the recorder writes it (format 1), with ids and timestamps counting up. */
function batchText(events: number): string {
  return JSON.stringify({
    v: 1,
    sessionId: 's',
    windowId: 'w',
    seq: 0,
    events: Array.from({ length: events }, (_, index) => ({
      type: 3,
      data: { source: 0, adds: [{ parentId: 9, nextId: index + 99, node: { tag: 'é✓', id: index + 100 } }] },
      timestamp: 1_795_749_677_691 + index * 16,
    })),
  });
}

/** Counts the workers made from now on (they are still real ones). */
function countWorkersMade(): { count: number } {
  const made = { count: 0 };
  window.Worker = class extends originalWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      made.count++;
    }
  };
  return made;
}

/** Counts the main thread's compressions from now on. */
function countMainThreadCompressions(): { count: number } {
  const started = { count: 0 };
  window.CompressionStream = class extends originalCompressionStream {
    constructor(format: CompressionFormat) {
      super(format);
      started.count++;
    }
  };
  return started;
}

describe('compression', () => {
  it('gzips large texts in a Web Worker made from a Blob URL for the first of them, small ones on the main thread', async () => {
    const made = countWorkersMade();
    const compressor = createCompressor();
    const small = batchText(1);
    expect(await gunzip(await compressor.pack(small))).toBe(encodeWireDeltas(small));
    expect(made.count).toBe(0);
    // Counts the main thread's compressions: the large text must be packed in the worker.
    const onMainThread = countMainThreadCompressions();
    const text = batchText(1_000);
    expect(text.length).toBeGreaterThanOrEqual(WORKER_MIN_CHARS);
    const bytes = await compressor.pack(text);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(bytes.byteLength).toBeLessThan(text.length / 4);
    // Wire format 2, which the server reads as the text sent.
    const packed = await gunzip(bytes);
    expect(packed).toBe(encodeWireDeltas(text));
    expect(packed.startsWith('{"v":2,')).toBe(true);
    expect(parseWireBody(packed)).toEqual(JSON.parse(text));
    expect(onMainThread.count).toBe(0);
    expect(compressor.mode).toBe('worker');
    await compressor.pack(text.replace('é', 'e'));
    expect(made.count).toBe(1);
    compressor.close();
  });

  it('makes the worker at the WORKER_AFTER_SMALL_TEXTS-th small text, and packs every text there once it exists', async () => {
    const made = countWorkersMade();
    const onMainThread = countMainThreadCompressions();
    const compressor = createCompressor();
    const small = batchText(3);
    expect(small.length).toBeLessThan(WORKER_MIN_CHARS);
    for (let index = 1; index < WORKER_AFTER_SMALL_TEXTS; index++) {
      expect(await gunzip(await compressor.pack(small))).toBe(encodeWireDeltas(small));
    }
    expect([made.count, onMainThread.count]).toEqual([0, WORKER_AFTER_SMALL_TEXTS - 1]);
    // The next small one makes the worker and is packed there, like every later one.
    for (let index = 0; index < 3; index++) {
      expect(await gunzip(await compressor.pack(small))).toBe(encodeWireDeltas(small));
    }
    expect([made.count, onMainThread.count]).toEqual([1, WORKER_AFTER_SMALL_TEXTS - 1]);
    expect(compressor.mode).toBe('worker');
    // Format 1 (for an older server) is still made on the main thread, as before.
    expect(await gunzip(await compressor.pack(small, true))).toBe(small);
    expect(onMainThread.count).toBe(WORKER_AFTER_SMALL_TEXTS);
    compressor.close();
  });

  it('finishes on the main thread what the worker still held when closed, and makes no worker after', async () => {
    const made = countWorkersMade();
    const compressor = createCompressor();
    const text = batchText(1_000);
    const pending = compressor.pack(text);
    compressor.close();
    // A job in the terminated worker would never be answered: its caller would wait forever.
    expect(parseWireBody(await gunzip(await pending))).toEqual(JSON.parse(text));
    expect(parseWireBody(await gunzip(await compressor.pack(text)))).toEqual(JSON.parse(text));
    expect(made.count).toBe(1);
    expect(compressor.mode).toBe('main-thread');

    // Closed before any worker was made: none is made later (nothing would terminate it).
    const unused = createCompressor();
    unused.close();
    expect(parseWireBody(await gunzip(await unused.pack(text)))).toEqual(JSON.parse(text));
    expect(made.count).toBe(1);
  });

  it('never makes a worker with useWorker: false, whatever the sizes and counts of the texts', async () => {
    const made = countWorkersMade();
    const compressor = createCompressor({ useWorker: false });
    for (const text of [
      ...Array.from({ length: WORKER_AFTER_SMALL_TEXTS + 1 }, () => batchText(3)),
      batchText(1_000),
    ]) {
      expect(parseWireBody(await gunzip(await compressor.pack(text)))).toEqual(JSON.parse(text));
    }
    expect(made.count).toBe(0);
    expect(compressor.mode).toBe('main-thread');
    compressor.close();
  });

  it('stops handing batches to a worker that cannot pack them', async () => {
    // A worker that loads but answers every job with `[id]` (as one whose packing code throws).
    let posted = 0;
    window.Worker = class extends originalWorker {
      constructor() {
        super(URL.createObjectURL(new Blob(['onmessage=({data:[i]})=>postMessage([i])'])));
        // It answers every job it is given once.
        this.addEventListener('message', () => posted++);
      }
    } as unknown as typeof Worker;
    const compressor = createCompressor();
    const text = batchText(1_000);
    for (let round = 0; round < 3; round++) {
      expect(parseWireBody(await gunzip(await compressor.pack(text)))).toEqual(JSON.parse(text));
    }
    // Each batch copied to it for nothing would cost the main thread twice.
    expect(posted).toBe(1);
    expect(compressor.mode).toBe('main-thread');
    compressor.close();
  });

  it('falls back to the main thread when the page forbids workers (CSP)', async () => {
    window.Worker = class {
      constructor() {
        throw new DOMException('Refused to create a worker', 'SecurityError');
      }
    } as unknown as typeof Worker;
    const compressor = createCompressor();
    const text = batchText(1_000);
    expect(parseWireBody(await gunzip(await compressor.pack(text)))).toEqual(JSON.parse(text));
    expect(compressor.mode).toBe('main-thread');
  });

  it('finishes pending work on the main thread when the worker fails to load', async () => {
    // CSP can also block the worker's script after construction: the error event arrives later.
    window.Worker = class extends EventTarget {
      onerror: ((event: Event) => void) | null = null;
      onmessage: ((event: MessageEvent) => void) | null = null;
      constructor() {
        super();
        setTimeout(() => this.onerror?.(new Event('error')), 10);
      }
      postMessage() {
        // Never answers.
      }
      terminate() {
        // Nothing to stop.
      }
    } as unknown as typeof Worker;
    const compressor = createCompressor();
    const text = batchText(1_000);
    expect(parseWireBody(await gunzip(await compressor.pack(text)))).toEqual(JSON.parse(text));
    expect(compressor.mode).toBe('main-thread');
  });
});
