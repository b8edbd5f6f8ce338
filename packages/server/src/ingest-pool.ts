/**
 * Ingest workers: a small pool of worker threads that decode batches (`./batch-decode`)
 * off the main thread, which keeps HTTP and the database. Bodies move to a worker and back
 * by transfer, not by copy. Where worker threads are missing (other runtimes) or the size
 * is 0, batches are decoded inline with the same code.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { type BatchRefusal, type DecodedBatch, type DecodeLimits, decodeBatch } from './batch-decode';
import type { IngestReply, IngestTask } from './ingest-worker';
import { createTurnQueue, type TurnQueue } from './turn-queue';

/** What a worker posts once it can take batches. */
export const WORKER_READY = 'ready';

/** Most ingest workers the default picks, however many cores there are. */
export const INGEST_WORKERS_DEFAULT_MAX = 4;

/**
 * Ingest workers when none are configured: one per core beyond the first (the main thread
 * needs one for HTTP and the database), at least 1, at most {@link INGEST_WORKERS_DEFAULT_MAX}.
 */
export function defaultIngestWorkers(availableParallelism: number): number {
  return Math.max(1, Math.min(INGEST_WORKERS_DEFAULT_MAX, availableParallelism - 1));
}

/**
 * How long workers outlive their last user, in ms: a server started right after another
 * one closed (tests, restarts within a process) reuses them instead of starting new ones.
 */
export const INGEST_WORKERS_LINGER_MS = 1_000;

/** What decoding one body gives: the outcome, and the body itself (moved back from a worker). */
export interface DecodeOutcome {
  result: DecodedBatch | BatchRefusal;
  body: Uint8Array;
}

/** Decodes batches, in workers or inline. */
export interface BatchDecoder {
  decode(body: Uint8Array, receivedAt: number, limits: DecodeLimits): Promise<DecodeOutcome>;
  /**
   * Gives this user's share of the pool back; after the last release the workers end
   * within {@link INGEST_WORKERS_LINGER_MS} (once their batches are answered).
   */
  release(): void;
}

const inlineDecoder: BatchDecoder = {
  async decode(body, receivedAt, limits) {
    return { result: await decodeBatch(body, receivedAt, limits), body };
  },
  release() {},
};

interface Pending {
  resolve: (outcome: DecodeOutcome) => void;
  reject: (error: Error) => void;
}

/** A batch waiting for its worker to start: it stays here, not yet moved, until then. */
interface QueuedTask {
  task: IngestTask;
  body: Uint8Array;
}

interface PoolWorker {
  worker: NodeWorker;
  pending: Map<number, Pending>;
  /** Set when the worker said it is ready: batches are moved to it from then on. */
  ready: boolean;
  /** Batches given before it was ready; decoded inline if it never becomes ready. */
  queued: QueuedTask[];
  /** Batches of this event loop turn, moved to the worker together at its end. */
  outbox: TurnQueue<IngestTask>;
}

interface SharedPool {
  /** Undefined until the first batch: then {@link defaultIngestWorkers} of this machine. */
  size: number | undefined;
  users: number;
  workers: PoolWorker[];
  /** Set when workers cannot start here: the pool decodes inline from then on. */
  inline: boolean;
  /** Set once the pool ends: workers finish their batches, then end; late callers decode inline. */
  closed: boolean;
  /** Ends the pool after the last release, unless a new user comes first. */
  lingerTimer?: ReturnType<typeof setTimeout>;
  nextId: number;
  onError: (error: unknown) => void;
}

/** Ingest worker threads of this process that have not exited yet. */
const liveWorkers = new Set<NodeWorker>();

/** How many ingest worker threads of this process have not exited yet (for tests and diagnostics). */
export function ingestWorkerThreads(): number {
  return liveWorkers.size;
}

/** One pool per size per process: every server in a process (tests make many) shares it. */
const pools = new Map<number | 'default', SharedPool>();

/** The worker entry files of this package (`./<name>.ts` in source, `./<name>.js` built). */
export type WorkerEntry = 'ingest-worker' | 'sqlite-writer';

/** How to start this package's worker threads here, and how many cores the process may use. */
export interface Spawner {
  spawn: (entry: WorkerEntry) => NodeWorker;
  availableParallelism: number;
}

let spawner: Promise<Spawner | undefined> | undefined;
let spawnerForTests: Promise<Spawner | undefined> | undefined;

/** Replaces how workers start ('none': no workers here; undefined: the real way again); tests only. */
export function replaceSpawnerForTests(replacement: Spawner | 'none' | undefined): void {
  spawnerForTests =
    replacement === undefined ? undefined : Promise.resolve(replacement === 'none' ? undefined : replacement);
}

/**
 * Loads what starting a worker takes, once. From the built package a worker runs its
 * `.js` entry; from source (tests, `tsx`), Node cannot load TypeScript in a worker by
 * itself, so the worker registers tsx's loader first and resolves workspace packages to
 * their source like the main thread. Undefined where worker threads are missing.
 */
export function loadSpawner(): Promise<Spawner | undefined> {
  if (spawnerForTests) {
    return spawnerForTests;
  }
  spawner ??= (async (): Promise<Spawner | undefined> => {
    const threads = await import('node:worker_threads');
    const { availableParallelism } = await import('node:os');
    if (!import.meta.url.startsWith('file:')) {
      // Bundled for a browser-like test environment or served from elsewhere: there is no
      // worker file to start.
      return undefined;
    }
    const fromSource = import.meta.url.endsWith('.ts');
    const entryUrl = (entry: WorkerEntry) =>
      new URL(`./${entry}${fromSource ? '.ts' : '.js'}`, import.meta.url);
    const { existsSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    if (!existsSync(fileURLToPath(entryUrl('ingest-worker')))) {
      // A test environment that rewrites module URLs, or a bundle without the worker files.
      return undefined;
    }
    if (!fromSource) {
      return {
        spawn: (entry) => new threads.Worker(entryUrl(entry)),
        availableParallelism: availableParallelism(),
      };
    }
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    // tsx's ESM entry (its CommonJS one cannot register from an eval'd worker).
    const tsxApi = pathToFileURL(
      createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
    return {
      spawn: (entry) =>
        new threads.Worker(
          `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entryUrl(entry).href)}); });`,
          { eval: true, execArgv: ['--conditions=source'] },
        ),
      availableParallelism: availableParallelism(),
    };
  })().catch(() => undefined);
  return spawner;
}

/** A body whose memory can move to another thread: a whole, unshared buffer, or else a copy. */
function movable(body: Uint8Array): Uint8Array {
  return body.byteOffset === 0 &&
    body.byteLength === body.buffer.byteLength &&
    body.buffer instanceof ArrayBuffer
    ? body
    : new Uint8Array(body);
}

function failWorker(pool: SharedPool, entry: PoolWorker, error: Error): void {
  if (pool.closed && entry.pending.size === 0) {
    return;
  }
  const index = pool.workers.indexOf(entry);
  if (index !== -1) {
    pool.workers.splice(index, 1);
  }
  // Batches it never received were not moved: they are decoded here instead.
  const unsent = [
    ...entry.queued.splice(0),
    ...entry.outbox.take().map((task) => ({ task, body: task.body })),
  ];
  for (const { task, body } of unsent) {
    const pending = entry.pending.get(task.id);
    entry.pending.delete(task.id);
    if (pending) {
      inlineDecoder.decode(body, task.receivedAt, task.limits).then(pending.resolve, pending.reject);
    }
  }
  for (const pending of entry.pending.values()) {
    pending.reject(error);
  }
  entry.pending.clear();
  if (!entry.ready && !pool.closed && !pool.inline) {
    // It never started: this runtime or build cannot run the worker file.
    pool.inline = true;
    pool.onError(
      new Error(
        `Ingest workers cannot start here, so batches are decoded on the main thread: ${error.message}`,
      ),
    );
  }
  void entry.worker.terminate();
}

/** Moves batches to a worker in one message, their bodies transferred, not copied. */
function postTasks(worker: NodeWorker, tasks: IngestTask[]): void {
  worker.postMessage(
    tasks,
    tasks.map((task) => task.body.buffer as ArrayBuffer),
  );
}

function addWorker(pool: SharedPool, spawn: Spawner['spawn']): PoolWorker {
  const worker = spawn('ingest-worker');
  liveWorkers.add(worker);
  const entry: PoolWorker = {
    worker,
    pending: new Map(),
    ready: false,
    queued: [],
    outbox: createTurnQueue((tasks) => postTasks(worker, tasks)),
  };
  // An idle worker must never keep the process alive; one with work does (see decodeInPool).
  worker.unref();
  worker.on('message', (replies: IngestReply[] | typeof WORKER_READY) => {
    if (replies === WORKER_READY) {
      entry.ready = true;
      for (const { task } of entry.queued.splice(0)) {
        entry.outbox.push(task);
      }
      return;
    }
    for (const reply of replies) {
      const pending = entry.pending.get(reply.id);
      if (!pending) {
        continue;
      }
      entry.pending.delete(reply.id);
      if (reply.result) {
        pending.resolve({ result: reply.result, body: reply.body });
      } else {
        pending.reject(new Error(`An ingest worker failed on a batch: ${reply.error ?? 'unknown error'}`));
      }
    }
    if (entry.pending.size === 0) {
      worker.unref();
      if (pool.closed) {
        void worker.terminate();
      }
    }
  });
  worker.on('error', (error) => failWorker(pool, entry, error));
  worker.on('exit', (code) => {
    liveWorkers.delete(worker);
    if (pool.workers.includes(entry) || entry.pending.size > 0) {
      failWorker(pool, entry, new Error(`An ingest worker exited with code ${code}.`));
    }
  });
  pool.workers.push(entry);
  return entry;
}

/** The worker to give the next batch: an idle one, else a new one while below the size, else the least busy. */
function pickWorker(pool: SharedPool, spawn: Spawner['spawn']): PoolWorker {
  let best: PoolWorker | undefined;
  for (const entry of pool.workers) {
    if (!best || entry.pending.size < best.pending.size) {
      best = entry;
    }
  }
  if (best && (best.pending.size === 0 || pool.workers.length >= (pool.size ?? 1))) {
    return best;
  }
  return addWorker(pool, spawn);
}

async function decodeInPool(
  pool: SharedPool,
  body: Uint8Array,
  receivedAt: number,
  limits: DecodeLimits,
): Promise<DecodeOutcome> {
  const loaded = pool.inline || pool.closed ? undefined : await loadSpawner();
  if (!loaded || pool.inline || pool.closed) {
    return inlineDecoder.decode(body, receivedAt, limits);
  }
  pool.size ??= defaultIngestWorkers(loaded.availableParallelism);
  const entry = pickWorker(pool, loaded.spawn);
  const id = pool.nextId++;
  const task: IngestTask = { id, body: movable(body), receivedAt, limits };
  return new Promise<DecodeOutcome>((resolve, reject) => {
    entry.pending.set(id, { resolve, reject });
    entry.worker.ref();
    // A worker with nothing to do gets the batch at once: waking it cannot wait for company.
    // A busy one gets the batches of this turn together, at its end (see `outbox`).
    if (entry.ready && entry.pending.size === 1) {
      postTasks(entry.worker, [task]);
    } else if (entry.ready) {
      entry.outbox.push(task);
    } else {
      entry.queued.push({ task, body: task.body });
    }
  });
}

/**
 * A decoder with `size` workers (0: inline; undefined: {@link defaultIngestWorkers} of this
 * machine), shared by every caller in the process that asks for the same size. `onError`
 * hears when workers cannot start and decoding falls back inline.
 */
export function acquireBatchDecoder(
  size: number | undefined,
  onError: (error: unknown) => void,
): BatchDecoder {
  if (size === 0) {
    return inlineDecoder;
  }
  const key = size ?? 'default';
  let pool = pools.get(key);
  if (!pool) {
    pool = { size, users: 0, workers: [], inline: false, closed: false, nextId: 0, onError };
    pools.set(key, pool);
  }
  clearTimeout(pool.lingerTimer);
  pool.users++;
  const shared = pool;
  let released = false;
  return {
    decode: (body, receivedAt, limits) => decodeInPool(shared, body, receivedAt, limits),
    release() {
      if (released) {
        return;
      }
      released = true;
      shared.users--;
      if (shared.users > 0) {
        return;
      }
      shared.lingerTimer = setTimeout(() => {
        pools.delete(key);
        shared.closed = true;
        // Workers with batches in hand end when they answer the last one (see addWorker).
        for (const entry of shared.workers) {
          if (entry.pending.size === 0) {
            void entry.worker.terminate();
          }
        }
      }, INGEST_WORKERS_LINGER_MS);
      // Never keeps a process alive: at exit the workers end with it.
      shared.lingerTimer.unref?.();
    },
  };
}
