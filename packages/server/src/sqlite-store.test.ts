import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createGroupWriter,
  createSqliteStore,
  openSqlite,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
} from './sqlite-store';
import { sqliteWriterThreadRunning } from './sqlite-writer-client';
import { GROUP_MAX_BATCHES, GROUP_MAX_BYTES, groupLength, type Store } from './store';
import { batchInput, collect, describeStoreContract, pageIds } from './test/store-contract';
import { click, fullSnapshot, meta, T0, tableRows } from './test/support';

const require = createRequire(import.meta.url);

let directory: string;
const stores: Store[] = [];

function open(filename: string): Store {
  const store = createSqliteStore({ filename });
  stores.push(store);
  return store;
}

const input = batchInput;

/** How long the other process of a test holds its lock, in ms: well under the busy timeout (5 s). */
const OTHER_PROCESS_LOCK_MS = 300;

/** The user id of `nobody` on Linux and macOS. */
const NOBODY_UID = 65_534;

/**
 * Runs `body` (synchronous) as a user whom file permissions bind: this one, or `nobody` for
 * the call when the tests run as root, whom they do not.
 */
function asUserWhoMayNotWrite<T>(body: () => T): T {
  if (process.geteuid?.() !== 0 || !process.seteuid) {
    return body();
  }
  process.seteuid(NOBODY_UID);
  try {
    return body();
  } finally {
    process.seteuid(0);
  }
}

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

  it('rounds the session time columns a version 2 database kept with fractions, so that list cursors page through them', async () => {
    const filename = join(directory, 'v2.db');
    const first = open(filename);
    for (const sessionId of ['a', 'b', 'c']) {
      await first.putBatch(input(sessionId, [meta(T0), click(T0 + 1_000)]));
    }
    await first.close();
    // What a release before version 3 stored for event times with fractions.
    const raw = new Database(filename);
    raw.exec(`UPDATE sessions SET started_at = started_at + 0.6, duration_ms = duration_ms - 0.6 WHERE id = 'b';
      UPDATE batches SET started_at = started_at + 0.6, timestamp_offset_ms = -0.25 WHERE session_id = 'b';
      DELETE FROM schema_migrations WHERE version = 3`);
    raw.close();
    const second = open(filename);
    expect(await pageIds(second, { limit: 1 })).toEqual(['b', 'c', 'a']);
    await second.close();
    expect(
      tableRows(filename, `SELECT started_at - ${T0} AS start, duration_ms FROM sessions WHERE id = 'b'`),
    ).toEqual([{ start: 1, duration_ms: 999 }]);
    // The batches keep theirs: the markers stored with them were derived with that correction.
    expect(
      tableRows(
        filename,
        `SELECT started_at != round(started_at) AS fractional, timestamp_offset_ms FROM batches WHERE session_id = 'b'`,
      ),
    ).toEqual([{ fractional: 1, timestamp_offset_ms: -0.25 }]);
  });

  it('upgrades a version 1 database, keeping its sessions and batches', async () => {
    const filename = join(directory, 'v1.db');
    const raw = new Database(filename);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    raw.exec(SQLITE_MIGRATIONS[0]?.sql ?? '');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('v1');
    raw
      .prepare(
        `INSERT INTO sessions VALUES ('shop', 'old', ?, ?, 3, 100, 'https://shop.test/', ?, 'u1', ?, 2, 1, '["paid"]', '["w1"]', 1, 0, 0)`,
      )
      .run(T0, T0 + 500, T0, T0 + 1);
    raw
      .prepare(`INSERT INTO batches VALUES ('shop', 'old', 'w1', 0, ?, 'identity', 2, ?)`)
      .run(T0 + 600, Buffer.from('{}'));
    raw.close();

    const store = open(filename);
    expect(await store.getSession('shop', 'old')).toMatchObject({
      id: 'old',
      startedAt: T0,
      durationMs: 500,
      eventCount: 3,
      firstUrl: 'https://shop.test/',
      urls: ['https://shop.test/'],
      userId: 'u1',
      userTraits: null,
      clickCount: 2,
      errorCount: 1,
      keypressCount: 0,
      activeMs: 0,
      customEventNames: ['paid'],
      windowIds: ['w1'],
      hasFullSnapshot: true,
    });
    expect(
      (await store.listSessions('shop', { limit: 5, urlContains: 'SHOP.test', hasErrors: true })).sessions,
    ).toHaveLength(1);
    expect(await collect(store.readBatches('shop', 'old'))).toHaveLength(1);
    // A later batch merges into the carried-over state.
    await store.putBatch(input('old', [meta(T0 + 1_000)], { seq: 1 }));
    expect((await store.getSession('shop', 'old'))?.eventCount).toBe(4);
  });

  it('commits batches that arrive together in one group, failing only the bad one', async () => {
    const store = open(join(directory, 'group.db'));
    const bad = { ...input('s2', [meta(T0)]), encoding: 'bogus' as 'gzip' };
    const results = await Promise.allSettled([
      store.putBatch(input('s1', [meta(T0)])),
      store.putBatch(bad),
      store.putBatch(input('s1', [meta(T0 + 1)], { seq: 1 })),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.getSession('shop', 's1'))?.eventCount).toBe(2);
    expect(await store.getSession('shop', 's2')).toBeUndefined();
    expect(await collect(store.readBatches('shop', 's2'))).toEqual([]);
  });

  it.each([
    ['in the writer thread', true],
    ['on the calling thread', false],
  ])(
    'refuses batches and readiness, committing %s, once its file is deleted or replaced while open',
    async (_, writerThread) => {
      const filename = join(directory, 'served.db');
      const store = createSqliteStore({ filename, writerThread });
      stores.push(store);
      await store.putBatch(input('s1', [meta(T0)]));

      // Deleted (with its WAL): SQLite would go on committing into files that no one can open again.
      for (const suffix of ['', '-wal', '-shm']) {
        rmSync(`${filename}${suffix}`, { force: true });
      }
      await expect(store.putBatch(input('s1', [meta(T0 + 1)], { seq: 1 }))).rejects.toThrow(
        /served\.db was deleted or replaced.*Restart/,
      );
      await expect(store.ping()).rejects.toThrow(/deleted or replaced/);

      // Replaced, as a restore that moves a copy over it would.
      await open(join(directory, 'restored.db')).close();
      renameSync(join(directory, 'restored.db'), filename);
      await expect(store.putBatch(input('s1', [meta(T0 + 2)], { seq: 2 }))).rejects.toThrow(
        /deleted or replaced/,
      );
      await expect(store.ping()).rejects.toThrow(/deleted or replaced/);
      // Nothing was acknowledged into a file that a restart would not open.
      expect(tableRows(filename, 'SELECT count(*) AS n FROM batches')).toEqual([{ n: 0 }]);
    },
  );

  it('refuses at start a database file it may not write, naming it and what to do, instead of serving without storing', async () => {
    const filename = join(directory, 'theirs.db');
    await open(filename).close();
    // Written by another user (a migrate run as root, a restore): this one may read it, not write it.
    chmodSync(filename, 0o444);
    chmodSync(directory, 0o777);
    expect(() => asUserWhoMayNotWrite(() => open(filename))).toThrow(/theirs\.db.*read and write it/);
  });

  it('waits, as for any lock, while another process holds a new file it is creating', async () => {
    const filename = join(directory, 'shared.db');
    // Another process creating the file, as a second server started at the same moment does:
    // it writes the first pages in a transaction of the rollback journal, before WAL.
    const other = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(filename)});
        db.exec('BEGIN IMMEDIATE; CREATE TABLE other_process (id INTEGER)');
        console.log('locked');
        setTimeout(() => db.exec('COMMIT'), ${OTHER_PROCESS_LOCK_MS});`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => other.once('exit', resolve));
    await new Promise((resolve) => other.stdout.once('data', resolve));
    // Switching to WAL got SQLITE_BUSY at once, without the busy timeout's wait.
    const store = open(filename);
    await store.putBatch(input('s1', [meta(T0)]));
    expect(await store.getSession('shop', 's1')).toBeDefined();
    await exited;
    expect(tableRows(filename, 'SELECT count(*) AS n FROM other_process')).toEqual([{ n: 0 }]);
  });

  it('refuses a file that is not a SQLite database, naming it and what to do', () => {
    const filename = join(directory, 'notes.db');
    writeFileSync(filename, 'not a database, but something worth keeping\n'.repeat(200));
    expect(() => open(filename)).toThrow(/notes\.db is not a SQLite database.*another file/);
  });

  it('refuses a directory given as the database, naming it and a file to give instead', () => {
    const folder = join(directory, 'data');
    mkdirSync(folder);
    expect(() => open(folder)).toThrow(
      `${folder} is a directory, not a SQLite database file; give a file in it, such as ${join(folder, 'replaykit.db')}.`,
    );
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

describeStoreContract('SQLite, commits in the writer thread', async () =>
  createSqliteStore({ filename: join(directory, `contract-${Math.random()}.db`) }),
);

describeStoreContract('SQLite, commits on the calling thread', async () =>
  createSqliteStore({ filename: join(directory, `contract-${Math.random()}.db`), writerThread: false }),
);

describe('the SQLite writer thread', () => {
  it('commits a file database off the calling thread, answers after the commit, and ends after the last store closes', async () => {
    const filename = join(directory, 'threaded.db');
    const store = open(filename);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, seq) => store.putBatch(input('s1', [meta(T0 + seq)], { seq }))),
    );
    expect(sqliteWriterThreadRunning()).toBe(true);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    // Acknowledged means committed: another connection sees every batch at once.
    expect(tableRows(filename, 'SELECT count(*) AS n FROM batches')).toEqual([{ n: 20 }]);
    expect(await store.putBatch(input('s1', [meta(T0)], { seq: 3 }))).toEqual({
      duplicate: true,
      created: false,
    });
    await store.close();
    await vi.waitFor(() => expect(sqliteWriterThreadRunning()).toBe(false), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('is not used for an in-memory database, nor with writerThread: false', async () => {
    await vi.waitFor(() => expect(sqliteWriterThreadRunning()).toBe(false), {
      timeout: 10_000,
      interval: 50,
    });
    for (const store of [
      open(':memory:'),
      createSqliteStore({ filename: join(directory, 'here.db'), writerThread: false }),
    ]) {
      stores.push(store);
      await store.putBatch(input('s1', [meta(T0)]));
      expect(await store.getSession('shop', 's1')).toBeDefined();
    }
    expect(sqliteWriterThreadRunning()).toBe(false);
  });
});

describe('SQLite group commit', () => {
  /** Counts the outer transactions a group writer runs on `db` (nested calls would be savepoints). */
  function countTransactions(db: Database.Database): { count: number } {
    const counter = { count: 0 };
    const transaction = db.transaction.bind(db);
    db.transaction = ((body: Parameters<typeof transaction>[0]) => {
      const real = transaction(body);
      return Object.assign((...args: unknown[]) => real(...(args as [])), {
        immediate: (...args: unknown[]) => {
          counter.count++;
          return real.immediate(...(args as []));
        },
      });
    }) as unknown as typeof db.transaction;
    return counter;
  }

  /** A database file with the store's schema, and a connection of its own for a group writer. */
  async function writerConnection(name: string): Promise<Database.Database> {
    const filename = join(directory, name);
    await open(filename).close();
    return openSqlite(filename, 'normal');
  }

  it('splits a queue longer than one group into transactions of at most GROUP_MAX_BATCHES, answering every batch', async () => {
    const db = await writerConnection('groups.db');
    const transactions = countTransactions(db);
    try {
      const inputs = Array.from({ length: GROUP_MAX_BATCHES * 2 + 10 }, (_, seq) =>
        input('s-groups', [meta(T0 + seq)], { seq }),
      );
      const outcomes = createGroupWriter(db).commit(inputs);
      expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(inputs.length);
      expect(transactions.count).toBe(3);
      expect(db.prepare('SELECT count(*) AS n FROM batches').get()).toEqual({ n: inputs.length });
    } finally {
      db.close();
    }
  });

  it('writes the batches of a group that a bad batch failed again one per transaction, and only the bad one fails', async () => {
    const db = await writerConnection('retry.db');
    const transactions = countTransactions(db);
    try {
      const bad = { ...input('s-bad', [meta(T0)]), encoding: 'bogus' as 'gzip' };
      const outcomes = createGroupWriter(db).commit([
        input('s-good', [meta(T0)]),
        bad,
        input('s-good', [meta(T0 + 1)], { seq: 1 }),
      ]);
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
      expect(String((outcomes[1] as { error: unknown }).error)).toMatch(/CHECK constraint/);
      // The group's transaction, then one per batch.
      expect(transactions.count).toBe(4);
      expect(db.prepare('SELECT session_id, seq FROM batches ORDER BY seq').all()).toEqual([
        { session_id: 's-good', seq: 0 },
        { session_id: 's-good', seq: 1 },
      ]);
    } finally {
      db.close();
    }
  });

  it('fails every batch at once when the database refuses the transaction itself, without trying them one by one', async () => {
    const db = await writerConnection('busy.db');
    db.pragma('busy_timeout = 0');
    const transactions = countTransactions(db);
    // Another connection holds the write lock.
    const other = new Database(join(directory, 'busy.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = createGroupWriter(db).commit([
        input('s-busy', [meta(T0)]),
        input('s-busy', [meta(T0 + 1)], { seq: 1 }),
      ]);
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([false, false]);
      expect(String((outcomes[0] as { error: unknown }).error)).toMatch(/database is locked/);
      expect(transactions.count).toBe(1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      db.close();
    }
  });
});

describe('groupLength', () => {
  const sized = (bytes: number[]) => bytes.map((size) => ({ size }));
  const length = (items: Array<{ size: number }>, from = 0) => groupLength(items, from, (item) => item.size);

  it('takes at most GROUP_MAX_BATCHES and GROUP_MAX_BYTES of bodies, and at least one', () => {
    expect(length(sized(Array(200).fill(10)))).toBe(GROUP_MAX_BATCHES);
    expect(length(sized(Array(200).fill(10)), 190)).toBe(10);
    const third = Math.floor(GROUP_MAX_BYTES / 3);
    expect(length(sized([third, third, third, third]))).toBe(3);
    expect(length(sized([GROUP_MAX_BYTES * 2, 10]))).toBe(1);
    expect(length(sized([10, GROUP_MAX_BYTES * 2]))).toBe(1);
    expect(length([])).toBe(0);
  });
});
