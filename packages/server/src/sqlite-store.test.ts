import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
import type { Store } from './store';
import { batchInput, collect, describeStoreContract } from './test/store-contract';
import { fullSnapshot, meta, T0 } from './test/support';

let directory: string;
const stores: Store[] = [];

function open(filename: string): Store {
  const store = createSqliteStore({ filename });
  stores.push(store);
  return store;
}

const input = batchInput;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'replaykit-store-'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.close();
  }
  rmSync(directory, { recursive: true, force: true });
});

describe('createSqliteStore', () => {
  it('creates missing directories, keeps data across reopening and migrates once', async () => {
    const filename = join(directory, 'nested', 'deeper', 'replaykit.db');
    const first = open(filename);
    await first.putBatch(input('s1', [meta(T0), fullSnapshot(T0 + 1)]));
    await first.close();

    const second = open(filename);
    expect(await second.getSession('shop', 's1')).toMatchObject({ eventCount: 2, hasFullSnapshot: true });
    const batches = await collect(second.readBatches('shop', 's1'));
    expect(batches).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(batches[0]!.body)).sessionId).toBe('s1');
    expect((await second.putBatch(input('s1', [meta(T0), fullSnapshot(T0 + 1)]))).duplicate).toBe(true);
    await second.close();
    // Opening a third time must not re-apply any step.
    await open(filename).close();

    const raw = new Database(filename, { readonly: true });
    try {
      const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions).toEqual(
        Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, index) => ({ version: index + 1 })),
      );
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer schema, saying what to do', async () => {
    const filename = join(directory, 'future.db');
    await open(filename).close();
    const raw = new Database(filename);
    raw
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(999, 'x', 0);
    raw.close();
    expect(() => createSqliteStore({ filename })).toThrow(/newer than this replaykit.*Upgrade/);
  });
});

describeStoreContract('SQLite', async () =>
  createSqliteStore({ filename: join(directory, `contract-${Math.random()}.db`) }),
);
