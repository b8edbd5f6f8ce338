import { afterEach, describe, expect, it } from 'vitest';
import { createCompressor, WORKER_MIN_CHARS } from './compress';

const originalWorker = window.Worker;

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

afterEach(() => {
  window.Worker = originalWorker;
});

describe('compression', () => {
  it('gzips large texts in a Web Worker made from a Blob URL for the first of them, small ones on the main thread', async () => {
    let made = 0;
    window.Worker = class extends originalWorker {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        made++;
      }
    };
    const compressor = createCompressor();
    expect(await gunzip(await compressor.gzip('small enough for the main thread'))).toBe(
      'small enough for the main thread',
    );
    expect(made).toBe(0);
    const text = JSON.stringify({
      events: Array.from({ length: 5_000 }, (_, index) => ({ index, tag: 'é✓' })),
    });
    expect(text.length).toBeGreaterThanOrEqual(WORKER_MIN_CHARS);
    const bytes = await compressor.gzip(text);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(bytes.byteLength).toBeLessThan(text.length / 4);
    expect(await gunzip(bytes)).toBe(text);
    expect(compressor.mode).toBe('worker');
    await compressor.gzip(text.replace('é', 'e'));
    expect(made).toBe(1);
    compressor.close();
  });

  it('falls back to the main thread when the page forbids workers (CSP)', async () => {
    window.Worker = class {
      constructor() {
        throw new DOMException('Refused to create a worker', 'SecurityError');
      }
    } as unknown as typeof Worker;
    const compressor = createCompressor();
    const text = 'hello '.repeat(WORKER_MIN_CHARS / 4);
    expect(await gunzip(await compressor.gzip(text))).toBe(text);
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
    const text = 'queued before the failure '.repeat(WORKER_MIN_CHARS / 8);
    expect(await gunzip(await compressor.gzip(text))).toBe(text);
    expect(compressor.mode).toBe('main-thread');
  });
});
