import {
  API_PATHS,
  isRecord,
  parseRetryAfterMs,
  READ_KEY_HEADER,
  type RecordedEvent,
  type SessionChunk,
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

/** `path` on the server at `baseUrl`, which may end in slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** One field (`code` or `message`) of a replaykit `ErrorBody` (`{ error: { code, message } }`), if the body is one. */
export async function serverErrorField(
  response: Response,
  field: 'code' | 'message',
): Promise<string | null> {
  try {
    const body: unknown = await response.json();
    const value = isRecord(body) && isRecord(body.error) ? body.error[field] : undefined;
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

async function failureForStatus(response: Response, url: string, sessionId: string): Promise<Failure> {
  const detail = await serverErrorField(response, 'message');
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
  const { sessionId, signal } = options;
  const { fetchFn, headers, baseUrl } = requestParts(options);

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

/** A failure to load a session, with the state the player shows for it. */
export class ReplayLoadError extends Error {
  readonly kind: 'not-found' | 'unauthorized' | 'error';
  /** True when the request never got an answer (the network, DNS, CORS), rather than a refusal. */
  readonly unreachable: boolean;
  constructor(kind: 'not-found' | 'unauthorized' | 'error', message: string, unreachable = false) {
    super(message);
    this.name = 'ReplayLoadError';
    this.kind = kind;
    this.unreachable = unreachable;
  }
}

function isChunk(value: unknown): value is SessionChunk {
  return (
    isRecord(value) &&
    typeof value.windowId === 'string' &&
    typeof value.seq === 'number' &&
    Array.isArray(value.events)
  );
}

/** Reads an NDJSON body line by line as it arrives. */
async function* ndjsonLines(response: Response): AsyncGenerator<string> {
  if (response.body === null) {
    yield* (await response.text()).split('\n');
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        yield buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    }
    buffered += decoder.decode();
    if (buffered !== '') {
      yield buffered;
    }
  } finally {
    reader.releaseLock();
  }
}

/** What {@link fetchSessionMeta} returns: the summary and the markers of every tab. */
export interface SessionMeta {
  session: SessionSummary;
  markers: TimelineMarker[];
}

function failureToError(failure: Failure): ReplayLoadError {
  return new ReplayLoadError(failure.status, failure.message);
}

/** The fetch, headers (the read key) and base URL every request to a replaykit server uses. */
export function requestParts(options: Pick<LoadSessionOptions, 'baseUrl' | 'readKey' | 'fetch'>) {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = options.readKey
    ? { [READ_KEY_HEADER]: `Bearer ${options.readKey}` }
    : {};
  return { fetchFn, headers, baseUrl: options.baseUrl ?? '' };
}

async function request(options: LoadSessionOptions, url: string): Promise<Response> {
  const { fetchFn, headers, baseUrl } = requestParts(options);
  try {
    return await fetchFn(url, { headers, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) {
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReplayLoadError(
      'error',
      `Could not reach the replaykit server at ${baseUrl || 'this origin'} (${reason}). Check baseUrl, that the server is running, and that it allows this origin (CORS).`,
      true,
    );
  }
}

/**
 * Loads a session's summary and markers; throws a {@link ReplayLoadError} on failure. An HTTP
 * 503 (a server restarting or busy) is waited out as the chunk stream waits it out: up to
 * {@link STREAM_RESUME_DELAYS_MS} times, each for as long as its `Retry-After` asks when that is
 * longer (up to {@link STREAM_RETRY_AFTER_MAX_MS}).
 */
export async function fetchSessionMeta(options: LoadSessionOptions): Promise<SessionMeta> {
  const { baseUrl } = requestParts(options);
  const url = joinUrl(baseUrl, API_PATHS.session(options.sessionId));
  let response = await request(options, url);
  for (const scheduled of STREAM_RESUME_DELAYS_MS) {
    if (response.status !== 503) {
      break;
    }
    await pause(await unavailableDelayMs(response, scheduled), options.signal);
    response = await request(options, url);
  }
  if (!response.ok) {
    throw failureToError(await failureForStatus(response, url, options.sessionId));
  }
  const body: unknown = await response.json().catch(() => null);
  if (!isRecord(body) || !isRecord(body.session) || !Array.isArray(body.markers)) {
    throw new ReplayLoadError(
      'error',
      `The server's answer to ${url} is not a SessionResponse ({ session, markers }). Check that baseUrl points at a replaykit server of the same version as this player.`,
    );
  }
  return { session: body.session as unknown as SessionSummary, markers: body.markers.filter(isMarker) };
}

/** Options of {@link streamSessionChunks}. */
export interface StreamChunksOptions extends LoadSessionOptions {
  /** Only this tab's chunks; all tabs when omitted. */
  windowId?: string;
  /** With `windowId`: resume from this batch sequence number. */
  fromSeq?: number;
}

/**
 * How often {@link streamSessionChunks} resumes a stream whose connection broke before it
 * gives up, and how long it waits before each attempt, in ms. Each chunk that arrives resets
 * the count: only a connection that keeps breaking without progress fails the load.
 */
export const STREAM_RESUME_DELAYS_MS: readonly number[] = [250, 1_000, 3_000];

/**
 * Longest wait a `Retry-After` on a 503 can ask of {@link streamSessionChunks}, in ms: a
 * server that asks for longer is retried after this, so the viewer is not left waiting on
 * a notice-less load for minutes.
 */
export const STREAM_RETRY_AFTER_MAX_MS = 10_000;

/**
 * How long to wait before asking again after `response`, an HTTP 503 (unavailable for now, not
 * refused: the same request is likely to pass in a moment): `scheduledMs`, or longer when its
 * `Retry-After` asks (up to {@link STREAM_RETRY_AFTER_MAX_MS}). Lets go of its body.
 */
async function unavailableDelayMs(response: Response, scheduledMs: number): Promise<number> {
  const asked = parseRetryAfterMs(response.headers.get('retry-after'), response.headers.get('date'));
  await response.body?.cancel();
  return Math.max(scheduledMs, asked === undefined ? 0 : Math.min(asked, STREAM_RETRY_AFTER_MAX_MS));
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Streams a session's stored batches from `GET /v1/sessions/:id/chunks` (NDJSON), one
 * chunk as soon as its line arrives. A connection that breaks mid-stream is resumed where it
 * broke (the next `fromSeq` of `windowId`), up to {@link STREAM_RESUME_DELAYS_MS} times in a
 * row, so a flaky network neither fails a long load nor repeats a chunk. An HTTP 503 (a
 * server restarting or busy) is waited out the same way, for as long as its `Retry-After`
 * asks when that is longer (up to {@link STREAM_RETRY_AFTER_MAX_MS}). Without `windowId`
 * (every tab, whose seqs are counted apart) only a stream that broke before its first chunk
 * starts again; one that broke later fails. A server without the
 * chunks route (HTTP 404 or 405 on it) gets one request to `/events` instead, yielded as a
 * single chunk. Throws a {@link ReplayLoadError} on failure.
 */
export async function* streamSessionChunks(options: StreamChunksOptions): AsyncGenerator<SessionChunk> {
  const { baseUrl } = requestParts(options);
  const { windowId } = options;
  let { fromSeq } = options;
  let received = false;
  let breaks = 0;
  for (;;) {
    const params = new URLSearchParams();
    if (windowId !== undefined) {
      params.set('windowId', windowId);
    }
    if (fromSeq !== undefined) {
      params.set('fromSeq', String(fromSeq));
    }
    const query = params.size > 0 ? `?${params}` : '';
    const url = joinUrl(baseUrl, `${API_PATHS.sessionChunks(options.sessionId)}${query}`);
    let lines: AsyncIterator<string> | undefined;
    let unavailable: Response | undefined;
    try {
      const response = await request(options, url);
      if (response.status === 404 || response.status === 405) {
        // A 404 for the session means it is gone; any other (no such route) means an older server.
        if (!received && (await serverErrorField(response.clone(), 'code')) !== 'session_not_found') {
          yield* eventsAsChunk(options);
          return;
        }
      }
      if (response.status === 503 && breaks < STREAM_RESUME_DELAYS_MS.length) {
        unavailable = response;
      } else if (!response.ok) {
        throw failureToError(await failureForStatus(response, url, options.sessionId));
      } else {
        lines = ndjsonLines(response)[Symbol.asyncIterator]();
      }
    } catch (error) {
      // A resume that cannot reach the server counts as one more break; anything else fails.
      if (breaks === 0 || !isNetworkFailure(error, options.signal)) {
        throw error;
      }
    }
    let lineNumber = 0;
    try {
      while (lines !== undefined) {
        let next: IteratorResult<string>;
        try {
          next = await lines.next();
        } catch (error) {
          if (!isNetworkFailure(error, options.signal) || (received && windowId === undefined)) {
            throw error;
          }
          break;
        }
        if (next.done) {
          return;
        }
        const line = next.value;
        lineNumber++;
        if (line.trim() === '') {
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new ReplayLoadError(
            'error',
            `Line ${lineNumber} of ${url} is not JSON. Check that baseUrl points at a replaykit server.`,
          );
        }
        if (!isChunk(parsed)) {
          throw new ReplayLoadError(
            'error',
            `Line ${lineNumber} of ${url} is not a SessionChunk ({ windowId, seq, events }). Check that the server is of the same version as this player.`,
          );
        }
        received = true;
        // Used only to resume within one tab (see the catch above).
        fromSeq = parsed.seq + 1;
        breaks = 0;
        yield { windowId: parsed.windowId, seq: parsed.seq, events: parsed.events.filter(isEvent) };
      }
    } finally {
      await lines?.return?.();
    }
    const scheduled = STREAM_RESUME_DELAYS_MS[breaks++];
    if (scheduled === undefined) {
      throw new ReplayLoadError(
        'error',
        `The connection to ${baseUrl || 'this origin'} broke ${STREAM_RESUME_DELAYS_MS.length + 1} times in a row while the replay loaded. Check the network, then retry.`,
      );
    }
    // A window's chunks arrive in seq order, so its stream resumes after the last one.
    await pause(unavailable ? await unavailableDelayMs(unavailable, scheduled) : scheduled, options.signal);
  }
}

/**
 * True for a failure of the connection itself (fetch's TypeError, such as "terminated"
 * when the body breaks off, or a request that could not reach the server), not for an answer
 * the player refuses or a load that was cancelled.
 */
function isNetworkFailure(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    !signal?.aborted &&
    (error instanceof TypeError || (error instanceof ReplayLoadError && error.unreachable))
  );
}

async function* eventsAsChunk(options: StreamChunksOptions): AsyncGenerator<SessionChunk> {
  const { baseUrl } = requestParts(options);
  const path = API_PATHS.sessionEvents(options.sessionId);
  const url = joinUrl(
    baseUrl,
    options.windowId === undefined ? path : `${path}?windowId=${encodeURIComponent(options.windowId)}`,
  );
  const response = await request(options, url);
  if (!response.ok) {
    throw failureToError(await failureForStatus(response, url, options.sessionId));
  }
  const body: unknown = await response.json().catch(() => null);
  if (!isRecord(body) || !Array.isArray(body.events)) {
    throw new ReplayLoadError(
      'error',
      `The server's answer to ${url} is not a SessionEventsResponse ({ events }). Check that baseUrl points at a replaykit server.`,
    );
  }
  yield { windowId: options.windowId ?? '', seq: 0, events: body.events.filter(isEvent) };
}
