import {
  API_PATHS,
  READ_KEY_HEADER,
  type RecordedEvent,
  type SessionSummary,
  type TimelineMarker,
} from '@replaykit/core';
import { createTimeline, type ReplayTimelineData } from './timeline-data';

/** Where to load a session from. */
export interface LoadSessionOptions {
  sessionId: string;
  /** The replaykit server's base URL, e.g. `https://replay.example.com`; empty for this origin. */
  baseUrl?: string;
  /** The project's secret read key, sent as `Authorization: Bearer <readKey>`. */
  readKey?: string;
  signal?: AbortSignal;
  /** Replaces the global `fetch` (tests, custom auth). */
  fetch?: typeof fetch;
}

/** The outcome of loading a session; every failure carries a message that says what to do. */
export type SessionLoadResult =
  | { status: 'ready'; timeline: ReplayTimelineData; session: SessionSummary; windowId: string | null }
  | { status: 'no-snapshot'; session: SessionSummary; windowId: string | null }
  | { status: 'not-found' | 'unauthorized' | 'error'; message: string };

type Failure = Extract<SessionLoadResult, { message: string }>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEvent(value: unknown): value is RecordedEvent {
  return isRecord(value) && typeof value.type === 'number' && Number.isFinite(value.timestamp);
}

function isMarker(value: unknown): value is TimelineMarker {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.kind === 'string' &&
    typeof value.label === 'string' &&
    Number.isFinite(value.timestamp)
  );
}

function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** The `message` of a replaykit `ErrorBody` (`{ error: { code, message } }`), if the body is one. */
async function serverMessage(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.json();
    const message = isRecord(body) && isRecord(body.error) ? body.error.message : undefined;
    return typeof message === 'string' ? message : null;
  } catch {
    return null;
  }
}

async function failureForStatus(response: Response, url: string, sessionId: string): Promise<Failure> {
  const detail = await serverMessage(response);
  const said = detail === null ? '' : ` The server said: ${detail}`;
  if (response.status === 404) {
    return {
      status: 'not-found',
      message: `Session "${sessionId}" was not found. It may have been deleted by retention, or the id is wrong.${said}`,
    };
  }
  if (response.status === 401 || response.status === 403) {
    return {
      status: 'unauthorized',
      message: `The server refused the read key (HTTP ${response.status}). Pass the project's secret read key as readKey; the public write key cannot read sessions.${said}`,
    };
  }
  return {
    status: 'error',
    message: `The server answered HTTP ${response.status} for ${url}. Retry, or check the server's logs.${said}`,
  };
}

/**
 * Loads a session from a replaykit server: its summary and markers, then the events of
 * its first window. Rejects only when `signal` aborts; every other failure is a result.
 */
export async function loadSession(options: LoadSessionOptions): Promise<SessionLoadResult> {
  const { sessionId, baseUrl = '', readKey, signal } = options;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = readKey ? { [READ_KEY_HEADER]: `Bearer ${readKey}` } : {};

  async function getJson(url: string): Promise<{ body: unknown } | Failure> {
    let response: Response;
    try {
      response = await fetchFn(url, { headers, signal });
    } catch (error) {
      if (signal?.aborted) {
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      return {
        status: 'error',
        message: `Could not reach the replaykit server at ${baseUrl || 'this origin'} (${reason}). Check baseUrl, that the server is running, and that it allows this origin (CORS).`,
      };
    }
    if (!response.ok) {
      return failureForStatus(response, url, sessionId);
    }
    try {
      return { body: await response.json() };
    } catch (error) {
      if (signal?.aborted) {
        throw error;
      }
      return {
        status: 'error',
        message: `The server's answer to ${url} is not JSON. Check that baseUrl points at a replaykit server.`,
      };
    }
  }

  function malformed(url: string, expected: string): Failure {
    return {
      status: 'error',
      message: `The server's answer to ${url} is not a ${expected}. Check that baseUrl points at a replaykit server of the same version as this player.`,
    };
  }

  const sessionUrl = joinUrl(baseUrl, API_PATHS.session(sessionId));
  const sessionResult = await getJson(sessionUrl);
  if ('status' in sessionResult) {
    return sessionResult;
  }
  const sessionBody = sessionResult.body;
  if (!isRecord(sessionBody) || !isRecord(sessionBody.session) || !Array.isArray(sessionBody.markers)) {
    return malformed(sessionUrl, 'SessionResponse ({ session, markers })');
  }
  const session = sessionBody.session as unknown as SessionSummary;
  const markers = sessionBody.markers.filter(isMarker);
  const windowIds = Array.isArray(session.windowIds)
    ? session.windowIds.filter((id): id is string => typeof id === 'string')
    : [];
  // Several tabs each have their own DOM and cannot share one replayer: play the first for now.
  const windowId = windowIds.length > 1 ? (windowIds[0] ?? null) : null;

  const eventsPath = API_PATHS.sessionEvents(sessionId);
  const eventsUrl = joinUrl(
    baseUrl,
    windowId === null ? eventsPath : `${eventsPath}?windowId=${encodeURIComponent(windowId)}`,
  );
  const eventsResult = await getJson(eventsUrl);
  if ('status' in eventsResult) {
    return eventsResult;
  }
  const eventsBody = eventsResult.body;
  if (!isRecord(eventsBody) || !Array.isArray(eventsBody.events)) {
    return malformed(eventsUrl, 'SessionEventsResponse ({ events })');
  }
  const timeline = createTimeline(eventsBody.events.filter(isEvent), markers);
  if (timeline === null) {
    return { status: 'no-snapshot', session, windowId };
  }
  return { status: 'ready', timeline, session, windowId };
}
