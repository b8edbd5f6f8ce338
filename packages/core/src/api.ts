import type { RecordedEvent } from './events';
import type { TimelineMarker } from './markers';
import type { SessionSummary } from './session-summary';

/**
 * The read API's routes, relative to the server's base URL. Every read route needs the
 * project's secret read key as `Authorization: Bearer <readKey>`.
 */
export const API_PATHS = {
  sessions: '/v1/sessions',
  session: (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}`,
  sessionEvents: (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}/events`,
  /** NDJSON stream of the session's batches in order: see {@link SessionChunk}. */
  sessionChunks: (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}/chunks`,
} as const;

/** The read key travels as a bearer token in this header. */
export const READ_KEY_HEADER = 'authorization';

/**
 * Reads an answer's `Retry-After` as milliseconds from now: seconds, or an HTTP date measured
 * against the answer's `Date` (the server's clock: the page's may be hours off, which read a
 * date 6 s ahead as already past, or as a wait of hours). A date without a readable `Date`
 * (not exposed to another origin) reads as no `Retry-After`, so the caller's backoff applies.
 */
export function parseRetryAfterMs(header: string | null, date: string | null = null): number | undefined {
  if (!header) {
    return undefined;
  }
  const seconds = Number(header);
  const wait =
    header.trim() !== '' && Number.isFinite(seconds)
      ? seconds * 1000
      : Date.parse(header) - Date.parse(date ?? '');
  return Number.isNaN(wait) ? undefined : Math.max(0, wait);
}

/** Sort orders of the session list. */
export type SessionSort = 'newest' | 'longest' | 'most_errors';

/**
 * Filters, sort and page of `GET /v1/sessions`. Each field is one query parameter of the
 * same name; times are ms since 1970, durations ms; `hasErrors` is `true` or `false`.
 */
export interface SessionListQuery {
  /** Exact user id (from `identify`). */
  userId?: string;
  /** Sessions that captured this custom event name. */
  event?: string;
  /** With `event`: a property that event must carry, as `name=value` (string comparison). */
  eventProperty?: string;
  /** Sessions that visited a URL containing this text (case-insensitive). */
  urlContains?: string;
  /** Sessions that started at or after this time. */
  from?: number;
  /** Sessions that started before this time. */
  to?: number;
  minDurationMs?: number;
  maxDurationMs?: number;
  minActiveMs?: number;
  hasErrors?: boolean;
  /** Default `newest`. */
  sort?: SessionSort;
  /** Page size; default 50, at most 200. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Builds the query string of `GET /v1/sessions` (without `?`), skipping unset fields. */
export function sessionListSearchParams(query: SessionListQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(name, String(value));
    }
  }
  return params;
}

/** `GET /v1/sessions`: one page, sorted as asked. */
export interface SessionListResponse {
  sessions: SessionSummary[];
  /** Pass as `?cursor=` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** `GET /v1/sessions/:id`: the metadata and the timeline markers, so the timeline can draw before events load. */
export interface SessionResponse {
  session: SessionSummary;
  markers: TimelineMarker[];
}

/** `GET /v1/sessions/:id/events`: the events of the session (or of one window) in time order. */
export interface SessionEventsResponse {
  events: RecordedEvent[];
}

/**
 * One line of `GET /v1/sessions/:id/chunks?fromSeq=&windowId=` (content type
 * `application/x-ndjson`): one stored batch, decompressed, in (windowId, seq) order within a
 * window and by first event time across windows. A client that lost the stream of one window
 * resumes with `?windowId=W&fromSeq=<last seq + 1>`; a stream of several windows interleaves
 * them, so it is resumed that way for each of the session's `windowIds`.
 */
export interface SessionChunk {
  windowId: string;
  seq: number;
  events: RecordedEvent[];
}
