export type {
  ProjectConfig,
  ProjectQuota,
  ReplayServer,
  ReplayServerOptions,
  RetentionOptions,
  ServerLimits,
} from './app';
export {
  createReplayServer,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BATCHES_IN_FLIGHT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_BYTES_IN_FLIGHT,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MAX_PAST_SKEW_MS,
  DEFAULT_RATE_BURST,
  DEFAULT_RATE_PER_SECOND,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SWEEP_INTERVAL_MS,
  LIMITS_MAX,
  PROJECT_HEADER,
  PROJECT_QUERY,
  QUOTA_USAGE_CACHE_MS,
  SWEEP_FIRST_DELAY_MS,
  SWEEP_INTERVAL_MAX_MS,
  SWEEP_PAGE_SESSIONS,
} from './app';
export { BATCH_VALUES_MAX, EVENT_TIME_MIN, MAX_EVENT_NESTING } from './batch-decode';
export { MARKER_PAYLOAD_MAX_LENGTH, MARKERS_PER_BATCH_MAX, SENT_AT_TOLERANCE_MS } from './ingest';
export { defaultIngestWorkers, INGEST_WORKERS_DEFAULT_MAX, INGEST_WORKERS_LINGER_MS } from './ingest-pool';
export { DEFAULT_SESSION_PAGE_SIZE, MAX_SESSION_PAGE_SIZE } from './list-query';
export type { PostgresStoreOptions } from './postgres-store';
export {
  createPostgresStore,
  DEFAULT_POSTGRES_POOL_SIZE,
  POSTGRES_CONNECT_TIMEOUT_MS,
  POSTGRES_QUERY_TIMEOUT_MS,
  POSTGRES_SCHEMA_VERSION,
  SESSION_CACHE_CHARS,
  SESSION_CACHE_SIZE,
} from './postgres-store';
export type { SqliteDurability, SqliteStoreOptions } from './sqlite-store';
export { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
export { SQLITE_WRITER_LINGER_MS } from './sqlite-writer-client';
export type {
  BatchEncoding,
  EventPropertyRow,
  ListSessionsOptions,
  ProjectUsage,
  PutBatchInput,
  PutBatchResult,
  ReadBatchesOptions,
  SessionPage,
  Store,
  StoredBatch,
  StoredSessionState,
} from './store';
export {
  GROUP_MAX_BATCHES,
  GROUP_MAX_BYTES,
  InvalidCursorError,
  mergeSessionState,
  newSessionState,
  SESSION_WINDOWS_MAX,
} from './store';
