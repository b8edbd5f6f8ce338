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
} as const;

/** The read key travels as a bearer token in this header. */
export const READ_KEY_HEADER = 'authorization';

/** `GET /v1/sessions`: newest first. */
export interface SessionListResponse {
  sessions: SessionSummary[];
  /** Pass as `?cursor=` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** `GET /v1/sessions/:id`. */
export interface SessionResponse {
  session: SessionSummary;
  markers: TimelineMarker[];
}

/** `GET /v1/sessions/:id/events`: the events of the session (or of one window) in time order. */
export interface SessionEventsResponse {
  events: RecordedEvent[];
}
