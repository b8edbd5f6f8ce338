export type { ProjectConfig, ReplayServer, ReplayServerOptions, ServerLimits } from './app';
export {
  createReplayServer,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from './app';
export { DEFAULT_SESSION_PAGE_SIZE, MAX_SESSION_PAGE_SIZE } from './list-query';
export type { SqliteDurability, SqliteStoreOptions } from './sqlite-store';
export { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
export type {
  BatchEncoding,
  ListSessionsOptions,
  PutBatchInput,
  PutBatchResult,
  ReadBatchesOptions,
  SessionPage,
  Store,
  StoredBatch,
  StoredSessionState,
} from './store';
export { InvalidCursorError, mergeSessionState, newSessionState } from './store';
