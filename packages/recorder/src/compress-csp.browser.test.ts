import { encodeWireDeltas } from '@replaykit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCompressor, WORKER_AFTER_SMALL_TEXTS } from './compress';
import { gunzip } from './test/fake-ingest';

const originalWorker = window.Worker;

afterEach(() => {
  window.Worker = originalWorker;
  document.body.innerHTML = '';
});

/**
 * Chromium's own `Worker` under a real Content-Security-Policy: the one of a same-origin frame
 * whose policy forbids workers, so Chromium itself refuses the compressor's Blob URL worker.
 */
async function workerUnderPolicy(policy: string): Promise<typeof Worker> {
  const frame = document.createElement('iframe');
  frame.srcdoc = `<meta http-equiv="Content-Security-Policy" content="${policy}">`;
  const loaded = new Promise((resolve) => {
    frame.addEventListener('load', resolve, { once: true });
  });
  document.body.append(frame);
  await loaded;
  return (frame.contentWindow as unknown as typeof globalThis).Worker;
}

describe('compression under a real Content-Security-Policy', () => {
  for (const policy of ["worker-src 'none'", "default-src 'self'"]) {
    it(`packs every batch on the main thread when the page's policy is ${policy}`, async () => {
      window.Worker = await workerUnderPolicy(policy);
      const compressor = createCompressor();
      const small = JSON.stringify({ v: 1, sessionId: 's', windowId: 'w', seq: 0, events: [] });
      // The small texts that make the worker, then more: none may wait for a worker that never
      // loads (the queue sends one batch at a time: one that never packs stops delivery).
      const texts = Array.from({ length: WORKER_AFTER_SMALL_TEXTS + 2 }, (_, index) =>
        small.replace('"seq":0', `"seq":${index}`),
      );
      for (const text of texts) {
        expect(await gunzip(await compressor.pack(text))).toBe(encodeWireDeltas(text));
      }
      expect(compressor.mode).toBe('main-thread');
      compressor.close();
    });
  }

  it('uses the worker when the same kind of frame allows Blob URL workers (the setup above is sound)', async () => {
    window.Worker = await workerUnderPolicy('worker-src blob:');
    const compressor = createCompressor();
    const text = JSON.stringify({ v: 1, sessionId: 's', windowId: 'w', seq: 0, events: [] });
    for (let index = 0; index <= WORKER_AFTER_SMALL_TEXTS; index++) {
      expect(await gunzip(await compressor.pack(text))).toBe(encodeWireDeltas(text));
    }
    expect(compressor.mode).toBe('worker');
    compressor.close();
  });
});
