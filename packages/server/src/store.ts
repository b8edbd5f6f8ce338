import { type BatchSummary, type SessionSummary, SUMMARY_LIST_MAX } from '@replaykit/core';

/** How a stored batch body is encoded: exactly as the recorder sent it. */
export type BatchEncoding = 'gzip' | 'identity';

/** One accepted batch, as handed to {@link Store.putBatch}. */
export interface PutBatchInput {
  projectId: string;
  sessionId: string;
  windowId: string;
  seq: number;
  /** When the server accepted the batch, in ms since 1970. */
  receivedAt: number;
  /** The request body exactly as received, compressed or not. */
  body: Uint8Array;
  encoding: BatchEncoding;
  /** What the batch contributes to its session's metadata (core's `summarizeBatch`). */
  summary: BatchSummary;
  /** Bytes received for this batch (the compressed size when it was compressed). */
  byteCount: number;
}

/** The answer to {@link Store.putBatch}. */
export interface PutBatchResult {
  /** True when this `(projectId, sessionId, windowId, seq)` was already stored: nothing was written. */
  duplicate: boolean;
}

/** Paging of {@link Store.listSessions}. */
export interface ListSessionsOptions {
  /** Most sessions to return; the caller validates the range. */
  limit: number;
  /** `nextCursor` of the previous page, or null/undefined for the first page. */
  cursor?: string | null;
}

/** One page of sessions, newest first. */
export interface SessionPage {
  sessions: SessionSummary[];
  /** Opaque; pass back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

/** Filter of {@link Store.readBatches}. */
export interface ReadBatchesOptions {
  /** Only the batches of this window (tab). */
  windowId?: string;
}

/** One stored batch, as read back. */
export interface StoredBatch {
  windowId: string;
  seq: number;
  body: Uint8Array;
  encoding: BatchEncoding;
}

/**
 * Where recordings live. Every method is async so that stores over a network database
 * (PostgreSQL) fit the same shape as the embedded SQLite store. Every read is scoped to
 * one project: a session id alone never reaches another project's data.
 */
export interface Store {
  /** Stores a batch and merges its summary into its session, atomically; a repeat is a no-op reported as duplicate. */
  putBatch(input: PutBatchInput): Promise<PutBatchResult>;
  /** Lists a project's sessions newest first (startedAt desc, then id desc). */
  listSessions(projectId: string, options: ListSessionsOptions): Promise<SessionPage>;
  /** Returns one session's metadata, or undefined when the project has no such session. */
  getSession(projectId: string, sessionId: string): Promise<SessionSummary | undefined>;
  /** Yields a session's batches ordered by windowId, then seq. */
  readBatches(projectId: string, sessionId: string, options?: ReadBatchesOptions): AsyncIterable<StoredBatch>;
  /** Deletes a session and all its batches; false when there was no such session. */
  deleteSession(projectId: string, sessionId: string): Promise<boolean>;
  /** Releases the store's resources; later calls fail. */
  close(): Promise<void>;
}

/** Thrown by {@link Store.listSessions} when a cursor was not made by this store. */
export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not one this server returned; pass the nextCursor of the previous page unchanged.');
    this.name = 'InvalidCursorError';
  }
}

/**
 * A session summary plus the bookkeeping a store needs to merge batches that arrive in
 * any order: when the first URL and the user id were seen.
 */
export interface StoredSessionState {
  summary: SessionSummary;
  /** Time of the event that gave `firstUrl`. */
  firstUrlAt: number | null;
  /**
   * Time the user id was last seen. A batch summary does not say when its identify event
   * happened, so the batch's last event time stands in for it: later batches win.
   */
  userIdAt: number | null;
}

/** Starts a session's state from its first batch. */
export function newSessionState(
  sessionId: string,
  windowId: string,
  summary: BatchSummary,
  byteCount: number,
): StoredSessionState {
  return {
    summary: {
      id: sessionId,
      startedAt: summary.startedAt,
      endedAt: summary.endedAt,
      durationMs: summary.endedAt - summary.startedAt,
      eventCount: summary.eventCount,
      byteCount,
      firstUrl: summary.firstUrl,
      userId: summary.userId,
      clickCount: summary.clickCount,
      errorCount: summary.errorCount,
      customEventNames: summary.customEventNames.slice(0, SUMMARY_LIST_MAX),
      windowIds: [windowId],
      hasFullSnapshot: summary.hasFullSnapshot,
    },
    firstUrlAt: summary.firstUrl === null ? null : summary.firstUrlAt,
    userIdAt: summary.userId === null ? null : summary.endedAt,
  };
}

function union(existing: readonly string[], added: readonly string[], max: number): string[] {
  const result = [...existing];
  for (const item of added) {
    if (result.length >= max) {
      break;
    }
    if (!result.includes(item)) {
      result.push(item);
    }
  }
  return result;
}

/**
 * Merges one more batch into a session's state. Pure, so every store merges the same way:
 * min startedAt, max endedAt, summed counts, firstUrl from the earliest firstUrlAt, the
 * latest userId, unions of custom event names (capped) and window ids, OR of hasFullSnapshot.
 */
export function mergeSessionState(
  state: StoredSessionState,
  windowId: string,
  summary: BatchSummary,
  byteCount: number,
): StoredSessionState {
  const previous = state.summary;
  const startedAt = Math.min(previous.startedAt, summary.startedAt);
  const endedAt = Math.max(previous.endedAt, summary.endedAt);
  let { firstUrl } = previous;
  let { firstUrlAt, userIdAt } = state;
  if (summary.firstUrl !== null && summary.firstUrlAt !== null) {
    if (firstUrlAt === null || summary.firstUrlAt < firstUrlAt) {
      firstUrl = summary.firstUrl;
      firstUrlAt = summary.firstUrlAt;
    }
  }
  let { userId } = previous;
  if (summary.userId !== null && (userIdAt === null || summary.endedAt >= userIdAt)) {
    userId = summary.userId;
    userIdAt = summary.endedAt;
  }
  return {
    summary: {
      id: previous.id,
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
      eventCount: previous.eventCount + summary.eventCount,
      byteCount: previous.byteCount + byteCount,
      firstUrl,
      userId,
      clickCount: previous.clickCount + summary.clickCount,
      errorCount: previous.errorCount + summary.errorCount,
      customEventNames: union(previous.customEventNames, summary.customEventNames, SUMMARY_LIST_MAX),
      // Window ids are not capped by SUMMARY_LIST_MAX: the player needs every window to replay it.
      windowIds: union(previous.windowIds, [windowId], Number.POSITIVE_INFINITY),
      hasFullSnapshot: previous.hasFullSnapshot || summary.hasFullSnapshot,
    },
    firstUrlAt,
    userIdAt,
  };
}

/** Position of a session in the newest-first order, as carried by a cursor. */
export interface SessionCursor {
  startedAt: number;
  id: string;
}

/** Encodes a list position as an opaque, URL-safe cursor. */
export function encodeCursor(cursor: SessionCursor): string {
  const json = JSON.stringify([cursor.startedAt, cursor.id]);
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/** Decodes a cursor made by {@link encodeCursor}; throws {@link InvalidCursorError} otherwise. */
export function decodeCursor(cursor: string): SessionCursor {
  try {
    const base64 = cursor.replaceAll('-', '+').replaceAll('_', '/');
    const parsed: unknown = JSON.parse(atob(base64));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'number' &&
      Number.isFinite(parsed[0]) &&
      typeof parsed[1] === 'string'
    ) {
      return { startedAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // Falls through to the error below: any malformed cursor gets the same answer.
  }
  throw new InvalidCursorError();
}
