import type { RecordedEvent } from './events';

/** Version of the plain batch wire format, as the recorder writes a batch before packing it. */
export const WIRE_VERSION = 1;

/**
 * Version of the packed format the recorder sends: version 1 with timestamps, node ids and
 * coordinates as differences (`./wire-deltas`). The server reads both; others are refused.
 */
export const WIRE_VERSION_DELTAS = 2;

/** The ingest route, relative to the server's base URL. */
export const INGEST_PATH = '/v1/ingest';

/** Header that carries the public write key (the query parameter `key` works too, for sendBeacon). */
export const WRITE_KEY_HEADER = 'x-replaykit-key';

/** Query parameter that carries the write key where headers cannot be set (sendBeacon). */
export const WRITE_KEY_QUERY = 'key';

/** Longest session or window id accepted, in characters. */
export const ID_MAX_LENGTH = 64;

/** Characters allowed in session and window ids: letters, digits, `-` and `_`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Largest sequence number accepted (fits exactly in a double and in a SQL BIGINT). */
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Latest event time accepted, in ms since 1970: the largest integer a double holds exactly
 * (about the year 287,000). Later times could not be corrected (see the server's clock skew
 * limits) without losing the event's own milliseconds, nor stored in a SQL BIGINT.
 */
export const TIMESTAMP_MAX = Number.MAX_SAFE_INTEGER;

/** Most events accepted in one batch. */
export const BATCH_MAX_EVENTS = 100_000;

/**
 * One request body sent by the recorder. A batch is identified by
 * `(sessionId, windowId, seq)`: `seq` increases per batch within a window (by the recorder's
 * `BATCH_SEQ_STRIDE`, the parts of a split batch numbered between), so the server can drop
 * repeats and serve batches in order.
 */
export interface IngestBatch {
  v: typeof WIRE_VERSION | typeof WIRE_VERSION_DELTAS;
  sessionId: string;
  windowId: string;
  seq: number;
  /**
   * When this request was sent, by the client's clock (ms since 1970, as the event times).
   * Optional: set anew on every send and re-send, so a batch that waited in a queue still
   * says when it left. The server takes the difference to its receive time as the client's
   * clock error (exact however long the batch waited) instead of guessing it from the newest
   * event; without it, the server guesses as before. Validated like an event time; not part
   * of the batch's identity (a re-send with a later `sentAt` is still a repeat).
   */
  sentAt?: number;
  events: RecordedEvent[];
}

/** The server's answer to an accepted batch. */
export interface IngestResponse {
  ok: true;
  /** True when this `(sessionId, windowId, seq)` had been stored before: nothing new was written. */
  duplicate: boolean;
}

/** The body of every error answer from the server. */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable code such as `invalid_batch` or `missing_key`. */
    code: string;
    /** What went wrong and how to fix it, for a person. */
    message: string;
    /**
     * For a batch refused because of one of its events: that event's index in `events`, so
     * that a client can leave it out and send the rest.
     */
    event?: number;
  };
}

/** True when a string may be used as a session or window id. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id);
}
