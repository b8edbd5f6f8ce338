import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SessionSummary } from '@replaykit/core';
import Database from 'better-sqlite3';
import {
  type BatchEncoding,
  decodeCursor,
  encodeCursor,
  mergeSessionState,
  newSessionState,
  type PutBatchInput,
  type Store,
  type StoredBatch,
  type StoredSessionState,
} from './store';

/** How long a write waits for another process's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5_000;

/** Batches read from the database per query while streaming a session, to bound memory. */
const READ_PAGE_BATCHES = 64;

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
}

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, one step per version. Applied steps are recorded in `schema_migrations`, so
 * opening a database again only runs the new ones. Never edit a released step: add one.
 */
const MIGRATIONS: readonly Migration[] = [
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
];

/** The newest schema version this code knows. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

interface SessionRow {
  id: string;
  started_at: number;
  ended_at: number;
  event_count: number;
  byte_count: number;
  first_url: string | null;
  first_url_at: number | null;
  user_id: string | null;
  user_id_at: number | null;
  click_count: number;
  error_count: number;
  custom_event_names: string;
  window_ids: string;
  has_full_snapshot: number;
}

interface BatchRow {
  window_id: string;
  seq: number;
  encoding: BatchEncoding;
  body: Buffer;
}

function parseStringList(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function rowToState(row: SessionRow): StoredSessionState {
  return {
    summary: {
      id: row.id,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      durationMs: row.ended_at - row.started_at,
      eventCount: row.event_count,
      byteCount: row.byte_count,
      firstUrl: row.first_url,
      userId: row.user_id,
      clickCount: row.click_count,
      errorCount: row.error_count,
      customEventNames: parseStringList(row.custom_event_names),
      windowIds: parseStringList(row.window_ids),
      hasFullSnapshot: row.has_full_snapshot === 1,
    },
    firstUrlAt: row.first_url_at,
    userIdAt: row.user_id_at,
  };
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
    for (const migration of MIGRATIONS) {
      if (migration.version > current) {
        db.exec(migration.sql);
        record.run(migration.version, migration.name, Date.now());
      }
    }
  }).immediate();
}

/** Opens (creating when needed) a SQLite database as a {@link Store}. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const { filename, durability = 'full' } = options;
  const inMemory = filename === ':memory:' || filename === '';
  if (!inMemory) {
    mkdirSync(dirname(resolve(filename)), { recursive: true });
  }
  const db = new Database(filename, { timeout: BUSY_TIMEOUT_MS });
  try {
    if (!inMemory) {
      db.pragma('journal_mode = WAL');
    }
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const insertBatch = db.prepare(
    `INSERT INTO batches (project_id, session_id, window_id, seq, received_at, encoding, byte_count, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id, session_id, window_id, seq) DO NOTHING`,
  );
  const selectSession = db.prepare('SELECT * FROM sessions WHERE project_id = ? AND id = ?');
  const upsertSession = db.prepare(
    `INSERT INTO sessions (project_id, id, started_at, ended_at, event_count, byte_count, first_url,
       first_url_at, user_id, user_id_at, click_count, error_count, custom_event_names, window_ids,
       has_full_snapshot, created_at, updated_at)
     VALUES (@projectId, @id, @startedAt, @endedAt, @eventCount, @byteCount, @firstUrl, @firstUrlAt,
       @userId, @userIdAt, @clickCount, @errorCount, @customEventNames, @windowIds, @hasFullSnapshot,
       @now, @now)
     ON CONFLICT (project_id, id) DO UPDATE SET
       started_at = excluded.started_at, ended_at = excluded.ended_at,
       event_count = excluded.event_count, byte_count = excluded.byte_count,
       first_url = excluded.first_url, first_url_at = excluded.first_url_at,
       user_id = excluded.user_id, user_id_at = excluded.user_id_at,
       click_count = excluded.click_count, error_count = excluded.error_count,
       custom_event_names = excluded.custom_event_names, window_ids = excluded.window_ids,
       has_full_snapshot = excluded.has_full_snapshot, updated_at = excluded.updated_at`,
  );
  const listFirstPage = db.prepare(
    `SELECT * FROM sessions WHERE project_id = ?
     ORDER BY started_at DESC, id DESC LIMIT ?`,
  );
  const listAfter = db.prepare(
    `SELECT * FROM sessions WHERE project_id = ? AND (started_at, id) < (?, ?)
     ORDER BY started_at DESC, id DESC LIMIT ?`,
  );
  const readPage = db.prepare(
    `SELECT window_id, seq, encoding, body FROM batches
     WHERE project_id = @projectId AND session_id = @sessionId
       AND (@windowId IS NULL OR window_id = @windowId)
       AND (window_id, seq) > (@afterWindowId, @afterSeq)
     ORDER BY window_id, seq LIMIT @limit`,
  );
  const deleteBatches = db.prepare('DELETE FROM batches WHERE project_id = ? AND session_id = ?');
  const deleteSessionRow = db.prepare('DELETE FROM sessions WHERE project_id = ? AND id = ?');

  // The batch row and the session row change in one transaction: either both are
  // committed before the batch is acknowledged, or neither is.
  const putBatchTransaction = db.transaction((input: PutBatchInput): boolean => {
    const inserted = insertBatch.run(
      input.projectId,
      input.sessionId,
      input.windowId,
      input.seq,
      input.receivedAt,
      input.encoding,
      input.byteCount,
      input.body,
    );
    if (inserted.changes === 0) {
      return true;
    }
    const row = selectSession.get(input.projectId, input.sessionId) as SessionRow | undefined;
    const state = row
      ? mergeSessionState(rowToState(row), input.windowId, input.summary, input.byteCount)
      : newSessionState(input.sessionId, input.windowId, input.summary, input.byteCount);
    const { summary } = state;
    upsertSession.run({
      projectId: input.projectId,
      id: summary.id,
      startedAt: summary.startedAt,
      endedAt: summary.endedAt,
      eventCount: summary.eventCount,
      byteCount: summary.byteCount,
      firstUrl: summary.firstUrl,
      firstUrlAt: state.firstUrlAt,
      userId: summary.userId,
      userIdAt: state.userIdAt,
      clickCount: summary.clickCount,
      errorCount: summary.errorCount,
      customEventNames: JSON.stringify(summary.customEventNames),
      windowIds: JSON.stringify(summary.windowIds),
      hasFullSnapshot: summary.hasFullSnapshot ? 1 : 0,
      now: input.receivedAt,
    });
    return false;
  });

  const deleteTransaction = db.transaction((projectId: string, sessionId: string): boolean => {
    deleteBatches.run(projectId, sessionId);
    return deleteSessionRow.run(projectId, sessionId).changes > 0;
  });

  return {
    async putBatch(input) {
      return { duplicate: putBatchTransaction.immediate(input) };
    },

    async listSessions(projectId, { limit, cursor }) {
      // One row more than asked tells whether another page exists.
      const rows = (
        cursor
          ? (() => {
              const after = decodeCursor(cursor);
              return listAfter.all(projectId, after.startedAt, after.id, limit + 1);
            })()
          : listFirstPage.all(projectId, limit + 1)
      ) as SessionRow[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        sessions: page.map((row) => rowToState(row).summary),
        nextCursor:
          rows.length > limit && last ? encodeCursor({ startedAt: last.started_at, id: last.id }) : null,
      };
    },

    async getSession(projectId, sessionId): Promise<SessionSummary | undefined> {
      const row = selectSession.get(projectId, sessionId) as SessionRow | undefined;
      return row ? rowToState(row).summary : undefined;
    },

    async *readBatches(projectId, sessionId, options = {}): AsyncGenerator<StoredBatch> {
      // Reads in pages rather than through one open iterator: a better-sqlite3 connection
      // cannot run other statements while an iterator is open, and the consumer awaits
      // between batches, letting other requests use the connection.
      let afterWindowId = '';
      let afterSeq = -1;
      for (;;) {
        const rows = readPage.all({
          projectId,
          sessionId,
          windowId: options.windowId ?? null,
          afterWindowId,
          afterSeq,
          limit: READ_PAGE_BATCHES,
        }) as BatchRow[];
        for (const row of rows) {
          yield {
            windowId: row.window_id,
            seq: row.seq,
            encoding: row.encoding,
            body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
          };
        }
        const last = rows.at(-1);
        if (!last || rows.length < READ_PAGE_BATCHES) {
          return;
        }
        afterWindowId = last.window_id;
        afterSeq = last.seq;
      }
    },

    async deleteSession(projectId, sessionId) {
      return deleteTransaction.immediate(projectId, sessionId);
    },

    async close() {
      if (db.open) {
        db.close();
      }
    },
  };
}
