import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { SessionSummary, TimelineMarker } from '@replaykit/core';
import Database from 'better-sqlite3';
import { buildListQuery } from './sql';
import { acquireSqliteWriter, storeClosedError } from './sqlite-writer-client';
import {
  type BatchBodyRow,
  type BatchRefRow,
  batchRowValues,
  checkSweepLimit,
  groupLength,
  markersFromRows,
  mergeSessionState,
  newSessionState,
  orderBatchRefs,
  type ProjectUsage,
  type PutBatchInput,
  type PutBatchResult,
  parseSessionState,
  SessionDeletedError,
  type Store,
  type StoredBatch,
  searchableText,
  sessionColumns,
  sessionPageFromRows,
  storedBatch,
} from './store';
import { createTurnQueue } from './turn-queue';

/** How long a write waits for another process's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5_000;

/** How long to wait before trying again to switch a database to WAL, in ms. */
const WAL_SWITCH_RETRY_MS = 10;

/** How hard SQLite works to keep a commit through a power cut. */
export type SqliteDurability = 'full' | 'normal';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. `:memory:` keeps everything in memory. */
  filename: string;
  /**
   * `full` (default) syncs every commit to disk before the batch is acknowledged, so an
   * acknowledged batch survives a power cut; `normal` survives a crash of the process
   * but may lose the last commits on power loss, and writes faster.
   */
  durability?: SqliteDurability;
  /**
   * Commit batches in a writer thread (default, for files) so that commits and their disk
   * syncs never block the thread that serves HTTP; false commits on the calling thread.
   */
  writerThread?: boolean;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, one step per version. Applied steps are recorded in `schema_migrations`, so
 * opening a database again only runs the new ones. Never edit a released step: add one.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions and batches',
    sql: `
      CREATE TABLE sessions (
        project_id TEXT NOT NULL,
        id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        event_count INTEGER NOT NULL,
        byte_count INTEGER NOT NULL,
        first_url TEXT,
        first_url_at INTEGER,
        user_id TEXT,
        user_id_at INTEGER,
        click_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        custom_event_names TEXT NOT NULL,
        window_ids TEXT NOT NULL,
        has_full_snapshot INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC);
      CREATE TABLE batches (
        project_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        window_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        encoding TEXT NOT NULL CHECK (encoding IN ('gzip', 'identity')),
        byte_count INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (project_id, session_id, window_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'session state, sort and filter columns, batch markers, custom event properties',
    // Sessions move to one JSON state document beside the columns that lists filter and
    // sort on; v1 rows are carried over with zeros for the counts v1 did not keep.
    sql: `
      CREATE TABLE sessions_v2 (
        project_id TEXT NOT NULL,
        id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        active_ms INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        byte_count INTEGER NOT NULL,
        user_id TEXT,
        urls_text TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, id)
      ) WITHOUT ROWID;
      INSERT INTO sessions_v2
        SELECT project_id, id, started_at, ended_at, ended_at - started_at, 0, error_count, byte_count,
          user_id, lower(coalesce(first_url, '')),
          json_object(
            'summary', json_object(
              'id', id, 'startedAt', started_at, 'endedAt', ended_at,
              'durationMs', ended_at - started_at, 'activeMs', 0, 'eventCount', event_count,
              'byteCount', byte_count, 'firstUrl', first_url,
              'urls', CASE WHEN first_url IS NULL THEN json('[]') ELSE json_array(first_url) END,
              'userId', user_id, 'userTraits', NULL, 'clickCount', click_count, 'keypressCount', 0,
              'errorCount', error_count, 'consoleErrorCount', 0, 'consoleWarnCount', 0,
              'rageClickCount', 0, 'deadClickCount', 0, 'failedRequestCount', 0,
              'customEventNames', json(custom_event_names), 'windowIds', json(window_ids),
              'hasFullSnapshot', json(CASE WHEN has_full_snapshot THEN 'true' ELSE 'false' END)),
            'firstUrlAt', first_url_at, 'identifiedAt', user_id_at, 'activity', json('[]'),
            'settledActiveMs', 0),
          created_at, updated_at
        FROM sessions;
      DROP TABLE sessions;
      ALTER TABLE sessions_v2 RENAME TO sessions;
      CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC);
      CREATE INDEX sessions_by_duration ON sessions (project_id, duration_ms DESC, id DESC);
      CREATE INDEX sessions_by_errors ON sessions (project_id, error_count DESC, started_at DESC, id DESC);
      CREATE INDEX sessions_by_user ON sessions (project_id, user_id, started_at DESC, id DESC);
      CREATE INDEX sessions_by_end ON sessions (project_id, ended_at);
      ALTER TABLE batches ADD COLUMN started_at INTEGER NOT NULL DEFAULT 0;
      UPDATE batches SET started_at = received_at;
      ALTER TABLE batches ADD COLUMN timestamp_offset_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE batches ADD COLUMN markers TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE session_events (
        project_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        name TEXT NOT NULL,
        property TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (project_id, session_id, name, property, value)
      ) WITHOUT ROWID;
      CREATE INDEX session_events_by_name ON session_events (project_id, name, property, value);
    `,
  },
  {
    version: 3,
    name: 'session time columns in whole milliseconds',
    // Releases before this one kept the fractions of event times in these columns, which list
    // cursors now carry as integers (as PostgreSQL's bigint columns hold them); only rows with
    // a fraction change. SQLite's round() agrees with sessionColumns' Math.round on the
    // non-negative values these hold. The batches keep their columns: their start only orders
    // them, and their clock correction is what their markers were derived with.
    sql: `
      UPDATE sessions SET started_at = round(started_at), ended_at = round(ended_at),
          duration_ms = round(duration_ms), active_ms = round(active_ms)
        WHERE started_at != round(started_at) OR ended_at != round(ended_at)
          OR duration_ms != round(duration_ms) OR active_ms != round(active_ms);
    `,
  },
];

/** The newest schema version this code knows. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;

interface StateRow {
  state: string;
}

function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  // IMMEDIATE takes the write lock first, so two processes opening one new file cannot
  // both apply the same step.
  db.transaction(() => {
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const current = row.version ?? 0;
    if (current > SQLITE_SCHEMA_VERSION) {
      throw new Error(
        `The database has schema version ${current}, newer than this replaykit understands (${SQLITE_SCHEMA_VERSION}). Upgrade @replaykit/server, or point it at another database file.`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version > current) {
        db.exec(migration.sql);
        record.run(migration.version, migration.name, Date.now());
      }
    }
  }).immediate();
}

/**
 * Throws unless `db` may write its file. SQLite opens a file that this process may not write
 * read-only without a word, and in WAL mode even `BEGIN IMMEDIATE` succeeds: only the first
 * page written fails. So one page is written and rolled back, which reaches no disk.
 */
function checkWritable(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.pragma(`user_version = ${version}`);
  } finally {
    if (db.inTransaction) {
      db.exec('ROLLBACK');
    }
  }
}

/** What opening the database at `path` threw, naming it and, for a problem of the file, what to do. */
function openError(path: string, error: unknown): unknown {
  // SQLite's own error for a directory, "unable to open database file", names no path.
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    return new Error(
      `${path} is a directory, not a SQLite database file; give a file in it, such as ${join(path, 'replaykit.db')}.`,
      { cause: error },
    );
  }
  const code = String((error as { code?: unknown } | null)?.code);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new Error(
      `${path} is not a SQLite database, or it is damaged (${(error as Error).message}). Point replaykit at another file; to start an empty database here, move this file away first (it may hold something worth keeping), or restore it from a backup.`,
      { cause: error },
    );
  }
  if (!(code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN')) {
    return error;
  }
  const name = basename(path);
  return new Error(
    `replaykit cannot write the SQLite database ${path} (${(error as Error).message}): the user it runs as must be able to read and write it and to create files in its directory (SQLite keeps ${name}-wal and ${name}-shm beside it). Change the owner or permissions, or point replaykit at another file.`,
    { cause: error },
  );
}

/** The store's connection to `filename`: migrated, and refused unless it may write. */
function openMigrated(filename: string, durability: SqliteDurability): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = openSqlite(filename, durability);
    migrate(db);
    checkWritable(db);
    return db;
  } catch (error) {
    db?.close();
    throw openError(resolve(filename), error);
  }
}

/**
 * A check that throws once the file `db` opened is no longer the one at its path: deleted
 * (with or without its WAL) or replaced (a restore moved over it). SQLite would go on
 * committing into the file it holds open, which no process can open again, so every batch
 * acknowledged from then on would be lost at the next start.
 */
export function databaseFileCheck(db: Database.Database): () => void {
  if (db.memory) {
    return () => {};
  }
  const path = resolve(db.name);
  const opened = statSync(path);
  return () => {
    const current = statSync(path, { throwIfNoEntry: false });
    if (current?.ino !== opened.ino || current.dev !== opened.dev) {
      throw new Error(
        `The SQLite database file ${path} was deleted or replaced while replaykit had it open, so nothing more can be stored in it. Restart replaykit to open the file now at that path (move the original back first if it was moved by mistake).`,
      );
    }
  };
}

/** What a group's transaction throws when one of its batches failed (the batch's error is its cause). */
class BatchFailed extends Error {
  constructor(cause: unknown) {
    super('A batch of the group failed.', { cause });
  }
}

/** Outcome of one batch of a group commit. */
export type PutOutcome = { ok: true; result: PutBatchResult } | { ok: false; error: unknown };

/** Writes groups of batches on one connection (see {@link createGroupWriter}). */
export interface GroupWriter {
  /** Commits the batches in one transaction (one each if that fails); one outcome per batch. */
  commit(inputs: readonly PutBatchInput[]): PutOutcome[];
}

/**
 * Group commit on one connection: batches that arrive together are written in one
 * transaction (and one by one if that fails, so one failure fails only its batch), and
 * every one is answered after that single commit. Concurrent clients then share a disk
 * sync instead of paying one each.
 */
export function createGroupWriter(db: Database.Database): GroupWriter {
  const insertBatch = db.prepare(
    `INSERT INTO batches (project_id, session_id, window_id, seq, received_at, encoding, byte_count, body,
       started_at, timestamp_offset_ms, markers)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id, session_id, window_id, seq) DO NOTHING`,
  );
  const selectState = db.prepare('SELECT state FROM sessions WHERE project_id = ? AND id = ?');
  const upsertSession = db.prepare(
    `INSERT INTO sessions (project_id, id, started_at, ended_at, duration_ms, active_ms, error_count,
       byte_count, user_id, urls_text, state, created_at, updated_at)
     VALUES (@projectId, @id, @startedAt, @endedAt, @durationMs, @activeMs, @errorCount, @byteCount,
       @userId, @urlsText, @state, @now, @now)
     ON CONFLICT (project_id, id) DO UPDATE SET
       started_at = excluded.started_at, ended_at = excluded.ended_at,
       duration_ms = excluded.duration_ms, active_ms = excluded.active_ms,
       error_count = excluded.error_count, byte_count = excluded.byte_count,
       user_id = excluded.user_id, urls_text = excluded.urls_text, state = excluded.state,
       updated_at = excluded.updated_at`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO session_events (project_id, session_id, name, property, value) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );

  // The batch row, its custom events and the session row change in one transaction:
  // either all are committed before the batch is acknowledged, or none is.
  const putBatchRows = (input: PutBatchInput): PutBatchResult => {
    const inserted = insertBatch.run(...batchRowValues(input, input.body));
    if (inserted.changes === 0) {
      return { duplicate: true, created: false };
    }
    const row = selectState.get(input.projectId, input.sessionId) as StateRow | undefined;
    const state = row
      ? mergeSessionState(parseSessionState(row.state), input.windowId, input.summary, input.byteCount)
      : newSessionState(input.sessionId, input.windowId, input.summary, input.byteCount);
    const columns = sessionColumns(state);
    upsertSession.run({
      projectId: input.projectId,
      id: input.sessionId,
      ...columns,
      now: input.receivedAt,
    });
    for (const event of input.eventProperties ?? []) {
      insertEvent.run(
        input.projectId,
        input.sessionId,
        searchableText(event.name),
        searchableText(event.property),
        searchableText(event.value),
      );
    }
    return { duplicate: false, created: row === undefined };
  };
  const checkFile = databaseFileCheck(db);
  const batchTransaction = db.transaction(putBatchRows);
  const groupTransaction = db.transaction((group: readonly PutBatchInput[]) =>
    group.map((input) => {
      try {
        return putBatchRows(input);
      } catch (error) {
        // Told apart from the database refusing the transaction itself (BEGIN or COMMIT).
        throw new BatchFailed(error);
      }
    }),
  );
  return {
    commit(inputs) {
      try {
        checkFile();
      } catch (error) {
        return inputs.map((): PutOutcome => ({ ok: false, error }));
      }
      // However many arrived, a transaction holds at most one group's worth (GROUP_MAX_*).
      const outcomes: PutOutcome[] = [];
      for (let from = 0; from < inputs.length; ) {
        const group = inputs.slice(from, from + groupLength(inputs, from, (input) => input.body.byteLength));
        try {
          outcomes.push(
            ...groupTransaction.immediate(group).map((result): PutOutcome => ({ ok: true, result })),
          );
        } catch (error) {
          if (error instanceof BatchFailed) {
            // A batch failed, and the group was rolled back: each batch is written again in a
            // transaction of its own, so that the bad one fails alone. (A savepoint per batch
            // would do that in one transaction, but SQLite then copies every page a batch
            // touches into a statement journal first: a tenth of the writer thread's time.)
            for (const input of group) {
              try {
                outcomes.push({ ok: true, result: batchTransaction.immediate(input) });
              } catch (batchError) {
                outcomes.push({ ok: false, error: batchError });
              }
            }
          } else {
            // The database refused the transaction itself (busy, full, read-only): every batch fails.
            outcomes.push(...group.map((): PutOutcome => ({ ok: false, error })));
          }
        }
        from += group.length;
      }
      return outcomes;
    },
  };
}

/** A batch waiting for its group's commit. */
interface PendingPut {
  input: PutBatchInput;
  resolve: (result: PutBatchResult) => void;
  reject: (error: unknown) => void;
}

function settleGroup(group: readonly PendingPut[], outcomes: readonly PutOutcome[]): void {
  group.forEach((pending, index) => {
    const outcome = outcomes[index];
    if (outcome?.ok) {
      pending.resolve(outcome.result);
    } else {
      pending.reject(outcome?.error ?? new Error('A grouped batch got no outcome.'));
    }
  });
}

/**
 * Switches `db` to WAL. While another process writes the file through its rollback journal (a
 * server started at the same moment, creating the file), SQLite answers SQLITE_BUSY at once
 * instead of waiting as the busy timeout says, so the switch is tried again for that long.
 */
function enableWal(db: Database.Database): void {
  const giveUpAt = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) {
        throw error;
      }
      // Only at open: the thread has nothing to do until the database is open.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WAL_SWITCH_RETRY_MS);
    }
  }
}

/** Opens a SQLite connection with replaykit's settings (WAL for files, the durability asked). */
export function openSqlite(filename: string, durability: SqliteDurability): Database.Database {
  const db = new Database(filename, { timeout: BUSY_TIMEOUT_MS });
  try {
    if (filename !== ':memory:' && filename !== '') {
      enableWal(db);
    }
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Opens (creating when needed) a SQLite database as a {@link Store}. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const { filename, durability = 'full' } = options;
  const inMemory = filename === ':memory:' || filename === '';
  if (!inMemory) {
    mkdirSync(dirname(resolve(filename)), { recursive: true });
  }
  const db = openMigrated(filename, durability);

  const selectRefs = db.prepare(
    `SELECT window_id, seq, started_at FROM batches
     WHERE project_id = @projectId AND session_id = @sessionId
       AND (@windowId IS NULL OR window_id = @windowId) AND seq >= @fromSeq
     ORDER BY window_id, seq`,
  );
  const selectBody = db.prepare(
    `SELECT encoding, body, timestamp_offset_ms FROM batches
     WHERE project_id = ? AND session_id = ? AND window_id = ? AND seq = ?`,
  );
  const selectBatchKey = db.prepare(
    'SELECT 1 FROM batches WHERE project_id = ? AND session_id = ? AND window_id = ? AND seq = ?',
  );
  const selectMarkers = db.prepare(
    'SELECT markers FROM batches WHERE project_id = ? AND session_id = ? ORDER BY started_at, window_id, seq',
  );
  const deleteBatches = db.prepare('DELETE FROM batches WHERE project_id = ? AND session_id = ?');
  const deleteEvents = db.prepare('DELETE FROM session_events WHERE project_id = ? AND session_id = ?');
  const deleteSessionRow = db.prepare('DELETE FROM sessions WHERE project_id = ? AND id = ?');
  const selectExpired = db.prepare(
    'SELECT id FROM sessions WHERE project_id = @projectId AND ended_at < @before AND updated_at < @before ORDER BY ended_at LIMIT @limit',
  );
  const selectUsage = db.prepare(
    'SELECT COUNT(*) AS sessions, COALESCE(SUM(byte_count), 0) AS bytes FROM sessions WHERE project_id = ?',
  );
  const selectState = db.prepare('SELECT state FROM sessions WHERE project_id = ? AND id = ?');
  const checkFile = databaseFileCheck(db);

  // Writes go through a writer thread when the database is a file: its commits (and their
  // disk syncs) then never block this thread. In memory there is one connection, so they
  // run here.
  const writer =
    inMemory || options.writerThread === false
      ? undefined
      : acquireSqliteWriter(resolve(filename), durability);
  const localWrites = writer ? undefined : createGroupWriter(db);
  // Batches of one turn share a commit.
  const commitLocally = (group: PendingPut[]) =>
    settleGroup(group, localWrites?.commit(group.map((pending) => pending.input)) ?? []);
  const localPuts = createTurnQueue<PendingPut>(commitLocally);
  /** Set by the first close(); from then on batches are refused. */
  let closing: Promise<void> | undefined;

  const deleteTransaction = db.transaction((projectId: string, sessionId: string): boolean => {
    deleteBatches.run(projectId, sessionId);
    deleteEvents.run(projectId, sessionId);
    return deleteSessionRow.run(projectId, sessionId).changes > 0;
  });

  const sweepTransaction = db.transaction((projectId: string, before: number, limit: number): number => {
    const rows = selectExpired.all({ projectId, before, limit }) as Array<{ id: string }>;
    for (const { id } of rows) {
      deleteBatches.run(projectId, id);
      deleteEvents.run(projectId, id);
      deleteSessionRow.run(projectId, id);
    }
    return rows.length;
  });

  return {
    putBatch(input) {
      if (writer) {
        return writer.put(input);
      }
      if (closing) {
        return Promise.reject(storeClosedError());
      }
      return new Promise<PutBatchResult>((resolvePut, rejectPut) => {
        localPuts.push({ input, resolve: resolvePut, reject: rejectPut });
      });
    },

    async listSessions(projectId, options) {
      const { sql, params } = buildListQuery(projectId, options, () => '?');
      return sessionPageFromRows(
        projectId,
        db.prepare(sql).all(...params) as (StateRow & Record<string, unknown>)[],
        options,
      );
    },

    async getSession(projectId, sessionId): Promise<SessionSummary | undefined> {
      const row = selectState.get(projectId, sessionId) as StateRow | undefined;
      return row ? parseSessionState(row.state).summary : undefined;
    },

    async getMarkers(projectId, sessionId): Promise<TimelineMarker[]> {
      const rows = selectMarkers.all(projectId, sessionId) as Array<{ markers: string }>;
      return markersFromRows(rows);
    },

    async *readBatches(projectId, sessionId, options = {}): AsyncGenerator<StoredBatch> {
      const rows = selectRefs.all({
        projectId,
        sessionId,
        windowId: options.windowId ?? null,
        fromSeq: options.fromSeq ?? 0,
      }) as BatchRefRow[];
      const ordered = orderBatchRefs(rows, options.order);
      // Bodies are read one statement at a time rather than through an open iterator: a
      // better-sqlite3 connection cannot run other statements while an iterator is open,
      // and the consumer awaits between batches, letting other requests use the connection.
      for (const ref of ordered) {
        const row = selectBody.get(projectId, sessionId, ref.windowId, ref.seq) as BatchBodyRow | undefined;
        if (!row) {
          throw new SessionDeletedError();
        }
        yield storedBatch(ref, row);
      }
    },

    async deleteSession(projectId, sessionId) {
      return deleteTransaction.immediate(projectId, sessionId);
    },

    async deleteSessionsEndedBefore(projectId, before, limit) {
      checkSweepLimit(limit);
      return sweepTransaction.immediate(projectId, before, limit);
    },

    async hasBatch(projectId, sessionId, windowId, seq) {
      return selectBatchKey.get(projectId, sessionId, windowId, seq) !== undefined;
    },

    async usage(projectId): Promise<ProjectUsage> {
      const row = selectUsage.get(projectId) as { sessions: number; bytes: number };
      return { sessions: row.sessions, bytes: row.bytes };
    },

    async ping() {
      checkFile();
      db.prepare('SELECT 1').get();
    },

    close() {
      // Every call gets the same promise, so a second close() also waits for the first.
      closing ??= (async () => {
        await writer?.release();
        // Batches waiting for the end of this turn are committed now, not after the close.
        const queued = localPuts.take();
        if (queued.length > 0) {
          commitLocally(queued);
        }
        if (db.open) {
          db.close();
        }
      })();
      return closing;
    },
  };
}
