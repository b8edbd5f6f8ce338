import type { SessionSummary, TimelineMarker } from '@replaykit/core';
import pg from 'pg';
import { type PgArrayElement, type PgArrayValue, pgArray, pgArrayParam } from './pg-arrays';
import { buildListQuery } from './sql';
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
  type SessionColumns,
  SessionDeletedError,
  type Store,
  type StoredBatch,
  type StoredSessionState,
  searchableText,
  sessionColumns,
  sessionPageFromRows,
  storedBatch,
} from './store';

/** Connections the store opens at most. */
export const DEFAULT_POSTGRES_POOL_SIZE = 10;

/**
 * How long opening a connection may take, in ms, waiting for a free one of the pool
 * included: a host that accepts connections and never answers would otherwise hang the
 * start, and every request after it, for good.
 */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;

/**
 * How long a query may wait for PostgreSQL's answer, in ms; past it, the query fails and its
 * connection is closed. A server that went away without a word (a failover that moved its
 * address, a network cut) never answers on the connections open to it: without a bound, a
 * write there held the group commit, and every batch after it, for good, while `ping` on a
 * new connection said all was well.
 */
export const POSTGRES_QUERY_TIMEOUT_MS = 30_000;

/** Bytes as a bytea parameter: a Buffer travels in binary (inside an array it would be hex text); a view, not a copy. */
function pgBytes(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The {@link SessionColumns} of many sessions as one array per column, from `started_at` to
 * `state` in the order of the sessions table, for an `unnest` INSERT.
 */
export function sessionColumnArrays(columns: readonly SessionColumns[]): unknown[][] {
  return [
    columns.map((row) => row.startedAt),
    columns.map((row) => row.endedAt),
    columns.map((row) => row.durationMs),
    columns.map((row) => row.activeMs),
    columns.map((row) => row.errorCount),
    columns.map((row) => row.byteCount),
    columns.map((row) => row.userId),
    // Already without NUL (see sessionColumns).
    columns.map((row) => row.urlsText),
    columns.map((row) => row.state),
  ];
}

/**
 * Sessions whose last written state a PostgreSQL store keeps in memory, so that their next
 * batches are written in one statement (see the group commit in {@link createPostgresStore}).
 */
export const SESSION_CACHE_SIZE = 10_000;

/**
 * Characters of stored state (its JSON) and of known custom event rows (see
 * {@link SESSION_CACHE_EVENT_ROWS}) those sessions may hold at most, together. A state is
 * typically 1–5 KB, but its lists (50 URLs, 50 event names, 500 activity intervals) can make
 * it much larger.
 */
export const SESSION_CACHE_CHARS = 64 * 1024 * 1024;

/**
 * How long a kept state is trusted without being written again. A row version (`xmin`) is a
 * 32-bit transaction id, which PostgreSQL hands out again after billions of transactions;
 * forgetting states after minutes keeps a stale version from matching a reused one. (A
 * database that lost recent transactions, after a failover or a restore, can hand out ids
 * again sooner: the store forgets every state whenever it opens a connection, which it must
 * do after either.)
 */
const SESSION_CACHE_MS = 10 * 60_000;

/**
 * How long a session whose row another process changed under this one is written with locks
 * only: while several processes write one session, each would otherwise try the one
 * statement first and fail.
 */
const CONTENDED_MS = 10 * 60_000;

/**
 * Custom event rows per session that a PostgreSQL store remembers as indexed, so that later
 * groups do not send them again (a session's `add_to_cart` row with `quantity` 1, say, comes
 * with most of its batches). Rows past this many are sent again, and PostgreSQL skips them.
 */
const SESSION_CACHE_EVENT_ROWS = 256;

/**
 * What a remembered event row costs beyond its characters (the set's entry and the string's
 * header, about 100 bytes), in characters of the {@link SESSION_CACHE_CHARS} budget.
 */
const EVENT_ROW_OVERHEAD_CHARS = 64;

/** A session row as a group found or left it: its version (`xmin`) and its state. */
interface SessionRow {
  xmin: string;
  state: StoredSessionState;
  /** Characters of the state as stored and of `events`. */
  chars: number;
  /**
   * Its custom event rows known to be in `session_events` ({@link eventRowKey}), when this
   * process wrote them; rows of a row version it did not write are not known.
   */
  events?: Set<string>;
  /** Characters of `events`. */
  eventChars?: number;
}

/** A session this process wrote last, and when (`performance.now()`). */
interface KnownSession extends SessionRow {
  at: number;
}

/** A batch of a group that is not a repeat of an earlier one in the same group. */
interface Candidate {
  /** Its place in the group, where its answer goes. */
  index: number;
  input: PutBatchInput;
}

/** A session as a group writes it: merged from its row and the group's batches, in arrival order. */
interface SessionWrite {
  key: string;
  projectId: string;
  sessionId: string;
  /** As one-by-one ingestion leaves them: the first batch's arrival creates the row, the last one's updates it. */
  createdAt: number;
  receivedAt: number;
  state: StoredSessionState;
  columns: SessionColumns;
  /** Its custom event rows this group indexes ({@link eventRowKey}), and none it knew were. */
  events: Set<string>;
}

function sessionKey(projectId: string, sessionId: string): string {
  return JSON.stringify([projectId, sessionId]);
}

/** A custom event row of a session, for {@link SessionRow.events}. */
function eventRowKey(name: string, property: string, value: string): string {
  return JSON.stringify([name, property, value]);
}

/**
 * The row a committed group leaves (`write`, at `xmin`), with its custom event rows: those
 * of `known` (the row this process wrote before, whose set this takes over) and the group's,
 * up to {@link SESSION_CACHE_EVENT_ROWS}.
 */
function leftRow(xmin: string, write: SessionWrite, known: SessionRow | undefined): SessionRow {
  const events = known?.events ?? new Set<string>();
  let eventChars = known?.eventChars ?? 0;
  for (const key of write.events) {
    if (events.size >= SESSION_CACHE_EVENT_ROWS) {
      break;
    }
    if (!events.has(key)) {
      events.add(key);
      eventChars += key.length + EVENT_ROW_OVERHEAD_CHARS;
    }
  }
  return { xmin, state: write.state, chars: write.columns.state.length + eventChars, events, eventChars };
}

function batchKey(batch: Pick<PutBatchInput, 'projectId' | 'sessionId' | 'windowId' | 'seq'>): string {
  return JSON.stringify([batch.projectId, batch.sessionId, batch.windowId, batch.seq]);
}

/**
 * Merges the batches of a group that `stored` accepts into their sessions (`found` holds the
 * rows that exist): the answer for every batch of the group (repeats by default), the
 * sessions to write, and the custom event rows to index as one array per column (without
 * those `found` knows are indexed).
 */
function mergeGroup(
  size: number,
  candidates: readonly Candidate[],
  found: ReadonlyMap<string, SessionRow>,
  stored: (input: PutBatchInput) => boolean,
): { results: PutBatchResult[]; writes: SessionWrite[]; eventColumns: Buffer[] } {
  const results: PutBatchResult[] = Array.from({ length: size }, () => ({ duplicate: true, created: false }));
  const writes = new Map<string, Omit<SessionWrite, 'columns'>>();
  // Distinct rows: one INSERT must not carry the same key twice.
  const eventRows: string[][] = [];
  for (const { index, input } of candidates) {
    if (!stored(input)) {
      continue;
    }
    const key = sessionKey(input.projectId, input.sessionId);
    const before = writes.get(key);
    const row = found.get(key);
    const previous = before?.state ?? row?.state;
    const events = before?.events ?? new Set<string>();
    writes.set(key, {
      key,
      projectId: input.projectId,
      sessionId: input.sessionId,
      createdAt: before?.createdAt ?? input.receivedAt,
      receivedAt: input.receivedAt,
      state: previous
        ? mergeSessionState(previous, input.windowId, input.summary, input.byteCount)
        : newSessionState(input.sessionId, input.windowId, input.summary, input.byteCount),
      events,
    });
    results[index] = { duplicate: false, created: !previous };
    for (const event of input.eventProperties ?? []) {
      const name = searchableText(event.name);
      const property = searchableText(event.property);
      const value = searchableText(event.value);
      const eventKey = eventRowKey(name, property, value);
      if (!row?.events?.has(eventKey) && !events.has(eventKey)) {
        events.add(eventKey);
        eventRows.push([input.projectId, input.sessionId, name, property, value]);
      }
    }
  }
  return {
    results,
    writes: [...writes.values()].map((write) => ({ ...write, columns: sessionColumns(write.state) })),
    eventColumns: [0, 1, 2, 3, 4].map((field) =>
      pgArray(
        'text',
        eventRows.map((row) => row[field] as string),
      ),
    ),
  };
}

/** The columns of a batch row, in the order of {@link batchRowValues}. */
const BATCH_COLUMNS = `project_id, session_id, window_id, seq, received_at, encoding, byte_count, body,
  started_at, timestamp_offset_ms, markers`;

/** The columns a session row is created with: its key, {@link SessionColumns}, then its two times. */
const SESSION_COLUMNS = `project_id, id, started_at, ended_at, duration_ms, active_ms, error_count,
  byte_count, user_id, urls_text, state, created_at, updated_at`;

/**
 * A group's batch columns as its statements read them with `unnest`, each with its element
 * type and its place in {@link batchRowValues} (the body, 7, travels apart); then each body's
 * offset and length in the one parameter that carries them all.
 */
const BATCH_INPUTS: readonly (readonly [name: string, element: PgArrayElement, column?: number])[] = [
  ['project_id', 'text', 0],
  ['session_id', 'text', 1],
  ['window_id', 'text', 2],
  ['seq', 'int8', 3],
  ['received_at', 'int8', 4],
  ['encoding', 'text', 5],
  ['byte_count', 'int8', 6],
  ['started_at', 'int8', 8],
  ['timestamp_offset_ms', 'int8', 9],
  ['markers', 'text', 10],
  ['body_start', 'int4'],
  ['body_length', 'int4'],
];

/**
 * Inserts a group's batches, skipping those already stored, from {@link batchParams} at
 * `$first` on: one array per column ({@link BATCH_INPUTS}), and the bodies as one binary
 * parameter cut by offsets. The text is the same for every group, so PostgreSQL can keep its plan.
 */
function insertBatchesSql(first: number): string {
  const bodies = `$${first + BATCH_INPUTS.length}::bytea`;
  return `INSERT INTO batches (${BATCH_COLUMNS})
    SELECT b.project_id, b.session_id, b.window_id, b.seq, b.received_at, b.encoding, b.byte_count,
      substring(${bodies} FROM b.body_start + 1 FOR b.body_length), b.started_at, b.timestamp_offset_ms,
      b.markers
    FROM unnest(${BATCH_INPUTS.map(([, element], index) => pgArrayParam(first + index, element)).join(', ')})
      AS b(${BATCH_INPUTS.map(([name]) => name).join(', ')})
    ON CONFLICT (project_id, session_id, window_id, seq) DO NOTHING`;
}

/** The parameters of {@link insertBatchesSql}. */
function batchParams(candidates: readonly Candidate[]): unknown[] {
  const rows = candidates.map(({ input }) => batchRowValues(input, undefined));
  const starts: number[] = [];
  const lengths: number[] = [];
  let offset = 0;
  for (const { input } of candidates) {
    starts.push(offset);
    lengths.push(input.body.byteLength);
    offset += input.body.byteLength;
  }
  const cut: Record<string, number[]> = { body_start: starts, body_length: lengths };
  return [
    ...BATCH_INPUTS.map(([name, element, column]) =>
      pgArray(
        element,
        column === undefined ? (cut[name] as number[]) : rows.map((row) => row[column] as PgArrayValue),
      ),
    ),
    Buffer.concat(candidates.map(({ input }) => input.body)),
  ];
}

/**
 * The first columns of a group's `input` rows, one per written session, from parameters 1 to
 * 12 ({@link sessionParams}): its key, {@link sessionColumnArrays}' columns, and the time of
 * its last batch. Each statement adds its own after them.
 */
const SESSION_INPUTS: readonly (readonly [name: string, element: PgArrayElement])[] = [
  ['project_id', 'text'],
  ['id', 'text'],
  ['started_at', 'int8'],
  ['ended_at', 'int8'],
  ['duration_ms', 'int8'],
  ['active_ms', 'int8'],
  ['error_count', 'int8'],
  ['byte_count', 'int8'],
  ['user_id', 'text'],
  ['urls_text', 'text'],
  ['state', 'text'],
  ['now', 'int8'],
];
const SESSION_INPUT_TYPES = SESSION_INPUTS.map(([, element], index) => pgArrayParam(index + 1, element)).join(
  ', ',
);
const SESSION_INPUT_NAMES = SESSION_INPUTS.map(([name]) => name).join(', ');

/** Parameters 1 to 12 of a group's session writes (see {@link SESSION_INPUTS}). */
function sessionParams(writes: readonly SessionWrite[]): Buffer[] {
  const columns: unknown[][] = [
    writes.map((row) => row.projectId),
    writes.map((row) => row.sessionId),
    ...sessionColumnArrays(writes.map((row) => row.columns)),
    writes.map((row) => row.receivedAt),
  ];
  return SESSION_INPUTS.map(([, element], index) => pgArray(element, columns[index] as PgArrayValue[]));
}

/** A group's session update from its `input` rows (`v`). */
const SESSION_UPDATES = `started_at = v.started_at, ended_at = v.ended_at, duration_ms = v.duration_ms,
  active_ms = v.active_ms, error_count = v.error_count, byte_count = v.byte_count, user_id = v.user_id,
  urls_text = v.urls_text, state = v.state, updated_at = v.now`;

/** A group's custom event rows, parameters 14 to 18, as a CTE. */
const INDEX_EVENTS = `indexed AS (
  INSERT INTO session_events (project_id, session_id, name, property, value)
  SELECT * FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[])
  ON CONFLICT DO NOTHING
)`;

/** Tries a batch stored alone makes to create or find its session, when deletes keep removing it. */
const SESSION_CREATE_ATTEMPTS = 3;

/**
 * A group in one statement (`putGroupInOneStatement`): the sessions locked and updated where
 * their row is still the version this process wrote, the batches inserted, the event rows
 * indexed, and both counts checked. The text is built once: it never changes.
 */
const GROUP_WRITE_SQL = `WITH input AS (
     SELECT * FROM unnest(${SESSION_INPUT_TYPES}, $13::xid[]) AS v(${SESSION_INPUT_NAMES}, seen)
   ),
   locked AS (
     SELECT s.project_id, s.id FROM sessions s
     JOIN input v ON s.project_id = v.project_id AND s.id = v.id AND s.xmin = v.seen
     ORDER BY s.project_id, s.id
     FOR UPDATE OF s
   ),
   updated AS (
     UPDATE sessions s SET ${SESSION_UPDATES}
     FROM input v WHERE s.project_id = v.project_id AND s.id = v.id AND s.xmin = v.seen
       AND (s.project_id, s.id) IN (SELECT project_id, id FROM locked)
     RETURNING s.xmin
   ),
   inserted AS (${insertBatchesSql(21)} RETURNING 1),
   ${INDEX_EVENTS}
   SELECT replaykit_expect_rows('unchanged sessions', (SELECT count(*) FROM updated), $20),
     replaykit_expect_rows('new batches', (SELECT count(*) FROM inserted), $19),
     (SELECT xmin::text FROM updated LIMIT 1) AS xmin`;

/** A group the locked way (`insertAndLock`): its batches inserted, its sessions' rows locked and read. */
const GROUP_LOCK_SQL = `WITH inserted AS (${insertBatchesSql(3)} RETURNING project_id, session_id, window_id, seq),
   locked AS (
     SELECT s.project_id, s.id, s.state, s.xmin FROM sessions s
     JOIN unnest($1::text[], $2::text[]) AS wanted(project_id, id)
       ON s.project_id = wanted.project_id AND s.id = wanted.id
     ORDER BY s.project_id, s.id
     FOR UPDATE OF s
   )
   SELECT 'batch' AS kind, project_id, session_id, window_id, seq, NULL AS state, NULL AS xmin FROM inserted
   UNION ALL
   SELECT 'session', project_id, id, NULL, NULL, state, xmin::text FROM locked`;

/**
 * Batch bodies fetched per query while streaming a session: at most 16 batches and 1 MiB
 * (by their stored byte count), and always one, so that memory is bounded by one batch or
 * that, not by 16 batches near the body limit.
 */
const READ_PAGE = { batches: 16, bytes: 1024 * 1024 };

/** Key of the advisory lock that serialises migrations across server processes. */
const MIGRATION_LOCK_KEY = 7_346_001;

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (the form of `DATABASE_URL`). */
  connectionString: string;
  /** Most connections open at once; default {@link DEFAULT_POSTGRES_POOL_SIZE}. */
  poolSize?: number;
  /** How long opening a connection may take, in ms; default {@link POSTGRES_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** How long a query may wait for its answer, in ms; default {@link POSTGRES_QUERY_TIMEOUT_MS}. */
  queryTimeoutMs?: number;
  /**
   * How much the store keeps in memory of the sessions it wrote last, to write their next
   * batches in one statement: at most `maxSessions` ({@link SESSION_CACHE_SIZE}) sessions and
   * `maxChars` ({@link SESSION_CACHE_CHARS}) characters of state; the least recently written
   * go first. 0 keeps none: every group is then written with locks, in four round trips.
   */
  sessionCache?: { maxSessions?: number; maxChars?: number };
  /**
   * Whether group commits use named prepared statements (default true). Turn it off behind
   * a pooler that cannot keep them, such as PgBouncer before 1.21 in transaction mode.
   */
  preparedStatements?: boolean;
}

/**
 * Where a connection string points, as `host:port/database` without user or password, for
 * messages and logs; undefined when it is not a URL.
 */
export function describePostgresUrl(connectionString: string): string | undefined {
  try {
    const { host, pathname } = new URL(connectionString);
    return `${host}${pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Failures to open PostgreSQL that a wrong connection string or a server that is not up
 * explain: the network's (refused, unknown host, unreachable, timed out), a rejected
 * password or login (28P01, 28000) and a database that does not exist (3D000).
 */
const CANNOT_CONNECT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  '28P01',
  '28000',
  '3D000',
]);

/** `error` with the database it could not open and what to check, when a connection string or a down server explains it. */
function cannotConnect(error: unknown, connectionString: string): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // pg's own timeouts and dropped connections carry no code.
  const noAnswer = code === undefined && /timeout|connection terminated/i.test(message);
  if (!CANNOT_CONNECT.has(String(code)) && !noAnswer) {
    return error;
  }
  return new Error(
    `Could not open PostgreSQL ${describePostgresUrl(connectionString) ?? 'at the connection string given'}: ${message}${noAnswer ? '' : ` (${String(code)})`}. Check --database-url or DATABASE_URL (host, port, user, password and database name) and that the server accepts connections from this machine.`,
    { cause: error },
  );
}

/** Checks {@link PostgresStoreOptions.sessionCache}, which must be an object of whole numbers. */
function checkSessionCache(sessionCache: unknown): { maxSessions: number; maxChars: number } {
  const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
  const limits = { maxSessions: SESSION_CACHE_SIZE, maxChars: SESSION_CACHE_CHARS };
  if (sessionCache === undefined) {
    return limits;
  }
  if (typeof sessionCache !== 'object' || sessionCache === null || Array.isArray(sessionCache)) {
    throw new Error(
      `sessionCache must be an object such as { maxSessions: 10000, maxChars: 67108864 }; got ${shown(sessionCache)}.`,
    );
  }
  for (const [name, value] of Object.entries(sessionCache)) {
    if (name !== 'maxSessions' && name !== 'maxChars') {
      throw new Error(`sessionCache.${name} is not a setting: use maxSessions or maxChars.`);
    }
    if (value === undefined) {
      continue;
    }
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      throw new Error(
        `sessionCache.${name} must be a whole number of 0 or more (0 keeps no sessions in memory); got ${shown(value)}.`,
      );
    }
    limits[name] = value;
  }
  return limits;
}

/**
 * Ignores the 'error' event of a connection the store holds: the query it runs fails with
 * the error, and the pool drops the connection when it comes back. Without a listener, a
 * connection PostgreSQL ends (a restart, `pg_terminate_backend`) would crash the process.
 */
function ignoreError(): void {}

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on('error', ignoreError);
  return client;
}

/** Gives a connection back to the pool; with an error, the pool closes it. */
function release(client: pg.PoolClient, error?: Error): void {
  client.off('error', ignoreError);
  client.release(error);
}

/** How long the store waits at start-up for the lock it needs to switch bodies to lz4. */
const LZ4_LOCK_TIMEOUT = '2s';

/**
 * Has `table`'s `body` column compressed with lz4 from now on, when the server was built with
 * it (PostgreSQL 14 and later, Debian's packages) and the column is not already. Bodies are
 * mostly gzip: pglz, the default, spends about a tenth of the backends' time trying to
 * compress them again (PostgreSQL keeps a value as is when compressing does not shrink it),
 * and lz4 is much faster on data it cannot compress; it still shrinks the uncompressed
 * (`identity`) bodies. Values already stored keep their compression, so nothing is rewritten.
 */
export function lz4BodiesSql(table: string): string {
  // Nested IFs: PostgreSQL 13 has neither the setting's lz4 value nor attcompression.
  return `DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        IF (SELECT attcompression FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = 'body') <> 'l' THEN
          EXECUTE 'ALTER TABLE ${table} ALTER COLUMN body SET COMPRESSION lz4';
        END IF;
      END IF;
    END
  $$`;
}

/**
 * Switches the batch bodies to lz4 (see {@link lz4BodiesSql}) if it can, at start-up: it is
 * only faster, so a role that does not own the table, or a long transaction holding the
 * table for more than {@link LZ4_LOCK_TIMEOUT} (the change needs a brief exclusive lock,
 * which everything else would queue behind), leaves the bodies on pglz until a later start.
 */
async function compressBodiesWithLz4(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = '${LZ4_LOCK_TIMEOUT}'`);
    await client.query(lz4BodiesSql('batches'));
  }).catch(() => {
    // Stays on pglz.
  });
}

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, one step per version, recorded in `replaykit_schema_migrations`. Ids use the
 * C collation so that they sort byte-wise, as in SQLite, whatever the database's locale.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, batches and custom event properties',
    sql: `
      CREATE TABLE sessions (
        project_id TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        active_ms BIGINT NOT NULL,
        error_count BIGINT NOT NULL,
        byte_count BIGINT NOT NULL,
        user_id TEXT COLLATE "C",
        urls_text TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (project_id, id)
      );
      CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC);
      CREATE INDEX sessions_by_duration ON sessions (project_id, duration_ms DESC, id DESC);
      CREATE INDEX sessions_by_errors ON sessions (project_id, error_count DESC, started_at DESC, id DESC);
      CREATE INDEX sessions_by_user ON sessions (project_id, user_id, started_at DESC, id DESC);
      CREATE INDEX sessions_by_end ON sessions (project_id, ended_at);
      CREATE TABLE batches (
        project_id TEXT COLLATE "C" NOT NULL,
        session_id TEXT COLLATE "C" NOT NULL,
        window_id TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        encoding TEXT NOT NULL CHECK (encoding IN ('gzip', 'identity')),
        byte_count BIGINT NOT NULL,
        body BYTEA NOT NULL,
        started_at BIGINT NOT NULL,
        timestamp_offset_ms BIGINT NOT NULL,
        markers TEXT NOT NULL,
        PRIMARY KEY (project_id, session_id, window_id, seq)
      );
      CREATE TABLE session_events (
        project_id TEXT COLLATE "C" NOT NULL,
        session_id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        property TEXT COLLATE "C" NOT NULL,
        value TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (project_id, session_id, name, property, value)
      );
      CREATE INDEX session_events_by_name ON session_events (project_id, name, property, value);
    `,
  },
  {
    version: 2,
    name: 'a check that fails a group commit when another writer got there first',
    sql: `
      CREATE FUNCTION replaykit_expect_rows(what TEXT, written BIGINT, expected BIGINT) RETURNS BIGINT
      LANGUAGE plpgsql AS $$
      BEGIN
        IF written <> expected THEN
          RAISE EXCEPTION 'replaykit: a group commit expected % % and found %; it is written again with locks',
            expected, what, written USING ERRCODE = 'serialization_failure';
        END IF;
        RETURN written;
      END
      $$;
    `,
  },
];

/** The newest schema version this code knows. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** BIGINT columns come back as numbers: every value stored fits exactly in a double. */
const INT8_OID = 20;
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * PostgreSQL's SQLSTATEs for DDL the role may not run: a privilege it lacks
 * (`insufficient_privilege`), and no schema on its `search_path` it may create in
 * (`invalid_schema_name`).
 */
const MAY_NOT_MIGRATE = new Set(['42501', '3F000']);

/** What the store's role needs on replaykit's tables to serve. */
const TABLE_PRIVILEGES: readonly (readonly [table: string, privileges: readonly string[]])[] = [
  ['sessions', ['SELECT', 'INSERT', 'UPDATE', 'DELETE']],
  ['batches', ['SELECT', 'INSERT', 'UPDATE', 'DELETE']],
  ['session_events', ['SELECT', 'INSERT', 'UPDATE', 'DELETE']],
  ['replaykit_schema_migrations', ['SELECT']],
];
/** The one function the group writes call (migration 2). */
const EXPECT_ROWS_FUNCTION = 'replaykit_expect_rows(text, bigint, bigint)';

/**
 * Brings the schema to {@link POSTGRES_SCHEMA_VERSION}, then checks that the store's role may
 * do what serving takes. A schema already there takes no DDL at all, so a role that may only
 * read and write the tables (no `CREATE` on the schema, the default on PostgreSQL 15 and
 * later for any role but the database's owner) can serve once the owner has migrated it;
 * such a role is told so when a migration is due, and told which grants it lacks.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (client) => {
    // Two processes starting on one new database take turns.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const { rows: found } = await client.query<{ schema: string | null; role: string }>(
      `SELECT (SELECT relnamespace::regnamespace::text FROM pg_class
          WHERE oid = to_regclass('replaykit_schema_migrations')) AS schema,
        current_user AS role`,
    );
    const { schema = null, role = '' } = found[0] ?? {};
    const due = (work: () => Promise<unknown>, what: string) =>
      work().catch((error: unknown) => {
        if (!MAY_NOT_MIGRATE.has(String((error as { code?: unknown }).code))) {
          throw error;
        }
        throw new Error(
          `The database needs ${what}, and role "${role}" may not apply it (${(error as Error).message}). Apply it once as the role that owns replaykit's tables (on a new database, one that may create in its schema), with "replaykit migrate --database-url <that role's URL>" (or by starting the server as that role once); this role can serve after that with SELECT, INSERT, UPDATE and DELETE on replaykit's tables.`,
          { cause: error },
        );
      });
    if (schema === null) {
      await due(
        () =>
          client.query(`CREATE TABLE IF NOT EXISTS replaykit_schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
          )`),
        'its replaykit tables created',
      );
    } else {
      // New objects go beside the existing ones, not into the first schema on the path.
      await client.query(`SET LOCAL search_path TO ${schema}`);
    }
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM replaykit_schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `The database has replaykit schema version ${current}, newer than this replaykit understands (${POSTGRES_SCHEMA_VERSION}). Upgrade @replaykit/server, or point DATABASE_URL at another database.`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version > current) {
        await due(async () => {
          await client.query(migration.sql);
          await client.query(
            'INSERT INTO replaykit_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [migration.version, migration.name, Date.now()],
          );
        }, `replaykit schema migration ${migration.version} (${migration.name})`);
      }
    }
  });
  await checkPrivileges(pool);
}

/**
 * Refuses a role that could start but not serve (a grant missing after a migration added a
 * table, say), naming the grants: without them, ingest would fail batch after batch, or, for
 * the function, every group would go the slower locked way.
 */
async function checkPrivileges(pool: pg.Pool): Promise<void> {
  const checks = TABLE_PRIVILEGES.flatMap(([table, privileges]) =>
    privileges.map((privilege) => ({
      on: table,
      privilege,
      sql: `has_table_privilege('${table}', '${privilege}')`,
    })),
  );
  checks.push({
    on: `FUNCTION ${EXPECT_ROWS_FUNCTION}`,
    privilege: 'EXECUTE',
    sql: `has_function_privilege('${EXPECT_ROWS_FUNCTION}', 'EXECUTE')`,
  });
  const { rows } = await pool.query<Record<string, boolean | string>>(
    `SELECT current_user AS role, ${checks.map(({ sql }, index) => `${sql} AS c${index}`).join(', ')}`,
  );
  const row = rows[0] ?? {};
  const missing = checks.filter((_, index) => row[`c${index}`] !== true);
  if (missing.length === 0) {
    return;
  }
  const grants = [...new Set(missing.map(({ on }) => on))].map(
    (on) =>
      `GRANT ${missing
        .filter((check) => check.on === on)
        .map(({ privilege }) => privilege)
        .join(', ')} ON ${on} TO "${String(row.role)}";`,
  );
  throw new Error(
    `Role "${String(row.role)}" may not do all that serving takes; as the owner of replaykit's tables, run: ${grants.join(' ')} (after a migration adds a table, grant on it too, or set ALTER DEFAULT PRIVILEGES once).`,
  );
}

/**
 * Runs `work` in a transaction on `client`. Its callers close a connection it failed on, which
 * rolls the transaction back too: ROLLBACK is sent only after an error of PostgreSQL's. After
 * a query that timed out, it would wait behind the lost answer for a timeout of its own.
 */
async function inTransaction<T>(
  client: pg.PoolClient,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (error instanceof pg.DatabaseError) {
      await client.query('ROLLBACK').catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Runs `work` in a transaction on one pooled connection. A connection it failed on is closed,
 * not given back: after a query that timed out, it still waits for that answer, and every
 * query after it on that connection would time out in turn.
 */
async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  try {
    const result = await inTransaction(client, work);
    release(client);
    return result;
  } catch (error) {
    release(client, error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

const UPSERT_SESSION = `
  INSERT INTO sessions (${SESSION_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
  ON CONFLICT (project_id, id) DO UPDATE SET
    started_at = excluded.started_at, ended_at = excluded.ended_at,
    duration_ms = excluded.duration_ms, active_ms = excluded.active_ms,
    error_count = excluded.error_count, byte_count = excluded.byte_count,
    user_id = excluded.user_id, urls_text = excluded.urls_text, state = excluded.state,
    updated_at = excluded.updated_at`;

/** Deletes the batches and event rows of session `$2` of project `$1` if it has no session row. */
const DELETE_ORPHANS = `
  WITH gone_batches AS (
    DELETE FROM batches WHERE project_id = $1 AND session_id = $2
      AND NOT EXISTS (SELECT 1 FROM sessions WHERE project_id = $1 AND id = $2)
  )
  DELETE FROM session_events WHERE project_id = $1 AND session_id = $2
    AND NOT EXISTS (SELECT 1 FROM sessions WHERE project_id = $1 AND id = $2)`;

/**
 * Deletes the sessions of project `$1` whose ids are in `$2` with all their data, in one
 * statement; the session rows it deleted. Run it after locking those rows, in the same
 * transaction (see `deleteSessions`).
 */
const DELETE_SESSIONS = `
  WITH gone_batches AS (DELETE FROM batches WHERE project_id = $1 AND session_id = ANY($2::text[])),
    gone_events AS (DELETE FROM session_events WHERE project_id = $1 AND session_id = ANY($2::text[]))
  DELETE FROM sessions WHERE project_id = $1 AND id = ANY($2::text[])
  RETURNING id`;

/**
 * Opens a PostgreSQL database as a {@link Store}, creating or upgrading its tables. Several
 * server processes may share one database: a write locks only the session rows it changes,
 * or changes them only if no other process did since this one wrote them (see the group
 * commit below).
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const cacheLimits = checkSessionCache(options.sessionCache);
  const prepared = options.preparedStatements ?? true;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? POSTGRES_CONNECT_TIMEOUT_MS,
    query_timeout: options.queryTimeoutMs ?? POSTGRES_QUERY_TIMEOUT_MS,
    types: typeParsers,
  });
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
    await compressBodiesWithLz4(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw cannotConnect(error, options.connectionString);
  }

  // One batch in its own transaction, four round trips (BEGIN, insert-and-lock, write,
  // COMMIT): the path for a group that failed as a whole (see putGroup).
  async function putBatchAlone(input: PutBatchInput): Promise<PutBatchResult> {
    const events = input.eventProperties ?? [];
    const eventArrays = [
      events.map((event) => searchableText(event.name)),
      events.map((event) => searchableText(event.property)),
      events.map((event) => searchableText(event.value)),
    ];
    // The same columns, in the same order and with the same mapping, as a group's write.
    const sessionValues = (state: ReturnType<typeof newSessionState>) => [
      input.projectId,
      input.sessionId,
      ...sessionColumnArrays([sessionColumns(state)]).map((column) => column[0]),
      input.receivedAt,
    ];
    return transaction(pool, async (client) => {
      // Inserts the batch and then, in the same statement, locks the session row, in that
      // order (as a group does): a repeat, which waits for the batch it repeats, must not hold
      // the session's lock meanwhile, or the two would wait on each other.
      const first = await client.query<{ inserted: boolean; state: string | null }>(
        `WITH inserted AS (
           INSERT INTO batches (${BATCH_COLUMNS})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (project_id, session_id, window_id, seq) DO NOTHING
           RETURNING 1
         )
         SELECT stored.count > 0 AS inserted, locked.state
         FROM (SELECT count(*) AS count FROM inserted) AS stored
         LEFT JOIN LATERAL (
           SELECT state FROM sessions WHERE project_id = $1 AND id = $2 AND stored.count > 0 FOR UPDATE
         ) AS locked ON true`,
        batchRowValues(input, pgBytes(input.body)),
      );
      const row = first.rows[0];
      if (!row?.inserted) {
        return { duplicate: true, created: false };
      }
      let existing = row.state;
      let created = false;
      // A session another process creates after this batch found none can be deleted again (a
      // DELETE, the sweeper) before this batch locks it. This batch, not committed yet, was not
      // deleted with it, so it starts the session anew; a few times at most, then it fails.
      for (let attempt = 1; existing === null; attempt++) {
        if (attempt > SESSION_CREATE_ATTEMPTS) {
          throw new Error(
            `The session was deleted ${SESSION_CREATE_ATTEMPTS} times while a batch of it was being stored; send the batch again.`,
          );
        }
        const fresh = await client.query<{ created: boolean }>(
          `WITH created AS (
             INSERT INTO sessions (${SESSION_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
             ON CONFLICT (project_id, id) DO NOTHING
             RETURNING 1
           ),
           indexed AS (
             INSERT INTO session_events (project_id, session_id, name, property, value)
             SELECT $1, $2, * FROM unnest($13::text[], $14::text[], $15::text[])
             WHERE EXISTS (SELECT 1 FROM created)
             ON CONFLICT DO NOTHING
           )
           SELECT EXISTS (SELECT 1 FROM created) AS created`,
          [
            ...sessionValues(
              newSessionState(input.sessionId, input.windowId, input.summary, input.byteCount),
            ),
            ...eventArrays,
          ],
        );
        created = fresh.rows[0]?.created === true;
        if (created) {
          return { duplicate: false, created };
        }
        // Another batch of this new session committed first: merge into its row.
        const locked = await client.query<{ state: string }>(
          'SELECT state FROM sessions WHERE project_id = $1 AND id = $2 FOR UPDATE',
          [input.projectId, input.sessionId],
        );
        existing = locked.rows[0]?.state ?? null;
      }
      const state = mergeSessionState(
        parseSessionState(existing),
        input.windowId,
        input.summary,
        input.byteCount,
      );
      await client.query(
        `WITH updated AS (${UPSERT_SESSION})
         INSERT INTO session_events (project_id, session_id, name, property, value)
         SELECT $1, $2, * FROM unnest($13::text[], $14::text[], $15::text[])
         ON CONFLICT DO NOTHING`,
        [...sessionValues(state), ...eventArrays],
      );
      return { duplicate: false, created };
    });
  }

  /**
   * Group commit: the batches waiting when the previous group is done are written together;
   * batches that arrive meanwhile form the next group. Every batch is answered after its
   * group's commit. A group is written one of two ways:
   *
   * - **In one statement**, when this process wrote every session of the group last and
   *   still knows its state (`known`): the statement inserts the batches, updates the
   *   sessions to the states merged here and indexes the custom events, in one round trip
   *   and one implicit transaction. It updates a session only if the row is still the version
   *   this process wrote (`xmin`), and it fails as a whole (`replaykit_expect_rows`) unless
   *   every batch was new and every session unchanged.
   * - **Locked**, otherwise, or when that statement failed (a repeat of a stored batch, a
   *   session another process wrote or deleted): four round trips (BEGIN, insert all batches
   *   and lock their sessions, write all sessions and event rows, COMMIT).
   *
   * A group that fails both ways (a deadlock with another process, a session created by
   * another process meanwhile, a bad batch) is retried one batch per transaction, so one bad
   * batch never fails the others.
   */
  interface PendingPut {
    input: PutBatchInput;
    resolve: (result: PutBatchResult) => void;
    reject: (error: unknown) => void;
  }
  const waiting: PendingPut[] = [];
  let writing = false;
  /**
   * The connection that writes groups, kept from one group to the next while batches keep
   * coming and nobody else waits for a connection.
   */
  let groupClient: pg.PoolClient | undefined;

  /** Sessions this process wrote last, least recently written first. */
  const known = new Map<string, KnownSession>();
  /** Characters of the states in `known`. */
  let knownChars = 0;
  /** Sessions written with locks only until the time given (`performance.now()`), oldest first. */
  const contended = new Map<string, number>();

  // A new connection may follow a failover or a restore, after which PostgreSQL can hand out
  // transaction ids again sooner than usual: states known from before are not trusted.
  pool.on('connect', () => {
    known.clear();
    knownChars = 0;
  });

  function forget(key: string): void {
    const session = known.get(key);
    if (session) {
      known.delete(key);
      knownChars -= session.chars;
    }
  }

  function remember(key: string, row: SessionRow, at: number): void {
    forget(key);
    const until = contended.get(key);
    if (until !== undefined && until > at) {
      return;
    }
    contended.delete(key);
    if (!row.xmin || row.chars > cacheLimits.maxChars || cacheLimits.maxSessions === 0) {
      return;
    }
    known.set(key, { ...row, at });
    knownChars += row.chars;
    while (known.size > cacheLimits.maxSessions || knownChars > cacheLimits.maxChars) {
      forget(known.keys().next().value as string);
    }
  }

  /** What this process wrote last for a session, if that is recent enough to be trusted. */
  function recall(key: string, now: number): KnownSession | undefined {
    const session = known.get(key);
    if (session && now - session.at > SESSION_CACHE_MS) {
      forget(key);
      return undefined;
    }
    return session;
  }

  /** Another process writes these sessions too: they are written with locks for a while. */
  function contend(keys: Iterable<string>, now: number): void {
    for (const key of keys) {
      forget(key);
      contended.delete(key);
      contended.set(key, now + CONTENDED_MS);
      if (contended.size > cacheLimits.maxSessions) {
        contended.delete(contended.keys().next().value as string);
      }
    }
  }

  function takeGroup(): PendingPut[] {
    return waiting.splice(
      0,
      groupLength(waiting, 0, (pending) => pending.input.body.byteLength),
    );
  }

  function writeWaiting(): void {
    if (writing || waiting.length === 0) {
      return;
    }
    writing = true;
    const group = takeGroup();
    (async () => {
      try {
        groupClient ??= await connect(pool);
        return await putGroup(groupClient, group);
      } catch (error) {
        // Given back first, so that the batches below can have a connection even from a pool
        // of one; the pool closes it.
        if (groupClient) {
          release(groupClient, error instanceof Error ? error : new Error(String(error)));
          groupClient = undefined;
        }
        throw error;
      }
    })()
      .then(
        (results) => {
          group.forEach((pending, index) => {
            const result = results[index];
            if (result) {
              pending.resolve(result);
            } else {
              pending.reject(new Error('A grouped batch got no result.'));
            }
          });
        },
        () =>
          // Each alone, concurrently on the pool: the group's failure is not theirs.
          Promise.all(
            group.map((pending) => putBatchAlone(pending.input).then(pending.resolve, pending.reject)),
          ),
      )
      .finally(() => {
        if (groupClient && (waiting.length === 0 || pool.waitingCount > 0)) {
          release(groupClient);
          groupClient = undefined;
        }
        writing = false;
        writeWaiting();
      });
  }

  async function putGroup(client: pg.PoolClient, group: readonly PendingPut[]): Promise<PutBatchResult[]> {
    // A batch sent twice within one group is stored once: the later copies are repeats.
    const firstOfKey = new Map<string, number>();
    group.forEach((pending, index) => {
      const key = batchKey(pending.input);
      if (!firstOfKey.has(key)) {
        firstOfKey.set(key, index);
      }
    });
    const candidates = [...firstOfKey.values()].map((index) => ({
      index,
      input: (group[index] as PendingPut).input,
    }));
    const now = performance.now();
    const sessions = new Map<string, KnownSession | undefined>(
      candidates.map(({ input }) => {
        const key = sessionKey(input.projectId, input.sessionId);
        return [key, recall(key, now)];
      }),
    );
    try {
      if ([...sessions.values()].every((session) => session !== undefined)) {
        try {
          return await putGroupInOneStatement(
            client,
            group.length,
            candidates,
            sessions as Map<string, KnownSession>,
          );
        } catch (error) {
          // A statement PostgreSQL refused is written again with locks, which read what
          // changed. A connection that failed or timed out cannot take that transaction (it
          // would time out twice more): the group fails at once, written alone on others.
          if (!(error instanceof pg.DatabaseError)) {
            throw error;
          }
        }
      }
      return await putGroupLocked(client, group.length, candidates, sessions);
    } catch (error) {
      for (const key of sessions.keys()) {
        forget(key);
      }
      throw error;
    }
  }

  async function putGroupInOneStatement(
    client: pg.PoolClient,
    size: number,
    candidates: readonly Candidate[],
    sessions: ReadonlyMap<string, KnownSession>,
  ): Promise<PutBatchResult[]> {
    const merged = mergeGroup(size, candidates, sessions, () => true);
    const { writes } = merged;
    // The sessions are locked first, in key order as in the locked way, so that two processes
    // writing the same sessions take their locks in the same order; they are checked first,
    // so that a group another process got to first stops before its batches are written.
    const { rows } = await client.query<{ xmin: string | null }>({
      name: prepared ? 'replaykit_group_write' : undefined,
      text: GROUP_WRITE_SQL,
      values: [
        ...sessionParams(writes),
        pgArray(
          'xid',
          writes.map((row) => (sessions.get(row.key) as KnownSession).xmin),
        ),
        ...merged.eventColumns,
        candidates.length,
        writes.length,
        ...batchParams(candidates),
      ],
    });
    const xmin = rows[0]?.xmin ?? '';
    const now = performance.now();
    for (const write of writes) {
      remember(write.key, leftRow(xmin, write, sessions.get(write.key)), now);
    }
    return merged.results;
  }

  /**
   * Writes a group the locked way. `knew`: what this process knew of the group's sessions;
   * those whose row another process wrote since are written with locks for a while.
   */
  async function putGroupLocked(
    client: pg.PoolClient,
    size: number,
    candidates: readonly Candidate[],
    knew: ReadonlyMap<string, KnownSession | undefined>,
  ): Promise<PutBatchResult[]> {
    // The sessions as this group leaves them, known once it is committed.
    const left = new Map<string, SessionRow>();
    const results = await inTransaction(client, async () => {
      const { inserted, found } = await insertAndLock(client, candidates);
      contend(
        // A session deleted meanwhile (by the sweeper, say) is new again, not contended.
        [...knew].flatMap(([key, known]) => {
          const row = found.get(key);
          return known && row && row.xmin !== known.xmin ? [key] : [];
        }),
        performance.now(),
      );
      const merged = mergeGroup(size, candidates, found, (input) => inserted.has(batchKey(input)));
      const { writes } = merged;
      for (const [key, row] of found) {
        left.set(key, row);
      }
      if (writes.length === 0) {
        return merged.results;
      }
      const { rows } = await client.query<{ conflicts: number; xmin: string | null }>({
        name: prepared ? 'replaykit_group_write_sessions' : undefined,
        text: `WITH input AS (
           SELECT * FROM unnest(${SESSION_INPUT_TYPES}, $13::boolean[], $19::bigint[])
             AS v(${SESSION_INPUT_NAMES}, is_new, created_at)
         ),
         updated AS (
           UPDATE sessions s SET ${SESSION_UPDATES}
           FROM input v WHERE NOT v.is_new AND s.project_id = v.project_id AND s.id = v.id
           RETURNING s.xmin
         ),
         created AS (
           INSERT INTO sessions (${SESSION_COLUMNS})
           SELECT project_id, id, started_at, ended_at, duration_ms, active_ms, error_count, byte_count,
             user_id, urls_text, state, created_at, now FROM input WHERE is_new
           ON CONFLICT (project_id, id) DO NOTHING
           RETURNING xmin
         ),
         ${INDEX_EVENTS}
         SELECT (SELECT count(*) FROM input WHERE is_new) - (SELECT count(*) FROM created) AS conflicts,
           (SELECT xmin::text FROM updated UNION ALL SELECT xmin::text FROM created LIMIT 1) AS xmin`,
        values: [
          ...sessionParams(writes),
          pgArray(
            'bool',
            writes.map((row) => !found.has(row.key)),
          ),
          ...merged.eventColumns,
          pgArray(
            'int8',
            writes.map((row) => row.createdAt),
          ),
        ],
      });
      if (Number(rows[0]?.conflicts ?? 0) !== 0) {
        // Another process created one of these sessions after the lock was taken; rolling
        // back and storing each batch alone merges into its row instead.
        throw new Error('A new session of the group was created concurrently.');
      }
      const xmin = rows[0]?.xmin ?? '';
      for (const write of writes) {
        // The rows it found are not known to be indexed, only the group's.
        left.set(write.key, leftRow(xmin, write, undefined));
      }
      return merged.results;
    });
    const now = performance.now();
    for (const [key, row] of left) {
      remember(key, row, now);
    }
    return results;
  }

  /** The first statement of a locked group: inserts the batches and locks their sessions. */
  async function insertAndLock(client: pg.PoolClient, candidates: readonly Candidate[]) {
    // Each session once; the statement locks them in key order (ORDER BY … FOR UPDATE), the
    // same in every process, so two groups never wait on each other in a cycle.
    const sessionKeys = [
      ...new Map(
        candidates.map(({ input }) => [
          sessionKey(input.projectId, input.sessionId),
          [input.projectId, input.sessionId] as const,
        ]),
      ).values(),
    ];
    const { rows } = await client.query<{
      kind: 'batch' | 'session';
      project_id: string;
      session_id: string;
      window_id: string | null;
      seq: number | null;
      state: string | null;
      xmin: string | null;
    }>({
      name: prepared ? 'replaykit_group_lock' : undefined,
      text: GROUP_LOCK_SQL,
      values: [
        pgArray(
          'text',
          sessionKeys.map((key) => key[0]),
        ),
        pgArray(
          'text',
          sessionKeys.map((key) => key[1]),
        ),
        ...batchParams(candidates),
      ],
    });
    const inserted = new Set<string>();
    const found = new Map<string, SessionRow>();
    for (const row of rows) {
      if (row.kind === 'batch') {
        inserted.add(
          batchKey({
            projectId: row.project_id,
            sessionId: row.session_id,
            windowId: row.window_id ?? '',
            seq: row.seq ?? 0,
          }),
        );
      } else if (row.state !== null) {
        found.set(sessionKey(row.project_id, row.session_id), {
          xmin: row.xmin ?? '',
          state: parseSessionState(row.state),
          chars: row.state.length,
        });
      }
    }
    return { inserted, found };
  }

  /**
   * Deletes sessions with all their data and forgets them; the number of sessions deleted.
   * `lock` locks the session rows (`FOR UPDATE`) and gives the ids to delete. The delete is a
   * statement of its own after it: a write in flight holds its session's row, so the lock
   * waits for it to commit, and the delete's snapshot, taken after, sees its batches. In one
   * statement, the batches such a write committed while the statement waited for the row
   * outlived the session.
   */
  async function deleteSessions(
    projectId: string,
    lock: (client: pg.PoolClient) => Promise<readonly string[]>,
  ): Promise<number> {
    const rows = await transaction(pool, async (client) => {
      const ids = await lock(client);
      if (ids.length === 0) {
        return [];
      }
      return (await client.query<{ id: string }>(DELETE_SESSIONS, [projectId, pgArray('text', ids)])).rows;
    });
    for (const row of rows) {
      forget(sessionKey(projectId, row.id));
    }
    return rows.length;
  }

  /** Batches not answered yet: close() writes them before it ends the connections. */
  const unanswered = new Set<Promise<PutBatchResult>>();
  let closing: Promise<void> | undefined;

  function putBatch(input: PutBatchInput): Promise<PutBatchResult> {
    const put = new Promise<PutBatchResult>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (waiting.length === 1 && !writing) {
        // Batches that arrive in this turn of the event loop join the first group.
        setImmediate(writeWaiting);
      }
    });
    unanswered.add(put);
    const answered = () => unanswered.delete(put);
    put.then(answered, answered);
    return put;
  }

  return {
    putBatch,

    async listSessions(projectId, options) {
      const { sql, params } = buildListQuery(projectId, options, (index) => `$${index}`);
      const { rows } = await pool.query<{ state: string }>(sql, params);
      return sessionPageFromRows(projectId, rows, options);
    },

    async getSession(projectId, sessionId): Promise<SessionSummary | undefined> {
      const { rows } = await pool.query<{ state: string }>(
        'SELECT state FROM sessions WHERE project_id = $1 AND id = $2',
        [projectId, sessionId],
      );
      return rows[0] ? parseSessionState(rows[0].state).summary : undefined;
    },

    async getMarkers(projectId, sessionId): Promise<TimelineMarker[]> {
      const { rows } = await pool.query<{ markers: string }>(
        'SELECT markers FROM batches WHERE project_id = $1 AND session_id = $2 ORDER BY started_at, window_id, seq',
        [projectId, sessionId],
      );
      return markersFromRows(rows);
    },

    async *readBatches(projectId, sessionId, options = {}): AsyncGenerator<StoredBatch> {
      const { rows } = await pool.query<BatchRefRow>(
        `SELECT window_id, seq, started_at, byte_count FROM batches
         WHERE project_id = $1 AND session_id = $2 AND ($3::text IS NULL OR window_id = $3) AND seq >= $4
         ORDER BY window_id, seq`,
        [projectId, sessionId, options.windowId ?? null, options.fromSeq ?? 0],
      );
      const ordered = orderBatchRefs(rows, options.order);
      for (let start = 0; start < ordered.length; ) {
        const length = groupLength(ordered, start, (ref) => ref.byteCount ?? 0, READ_PAGE);
        const page = ordered.slice(start, start + length);
        start += length;
        const bodies = await pool.query<BatchBodyRow & { window_id: string; seq: number }>(
          `SELECT b.window_id, b.seq, b.encoding, b.body, b.timestamp_offset_ms
           FROM batches b JOIN unnest($3::text[], $4::bigint[]) AS wanted(window_id, seq)
             ON b.window_id = wanted.window_id AND b.seq = wanted.seq
           WHERE b.project_id = $1 AND b.session_id = $2`,
          [projectId, sessionId, page.map((ref) => ref.windowId), page.map((ref) => ref.seq)],
        );
        const byKey = new Map(bodies.rows.map((row) => [`${row.window_id}\n${row.seq}`, row]));
        for (const ref of page) {
          const row = byKey.get(`${ref.windowId}\n${ref.seq}`);
          if (!row) {
            throw new SessionDeletedError();
          }
          yield storedBatch(ref, row);
        }
      }
    },

    async deleteSession(projectId, sessionId) {
      return (
        (await deleteSessions(projectId, async (client) => {
          const { rows } = await client.query<{ id: string }>(
            'SELECT id FROM sessions WHERE project_id = $1 AND id = $2 FOR UPDATE',
            [projectId, sessionId],
          );
          if (rows.length === 0) {
            // No session: batches or event rows left without one (by a release before the
            // two-step delete) go, unless a write created the session since the lock.
            await client.query(DELETE_ORPHANS, [projectId, sessionId]);
          }
          return rows.map((row) => row.id);
        })) > 0
      );
    },

    async deleteSessionsEndedBefore(projectId, before, limit) {
      checkSweepLimit(limit);
      return deleteSessions(projectId, async (client) => {
        // Sessions being written are left for the next sweep rather than waited for. ended_at
        // holds whole milliseconds, so `< before` is `< ceil(before)`, which bigint takes; a
        // time before any a double holds exactly (a retention of eons) is clamped into range.
        const { rows } = await client.query<{ id: string }>(
          'SELECT id FROM sessions WHERE project_id = $1 AND ended_at < $2 AND updated_at < $2 ORDER BY ended_at LIMIT $3 FOR UPDATE SKIP LOCKED',
          [projectId, Math.max(Math.ceil(before), Number.MIN_SAFE_INTEGER), limit],
        );
        return rows.map((row) => row.id);
      });
    },

    async hasBatch(projectId, sessionId, windowId, seq) {
      const { rowCount } = await pool.query(
        'SELECT 1 FROM batches WHERE project_id = $1 AND session_id = $2 AND window_id = $3 AND seq = $4',
        [projectId, sessionId, windowId, seq],
      );
      return (rowCount ?? 0) > 0;
    },

    async usage(projectId): Promise<ProjectUsage> {
      const { rows } = await pool.query<{ sessions: number; bytes: number }>(
        'SELECT COUNT(*) AS sessions, COALESCE(SUM(byte_count), 0)::bigint AS bytes FROM sessions WHERE project_id = $1',
        [projectId],
      );
      return { sessions: rows[0]?.sessions ?? 0, bytes: rows[0]?.bytes ?? 0 };
    },

    async ping() {
      // A read-only database (a standby after a failover, default_transaction_read_only)
      // answers SELECT 1 but refuses every batch: this server is not ready then.
      const { rows } = await pool.query<{ read_only: string }>(
        "SELECT current_setting('transaction_read_only') AS read_only",
      );
      if (rows[0]?.read_only === 'on') {
        throw new Error(
          'The PostgreSQL database is read-only (a standby, or default_transaction_read_only is on): no batch can be stored. Point DATABASE_URL at the primary, or turn read-only off.',
        );
      }
    },

    close() {
      // Every call gets the same promise: a second pool.end() would throw.
      closing ??= (async () => {
        while (unanswered.size > 0) {
          await Promise.allSettled([...unanswered]);
        }
        if (!pool.ended) {
          await pool.end();
        }
      })();
      return closing;
    },
  };
}
