/**
 * Gzip off the main thread: a Web Worker made from a Blob URL (no extra file for the host
 * to serve), with `CompressionStream` on the main thread where workers are unavailable or
 * blocked by the page's Content-Security-Policy.
 */

// Kept tiny and dependency-free: it runs as the worker's whole source.
const WORKER_SOURCE = `onmessage=async(e)=>{const{id,text}=e.data;try{const s=new Response(text).body.pipeThrough(new CompressionStream('gzip'));const b=await new Response(s).arrayBuffer();postMessage({id,b},[b])}catch(r){postMessage({id,error:String(r)})}}`;

/** Where compression runs, for diagnostics and tests. */
export type CompressionMode = 'worker' | 'main-thread' | 'none';

export interface Compressor {
  gzip(text: string): Promise<Uint8Array>;
  readonly mode: CompressionMode;
  close(): void;
}

async function gzipOnMainThread(text: string): Promise<Uint8Array> {
  const source = new Response(text).body as ReadableStream;
  const stream = source.pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Makes a compressor; `useWorker: false` keeps compression on the main thread. */
export function createCompressor(options: { useWorker?: boolean } = {}): Compressor {
  const hasStreams = typeof CompressionStream === 'function';
  let worker: Worker | undefined;
  let workerUrl: string | undefined;
  let nextId = 0;
  const waiting = new Map<
    number,
    { text: string; resolve: (bytes: Uint8Array) => void; reject: (error: unknown) => void }
  >();

  const fallBack = () => {
    // The worker failed (CSP, crash): finish what it held on the main thread.
    worker?.terminate();
    worker = undefined;
    compressor.mode = hasStreams ? 'main-thread' : 'none';
    for (const [id, job] of waiting) {
      waiting.delete(id);
      mainThread(job.text).then(job.resolve, job.reject);
    }
  };

  const mainThread = (text: string): Promise<Uint8Array> =>
    hasStreams ? gzipOnMainThread(text) : Promise.resolve(new TextEncoder().encode(text));

  if (
    options.useWorker !== false &&
    hasStreams &&
    typeof Worker === 'function' &&
    typeof Blob === 'function'
  ) {
    try {
      workerUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      worker = new Worker(workerUrl);
      worker.onmessage = (message: MessageEvent<{ id: number; b?: ArrayBuffer; error?: string }>) => {
        const job = waiting.get(message.data.id);
        if (!job) {
          return;
        }
        waiting.delete(message.data.id);
        if (message.data.b) {
          job.resolve(new Uint8Array(message.data.b));
        } else {
          mainThread(job.text).then(job.resolve, job.reject);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        fallBack();
      };
    } catch {
      worker = undefined;
    }
  }

  const compressor: Compressor & { mode: CompressionMode } = {
    mode: worker ? 'worker' : hasStreams ? 'main-thread' : 'none',
    gzip(text) {
      const current = worker;
      if (!current) {
        return mainThread(text);
      }
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { text, resolve, reject });
        try {
          current.postMessage({ id, text });
        } catch {
          fallBack();
        }
      });
    },
    close() {
      worker?.terminate();
      worker = undefined;
      if (workerUrl) {
        URL.revokeObjectURL(workerUrl);
      }
    },
  };
  return compressor;
}
