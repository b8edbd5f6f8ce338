import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createReplayServer, DEFAULT_LIMITS } from './app';
import {
  acquireBatchDecoder,
  type BatchDecoder,
  ingestWorkerThreads,
  loadSpawner,
  replaceSpawnerForTests,
} from './ingest-pool';
import { createSqliteStore } from './sqlite-store';
import { batch, click, ingestRequest, meta, T0, TEST_PROJECTS } from './test/support';

const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));

afterEach(() => {
  replaceSpawnerForTests(undefined);
});

/** A worker that says it is ready, then dies on the first batch it gets. */
const DIES_ON_FIRST_BATCH: Record<string, string> = {
  exits: `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => process.exit(3));
    parentPort.postMessage('ready');`,
  throws: `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => { throw new Error('worker bug'); });
    parentPort.postMessage('ready');`,
};

describe.each(Object.keys(DIES_ON_FIRST_BATCH))('An ingest worker that %s mid-batch', (how) => {
  it('fails the batches in its hands with an error, and the pool goes on with a new worker', async () => {
    const real = await loadSpawner();
    if (!real) {
      throw new Error('This test needs worker threads.');
    }
    let spawned = 0;
    replaceSpawnerForTests({
      spawn: (entry) => {
        spawned++;
        return spawned === 1
          ? new Worker(DIES_ON_FIRST_BATCH[how] as string, { eval: true })
          : real.spawn(entry);
      },
      availableParallelism: 2,
    });
    const errors: unknown[] = [];
    // A size of its own, so that no other test's pool is reused.
    const decoder = acquireBatchDecoder(how === 'exits' ? 7 : 8, (error) => errors.push(error));
    try {
      const receivedAt = Date.now();
      await expect(
        decoder.decode(json(batch('s1', [meta(T0), click(T0 + 1)])), receivedAt, DEFAULT_LIMITS),
      ).rejects.toThrow(how === 'exits' ? /exited with code 3/ : /worker bug/);
      const next = await decoder.decode(
        json(batch('s1', [click(T0 + 2)], { seq: 1 })),
        receivedAt,
        DEFAULT_LIMITS,
      );
      expect(next.result).toMatchObject({ ok: true, sessionId: 's1', seq: 1 });
      expect(spawned).toBe(2);
      // A worker that ran is not a worker that cannot start: no fallback to inline was reported.
      expect(errors).toEqual([]);
    } finally {
      decoder.release();
    }
  });
});

/** A worker that answers every batch of a message with how many batches that message held. */
const COUNTS_BATCHES_PER_MESSAGE = `const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (tasks) => parentPort.postMessage(tasks.map((task) => ({
    id: task.id,
    body: task.body,
    result: { ok: false, status: 400, code: 'invalid_batch', message: String(tasks.length) },
  }))));
  parentPort.postMessage('ready');`;

/**
 * Decodes a first batch, which waits for the worker to say it is ready, then three more in
 * one event loop turn, so that they travel to the worker in one message; resolves with the
 * three outcomes.
 */
async function decodeThreeInOneTurn(decoder: BatchDecoder) {
  const receivedAt = Date.now();
  await decoder.decode(json(batch('s1', [meta(T0)])), receivedAt, DEFAULT_LIMITS);
  return Promise.all(
    [1, 2, 3].map((seq) =>
      decoder.decode(json(batch('s1', [click(T0 + seq)], { seq })), receivedAt, DEFAULT_LIMITS),
    ),
  );
}

describe('Batches handed to an ingest worker in one event loop turn', () => {
  it('go at once to an idle worker and together to a busy one, and their answers come back to each caller', async () => {
    replaceSpawnerForTests({
      spawn: () => new Worker(COUNTS_BATCHES_PER_MESSAGE, { eval: true }),
      availableParallelism: 2,
    });
    // One worker (a size of its own in this file), so that the three cannot spread over several.
    const decoder = acquireBatchDecoder(1, () => undefined);
    try {
      const outcomes = await decodeThreeInOneTurn(decoder);
      // The first alone (waking an idle worker cannot wait), the other two in one message.
      expect(outcomes.map((outcome) => outcome.result)).toEqual(
        ['1', '2', '2'].map((message) => expect.objectContaining({ ok: false, message })),
      );
      // Each caller gets its own body back.
      expect(outcomes.map((outcome) => JSON.parse(new TextDecoder().decode(outcome.body)).seq)).toEqual([
        1, 2, 3,
      ]);
    } finally {
      decoder.release();
    }
  });
});

/** A one-worker decoder, released when the test ends, whose worker has started (its start is not timed). */
async function startedDecoder(): Promise<BatchDecoder> {
  const decoder = acquireBatchDecoder(1, () => undefined);
  onTestFinished(() => decoder.release());
  await decoder.decode(json(batch('s1', [click(T0)])), Date.now(), DEFAULT_LIMITS);
  return decoder;
}

/** `count` clicks a millisecond apart, for batches that take long to decode. */
const clicks = (count: number) => Array.from({ length: count }, (_, index) => click(T0 + index));

describe('The real ingest worker', () => {
  it('answers each batch as soon as it is decoded, not with the rest of its message', async () => {
    const real = await loadSpawner();
    if (!real) {
      throw new Error('This test needs worker threads.');
    }
    // How many answers each message from the worker carried.
    const answersPerMessage: number[] = [];
    replaceSpawnerForTests({
      spawn: (entry) => {
        const worker = real.spawn(entry);
        worker.on('message', (message: unknown) => {
          if (Array.isArray(message)) {
            answersPerMessage.push(message.length);
          }
        });
        return worker;
      },
      availableParallelism: 2,
    });
    // One worker, so that the three batches cannot spread over several; the one-worker pool of
    // the test above must have ended first (it lingers a moment after its release).
    await vi.waitFor(() => expect(ingestWorkerThreads()).toBe(0), { timeout: 10_000, interval: 50 });
    const decoder = acquireBatchDecoder(1, () => undefined);
    try {
      const outcomes = await decodeThreeInOneTurn(decoder);
      expect(outcomes.map((outcome) => outcome.result)).toEqual(
        [1, 2, 3].map((seq) => expect.objectContaining({ ok: true, seq })),
      );
      // Held until the end of the turn, the three answers would come back together.
      expect(answersPerMessage).toEqual([1, 1, 1, 1]);
    } finally {
      decoder.release();
    }
  });

  it('answers a small batch before the large ones that travelled with it are decoded', async () => {
    const decoder = await startedDecoder();
    const large = (seq: number) => json(batch('s1', clicks(40_000), { seq }));
    // The first goes to the idle worker at once; while it decodes that one, the other three
    // travel together: a small batch, then two that take long to decode.
    const bodies = [large(0), json(batch('s1', [click(T0)], { seq: 1 })), large(2), large(3)];
    const started = performance.now();
    const [first = 0, small = 0, , last = 0] = await Promise.all(
      bodies.map((body) =>
        decoder.decode(body, Date.now(), DEFAULT_LIMITS).then(({ result }) => {
          expect(result.ok).toBe(true);
          return performance.now() - started;
        }),
      ),
    );
    // The small batch is answered before the two large ones of its message are decoded;
    // decoded together, the three came back at once.
    expect(last - small).toBeGreaterThan((last - first) / 2);
  });

  it('answers a small batch behind one that inflates on the thread pool without waiting for it', async () => {
    const decoder = await startedDecoder();
    // Over 4 MB once inflated: inflated off the worker's thread, and long to read after that.
    const inflatesOnThePool = gzipSync(JSON.stringify(batch('s1', clicks(60_000))));
    const order: string[] = [];
    await Promise.all([
      decoder
        .decode(new Uint8Array(inflatesOnThePool), Date.now(), DEFAULT_LIMITS)
        .then(({ result }) => order.push(`large ${result.ok}`)),
      decoder
        .decode(json(batch('s1', [click(T0)], { seq: 1 })), Date.now(), DEFAULT_LIMITS)
        .then(({ result }) => order.push(`small ${result.ok}`)),
    ]);
    expect(order).toEqual(['small true', 'large true']);
  });
});

describe('Ingest workers after every server closed', () => {
  it('start again for the next server of the process', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    try {
      const serve = async (seq: number) => {
        const server = createReplayServer({ store, projects: TEST_PROJECTS, ingestWorkers: 2 });
        const response = await server.app.fetch(ingestRequest(batch('again', [meta(T0 + seq)], { seq })));
        expect(response.status).toBe(200);
        expect(ingestWorkerThreads()).toBeGreaterThan(0);
        server.close();
      };
      await serve(0);
      await vi.waitFor(() => expect(ingestWorkerThreads()).toBe(0), { timeout: 10_000, interval: 50 });
      await serve(1);
      await vi.waitFor(() => expect(ingestWorkerThreads()).toBe(0), { timeout: 10_000, interval: 50 });
      expect(await store.getSession('shop', 'again')).toMatchObject({ eventCount: 2 });
    } finally {
      await store.close();
    }
  });
});

describe('createReplayServer', () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses ingestWorkers %s, saying what it takes',
    (ingestWorkers) => {
      const store = createSqliteStore({ filename: ':memory:' });
      try {
        expect(() => createReplayServer({ store, projects: TEST_PROJECTS, ingestWorkers })).toThrow(
          /ingestWorkers must be a whole number of 0 or more/,
        );
      } finally {
        void store.close();
      }
    },
  );
});
