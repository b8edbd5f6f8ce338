/**
 * Database work of the server benchmark (scripts/bench/server.bench.ts), kept in this
 * package because the database drivers are this package's dependencies.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { lz4BodiesSql, sessionColumnArrays } from '../postgres-store';
import type { SessionColumns } from '../store';

/** One batch body to insert raw. */
export interface RawBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  body: Uint8Array;
}

/** A session row to seed, with its custom event rows. */
export interface SeedSession {
  id: string;
  columns: SessionColumns;
  events: Array<{ name: string; property: string; value: string }>;
}

/**
 * Inserts the bodies straight into SQLite (WAL, synchronous FULL like the server),
 * `perTransaction` bodies per transaction (1: one commit and disk sync each); returns the elapsed ms.
 */
export function rawSqliteInsert(file: string, batches: readonly RawBatch[], perTransaction = 1): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE raw (session_id TEXT, window_id TEXT, seq INTEGER, body BLOB, PRIMARY KEY (session_id, window_id, seq))',
  );
  const insert = db.prepare('INSERT INTO raw VALUES (?, ?, ?, ?)');
  const insertGroup = db.transaction((group: readonly RawBatch[]) => {
    for (const batch of group) {
      insert.run(batch.sessionId, batch.windowId, batch.seq, batch.body);
    }
  });
  const started = performance.now();
  for (let index = 0; index < batches.length; index += perTransaction) {
    insertGroup(batches.slice(index, index + perTransaction));
  }
  const elapsed = performance.now() - started;
  db.close();
  return elapsed;
}

/** Inserts each group's bodies in order, groups concurrently, one autocommit INSERT each; resolves with the elapsed ms. */
export async function rawPostgresInsert(
  url: string,
  groups: readonly (readonly RawBatch[])[],
): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: groups.length });
  await pool.query(
    'CREATE TABLE raw (session_id TEXT, window_id TEXT, seq BIGINT, body BYTEA, PRIMARY KEY (session_id, window_id, seq))',
  );
  // Bodies compressed as the store's are (its lz4 start-up step, compressBodiesWithLz4), so that both pay the same.
  await pool.query(lz4BodiesSql('raw'));
  const started = performance.now();
  await Promise.all(
    groups.map(async (group) => {
      for (const batch of group) {
        await pool.query('INSERT INTO raw VALUES ($1, $2, $3, $4)', [
          batch.sessionId,
          batch.windowId,
          batch.seq,
          Buffer.from(batch.body),
        ]);
      }
    }),
  );
  const elapsed = performance.now() - started;
  await pool.end();
  return elapsed;
}

const SESSION_COLUMNS =
  'project_id, id, started_at, ended_at, duration_ms, active_ms, error_count, byte_count, user_id, urls_text, state, created_at, updated_at';

/** Writes session rows into a SQLite database the store created, in one transaction. */
export function seedSqlite(file: string, projectId: string, sessions: Iterable<SeedSession>): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const insertSession = db.prepare(
    `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertEvent = db.prepare('INSERT OR IGNORE INTO session_events VALUES (?, ?, ?, ?, ?)');
  const now = Date.now();
  db.transaction(() => {
    for (const session of sessions) {
      const { columns } = session;
      insertSession.run(
        projectId,
        session.id,
        columns.startedAt,
        columns.endedAt,
        columns.durationMs,
        columns.activeMs,
        columns.errorCount,
        columns.byteCount,
        columns.userId,
        columns.urlsText,
        columns.state,
        now,
        now,
      );
      for (const event of session.events) {
        insertEvent.run(projectId, session.id, event.name, event.property, event.value);
      }
    }
  })();
  db.exec('ANALYZE');
  db.close();
}

/** Rows sent per INSERT while seeding PostgreSQL. */
const SEED_PAGE = 5_000;

/** Writes session rows into a PostgreSQL database the store created. */
export async function seedPostgres(
  url: string,
  projectId: string,
  sessions: Iterable<SeedSession>,
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const now = Date.now();
  const flush = async (page: SeedSession[]) => {
    const column = <T>(pick: (session: SeedSession) => T) => page.map(pick);
    await client.query(
      `INSERT INTO sessions (${SESSION_COLUMNS})
       SELECT $1, *, $12::bigint, $12::bigint FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
         $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[])`,
      [
        projectId,
        column((session) => session.id),
        ...sessionColumnArrays(column((session) => session.columns)),
        now,
      ],
    );
    const rows = page.flatMap((session) => session.events.map((event) => ({ id: session.id, ...event })));
    await client.query(
      `INSERT INTO session_events SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT DO NOTHING`,
      [
        projectId,
        rows.map((row) => row.id),
        rows.map((row) => row.name),
        rows.map((row) => row.property),
        rows.map((row) => row.value),
      ],
    );
  };
  let page: SeedSession[] = [];
  for (const session of sessions) {
    page.push(session);
    if (page.length === SEED_PAGE) {
      await flush(page);
      page = [];
    }
  }
  if (page.length > 0) {
    await flush(page);
  }
  await client.query('ANALYZE');
  await client.end();
}
