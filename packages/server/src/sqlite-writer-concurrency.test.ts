import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadSpawner, replaceSpawnerForTests } from './ingest-pool';
import { createSqliteStore } from './sqlite-store';
import { sqliteWriterThreadRunning } from './sqlite-writer-client';
import type { Store } from './store';
import { batchInput, putGroupedAndSequential } from './test/store-contract';
import { click, meta, T0, tableRows } from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-writer-concurrency-'));
let files = 0;

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function newFile(): string {
  files++;
  return join(directory, `${files}.db`);
}

/**
 * The SQLite store from fresh modules (a writer thread that failed stays off for the rest of a
 * process), its writer threads handed to `onSpawn` as they start; `restore` puts the spawner back.
 */
async function freshStoreWithThreads(onSpawn: (worker: Worker) => void) {
  vi.resetModules();
  const pool = await import('./ingest-pool');
  const { createSqliteStore: createStore } = await import('./sqlite-store');
  const real = await loadSpawner();
  if (!real) {
    throw new Error('This test needs worker threads.');
  }
  pool.replaceSpawnerForTests({
    spawn: (entry) => {
      const worker = real.spawn(entry);
      onSpawn(worker);
      return worker;
    },
    availableParallelism: 2,
  });
  const restore = () => {
    pool.replaceSpawnerForTests(undefined);
    replaceSpawnerForTests(undefined);
  };
  return { createStore, restore };
}

describe('SQLite writes through the writer thread', () => {
  it('give the session rows of one-by-one ingestion when a session has several batches in one group', async () => {
    const groupedFile = newFile();
    const sequentialFile = newFile();
    const grouped = createSqliteStore({ filename: groupedFile });
    const sequential = createSqliteStore({ filename: sequentialFile, writerThread: false });
    try {
      await putGroupedAndSequential(grouped, sequential);
    } finally {
      await Promise.all([grouped.close(), sequential.close()]);
    }
    for (const sql of [
      'SELECT * FROM sessions ORDER BY project_id, id',
      'SELECT * FROM session_events ORDER BY 1, 2, 3, 4, 5',
      'SELECT * FROM batches ORDER BY project_id, session_id, window_id, seq',
    ]) {
      expect(tableRows(groupedFile, sql)).toEqual(tableRows(sequentialFile, sql));
    }
  });

  it('store a batch sent twice in one group once, answering the second copy as a duplicate', async () => {
    const filename = newFile();
    const store = createSqliteStore({ filename });
    try {
      const input = batchInput('twice', [meta(T0), click(T0 + 1)]);
      const results = await Promise.all([store.putBatch(input), store.putBatch({ ...input })]);
      expect(results).toEqual([
        { duplicate: false, created: true },
        { duplicate: true, created: false },
      ]);
      expect(await store.getSession('shop', 'twice')).toMatchObject({ eventCount: 2, clickCount: 1 });
    } finally {
      await store.close();
    }
    expect(tableRows(filename, 'SELECT seq FROM batches')).toEqual([{ seq: 0 }]);
  });
});

describe('Closing a SQLite store', () => {
  it.each([
    ['in its writer thread', true],
    ['on the main thread (writerThread: false)', false],
  ])('answers every batch still queued, after committing it, %s', async (_name, writerThread) => {
    const filename = newFile();
    const store = createSqliteStore({ filename, writerThread });
    const puts = Array.from({ length: 60 }, (_, seq) =>
      store.putBatch(batchInput(`closing-${seq % 3}`, [meta(T0 + seq), click(T0 + seq + 1)], { seq })),
    );
    await store.close();
    const settled = await Promise.allSettled(puts);
    expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(tableRows(filename, 'SELECT count(*) AS batches FROM batches')).toEqual([{ batches: 60 }]);
  });

  it('answers every batch still queued before a second close() resolves', async () => {
    const store = createSqliteStore({ filename: newFile() });
    await store.putBatch(batchInput('warm', [meta(T0)]));
    let answered = 0;
    const puts = Array.from({ length: 50 }, (_, seq) =>
      store.putBatch(batchInput('twice-closed', [meta(T0 + seq)], { seq })).then(() => {
        answered++;
      }),
    );
    const first = store.close();
    await store.close();
    expect(answered).toBe(50);
    await Promise.all([first, ...puts]);
  });

  it('answers every batch still queued, in memory', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    const puts = Array.from({ length: 6 }, (_, seq) =>
      store.putBatch(batchInput('closing', [meta(T0 + seq)], { seq })),
    );
    await store.close();
    expect(await Promise.all(puts)).toEqual([
      { duplicate: false, created: true },
      ...Array.from({ length: 5 }, () => ({ duplicate: false, created: false })),
    ]);
  });
});

describe('A closed SQLite store', () => {
  it('refuses batches, so the writer thread still ends', async () => {
    const store = createSqliteStore({ filename: newFile() });
    await store.putBatch(batchInput('s1', [meta(T0)]));
    await store.close();
    await expect(store.putBatch(batchInput('s1', [meta(T0 + 1)], { seq: 1 }))).rejects.toThrow(
      /store is closed/,
    );
    await vi.waitFor(() => expect(sqliteWriterThreadRunning()).toBe(false), { timeout: 5_000, interval: 50 });
  });

  it.each([
    ['in memory', ':memory:'],
    ['without a writer thread', 'file'],
  ])('refuses batches with the same error %s', async (_name, kind) => {
    const store =
      kind === 'file'
        ? createSqliteStore({ filename: newFile(), writerThread: false })
        : createSqliteStore({ filename: ':memory:' });
    await store.putBatch(batchInput('s1', [meta(T0)]));
    await store.close();
    await expect(store.putBatch(batchInput('s1', [meta(T0 + 1)], { seq: 1 }))).rejects.toThrow(
      'The SQLite store is closed; open it again to store batches.',
    );
  });
});

describe.each([
  ['before it answers anything', 'spawned'],
  ['right after its first answer', 'answered'],
] as const)('A SQLite writer thread that dies %s', (_name, when) => {
  it('loses no batch: each is committed once and answered (a committed one as a duplicate at worst)', async () => {
    const spawned: Worker[] = [];
    const { createStore, restore } = await freshStoreWithThreads((worker) => {
      spawned.push(worker);
      if (when === 'spawned') {
        setImmediate(() => void worker.terminate());
      } else {
        worker.once('message', () => void worker.terminate());
      }
    });
    const filename = newFile();
    let store: Store | undefined;
    try {
      store = createStore({ filename });
      const opened = store;
      const inputs = Array.from({ length: 40 }, (_, seq) =>
        batchInput(`dies-${seq % 2}`, [meta(T0 + seq), click(T0 + seq + 1)], { seq }),
      );
      const results = await Promise.all(inputs.map((input) => opened.putBatch(input)));
      expect(spawned).toHaveLength(1);
      expect(results).toHaveLength(40);
      if (when === 'spawned') {
        // Nothing reached the thread: every batch is new, and each session created once.
        expect(results.filter((result) => result.created)).toHaveLength(2);
        expect(results.some((result) => result.duplicate)).toBe(false);
      }
      // Otherwise batches of a group the thread committed but did not answer come back as
      // duplicates (how many depends on how it grouped them); the rows below are what counts.
      for (const sessionId of ['dies-0', 'dies-1']) {
        expect(await opened.getSession('shop', sessionId)).toMatchObject({ eventCount: 40, clickCount: 20 });
      }
    } finally {
      await store?.close();
      restore();
    }
    expect(tableRows(filename, 'SELECT count(*) AS batches FROM batches')).toEqual([{ batches: 40 }]);
  });
});

describe('A SQLite writer thread that dies while its store closes', () => {
  it('loses no batch: those in its hands are written on the calling thread before close() resolves', async () => {
    const { createStore, restore } = await freshStoreWithThreads((worker) => {
      worker.once('message', () => void worker.terminate());
    });
    const filename = newFile();
    try {
      const store = createStore({ filename });
      const puts = Array.from({ length: 40 }, (_, seq) =>
        store.putBatch(batchInput(`dies-${seq % 2}`, [meta(T0 + seq), click(T0 + seq + 1)], { seq })),
      );
      await store.close();
      const settled = await Promise.allSettled(puts);
      expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
    } finally {
      restore();
    }
    expect(tableRows(filename, 'SELECT count(*) AS batches FROM batches')).toEqual([{ batches: 40 }]);
  });
});
