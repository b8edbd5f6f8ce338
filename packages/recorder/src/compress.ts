/**
 * Batch bodies packed for the wire off the main thread: wire format 2 (core's
 * `encodeWireDeltas`: ids and timestamps as differences, which deflate packs far better),
 * then gzip. A Web Worker made from a Blob URL (no extra file for the host to serve) does it,
 * with `CompressionStream` on the main thread where workers are unavailable or blocked by the
 * page's Content-Security-Policy.
 */
import { encodeWireDeltas } from '@replaykit/core';

/** Where compression runs (a worker that cannot start turns it to the main thread), for diagnostics and tests. */
export type CompressionMode = 'worker' | 'main-thread' | 'none';

export interface Compressor {
  /**
   * A batch body as sent: encoded as wire format 2, then gzipped; with `formatOne`, gzipped as
   * written (on the main thread), for a server older than format 2.
   */
  pack(text: string, formatOne?: boolean): Promise<Uint8Array>;
  readonly mode: CompressionMode;
  close(): void;
}

// Not `async`: a host that builds for older browsers turns async functions into calls to a
// helper of its bundle, which the worker (running this function's source text) lacks.
const gzipText = (text: string): Promise<ArrayBuffer> =>
  new Response(
    (new Response(text).body as ReadableStream).pipeThrough(
      new CompressionStream('gzip') as unknown as ReadableWritablePair,
    ),
  ).arrayBuffer();

// The worker's whole source: the same two self-contained functions the main thread uses, by
// their own source text. It answers `[id, gzip]`, or `[id]` when it could not pack (the job,
// and every later one, is then done on the main thread).
const WORKER_SOURCE = `const e=${encodeWireDeltas},g=${gzipText};onmessage=async({data:[i,t]})=>{try{const b=await g(e(t));postMessage([i,b],[b])}catch{postMessage([i])}}`;

/**
 * Until the worker exists, texts shorter than this (in UTF-16 units) are packed on the main
 * thread, so that a page sending a batch or two never pays the few ms that making the worker
 * costs. A larger text makes the worker at once.
 */
export const WORKER_MIN_CHARS = 16 * 1024;

/**
 * The small text that makes the worker, when no large one came first: packing one on the main
 * thread costs it about 1 ms (the encoding, and mostly `CompressionStream`'s set-up), against
 * a few tens of µs to hand it to the worker, so a page that keeps sending small batches (an
 * interactive page, every 2 s) soon gains from the worker. Once made, the worker packs all.
 */
export const WORKER_AFTER_SMALL_TEXTS = 3;

/** Makes a compressor; `useWorker: false` keeps compression on the main thread. */
export function createCompressor(options: { useWorker?: boolean } = {}): Compressor {
  const hasStreams = typeof CompressionStream === 'function';
  let worker: Worker | undefined;
  let workerUrl: string | undefined;
  let nextId = 0;
  let smallTexts = 0;
  const waiting = new Map<
    number,
    [text: string, resolve: (bytes: Uint8Array) => void, reject: (error: unknown) => void]
  >();

  const mainThread = async (text: string, formatOne?: boolean) => {
    const encoded = formatOne ? text : encodeWireDeltas(text);
    return hasStreams ? new Uint8Array(await gzipText(encoded)) : new TextEncoder().encode(encoded);
  };

  const fallBack = () => {
    // The worker failed (CSP, crash), or the compressor closes: finish what it held on the
    // main thread.
    worker?.terminate();
    worker = undefined;
    compressor.mode = hasStreams ? 'main-thread' : 'none';
    for (const [id, [text, resolve, reject]] of waiting) {
      waiting.delete(id);
      mainThread(text).then(resolve, reject);
    }
  };

  // The worker is made for the first large job, not with the compressor: it costs a few ms of
  // the main thread, which the recorder's start (and its first snapshot) should not wait for.
  let workerTried = options.useWorker === false || !hasStreams;
  const startWorker = () => {
    workerTried = true;
    try {
      workerUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      worker = new Worker(workerUrl);
      worker.onmessage = ({ data: [id, bytes] }: MessageEvent<[number, ArrayBuffer?]>) => {
        const job = waiting.get(id);
        if (bytes && job) {
          waiting.delete(id);
          job[1](new Uint8Array(bytes));
        } else {
          // It could not pack (its code cannot run in this build, say): it will not do better
          // on the next batch, which would only be copied there for nothing.
          fallBack();
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        fallBack();
      };
    } catch {
      // No Worker or Blob URLs, or forbidden by the page: compress on the main thread.
      fallBack();
    }
  };

  const compressor: Compressor & { mode: CompressionMode } = {
    mode: workerTried ? (hasStreams ? 'main-thread' : 'none') : 'worker',
    pack(text, formatOne) {
      if (formatOne) {
        return mainThread(text, true);
      }
      if (!workerTried && (text.length >= WORKER_MIN_CHARS || ++smallTexts >= WORKER_AFTER_SMALL_TEXTS)) {
        startWorker();
      }
      const current = worker;
      return current
        ? new Promise((resolve, reject) => {
            const id = nextId++;
            waiting.set(id, [text, resolve, reject]);
            try {
              current.postMessage([id, text]);
            } catch {
              fallBack();
            }
          })
        : mainThread(text);
    },
    close() {
      // Jobs the worker still holds would never be answered once it is terminated: they are
      // finished on the main thread, like every later one (no worker is made after a close).
      workerTried = true;
      fallBack();
      if (workerUrl) {
        URL.revokeObjectURL(workerUrl);
      }
    },
  };
  return compressor;
}
