import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { batchInput } from './test/store-contract';
import { click, meta, T0, tableRows } from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-writer-fallback-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe.each([
  [
    'a writer thread that fails to start',
    () => new Worker('throw new Error("no writer here");', { eval: true }),
  ],
  ['no worker threads at all', undefined],
] as const)('SQLite writes with %s', (_name, spawn) => {
  it('commit every batch on the calling thread instead, once each, answered after the commit', async () => {
    // Fresh modules: a writer thread that failed stays off for the rest of a process.
    vi.resetModules();
    const { replaceSpawnerForTests } = await import('./ingest-pool');
    const { createSqliteStore } = await import('./sqlite-store');
    const { sqliteWriterThreadRunning } = await import('./sqlite-writer-client');
    const spawned: Worker[] = [];
    replaceSpawnerForTests(
      spawn
        ? {
            spawn: () => {
              const worker = spawn();
              spawned.push(worker);
              return worker;
            },
            availableParallelism: 2,
          }
        : 'none',
    );
    const store = createSqliteStore({ filename: join(directory, `${Math.random()}.db`) });
    try {
      const inputs = Array.from({ length: 12 }, (_, seq) =>
        batchInput('s1', [meta(T0 + seq), click(T0 + seq + 1)], { seq }),
      );
      const results = await Promise.all(inputs.map((input) => store.putBatch(input)));
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(results.every((result) => !result.duplicate)).toBe(true);
      expect(await store.putBatch(batchInput('s1', [meta(T0)], { seq: 0 }))).toEqual({
        duplicate: true,
        created: false,
      });
      expect(await store.getSession('shop', 's1')).toMatchObject({ eventCount: 24, clickCount: 12 });
      expect(sqliteWriterThreadRunning()).toBe(false);
      // The failing case really started (and lost) a writer thread.
      expect(spawned).toHaveLength(spawn ? 1 : 0);
    } finally {
      await store.close();
      replaceSpawnerForTests(undefined);
    }
  });
});

describe('A SQLite store closed while it learns that no writer thread can start', () => {
  it('commits the batches it took before close() and answers them', async () => {
    vi.resetModules();
    const { replaceSpawnerForTests } = await import('./ingest-pool');
    const { createSqliteStore } = await import('./sqlite-store');
    replaceSpawnerForTests('none');
    const filename = join(directory, `${Math.random()}.db`);
    try {
      const store = createSqliteStore({ filename });
      // The first puts wait for the thread to start; close() comes in the same turn.
      const puts = Array.from({ length: 5 }, (_, seq) =>
        store.putBatch(batchInput('s1', [meta(T0 + seq), click(T0 + seq + 1)], { seq })),
      );
      await store.close();
      const settled = await Promise.allSettled(puts);
      expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
      expect(tableRows(filename, 'SELECT count(*) AS batches FROM batches')).toEqual([{ batches: 5 }]);
    } finally {
      replaceSpawnerForTests(undefined);
    }
  });
});
