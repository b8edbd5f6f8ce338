import {
  API_PATHS,
  type ErrorBody,
  ID_MAX_LENGTH,
  INGEST_PATH,
  type IngestResponse,
  isValidId,
  parseWireBody,
  READ_KEY_HEADER,
  type RecordedEvent,
  type SessionChunk,
  type SessionEventsResponse,
  type SessionListResponse,
  type SessionResponse,
  WRITE_KEY_HEADER,
  WRITE_KEY_QUERY,
} from '@replaykit/core';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { bodyErrorRefusal, type DecodedBatch } from './batch-decode';
import { BodyError, decodeUtf8, gunzipLimited, isGzip, readRequestBody } from './body';
import { cutAnswer } from './broken-answer';
import { shiftEvents } from './ingest';
import { acquireBatchDecoder } from './ingest-pool';
import { checkQueryParameters, parseListQuery, QueryError, wholeNumber } from './list-query';
import { checkOptionNames, optionNames } from './option-names';
import { createRateLimiter } from './rate-limit';
import {
  InvalidCursorError,
  type ProjectUsage,
  type PutBatchResult,
  SessionDeletedError,
  type Store,
  type StoredBatch,
} from './store';
import { guardedHook } from './user-hook';

/** Largest request body accepted, as sent (compressed or not): 10 MiB, Sentry's figure. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Largest batch accepted once decompressed: 100 MiB, Sentry's figure. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024;

/** Largest single event accepted once decompressed: 16 MiB (a full snapshot of a huge page fits). */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Time a client has to send a whole request body, in ms; slower gets 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** Events up to this far in the future of the server's clock are trusted: 5 minutes. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1_000;

/**
 * Events up to this far in the past are trusted: 7 days, long enough for a batch that
 * waited in a browser's offline queue.
 */
export const DEFAULT_MAX_PAST_SKEW_MS = 7 * 24 * 60 * 60 * 1_000;

/**
 * Ingest requests one server holds at once, from the moment their key is accepted until
 * they are answered (body read, decoded, stored): past it, 503 `server_busy`. Without a cap, a
 * flood while the store is slow (a stalled disk, a failover) held every body in memory.
 */
export const DEFAULT_MAX_BATCHES_IN_FLIGHT = 1_000;

/** Bytes of those requests' bodies (as sent) one server holds at once: 256 MiB. */
export const DEFAULT_MAX_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/** Batches a write key may send per second on average, per server process. */
export const DEFAULT_RATE_PER_SECOND = 500;

/** Batches a write key may send at once above the average, per server process. */
export const DEFAULT_RATE_BURST = 1_000;

/** Optional header naming the project a batch is for; the write key alone is enough. */
export const PROJECT_HEADER = 'x-replaykit-project';
/** Query parameter form of {@link PROJECT_HEADER}, for sendBeacon. */
export const PROJECT_QUERY = 'project';

/** How long a browser may cache a preflight answer, in seconds (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7_200;

/** Seconds a client should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 5;

const INGEST_ALLOWED_METHODS = 'POST, OPTIONS';
// content-encoding is allowed too although the server sniffs gzip from the bytes: a
// recorder that sets it must not fail its preflight.
const INGEST_ALLOWED_HEADERS = `content-type, content-encoding, ${WRITE_KEY_HEADER}, ${PROJECT_HEADER}`;
/**
 * Content codings an ingest body may declare: gzip (which is also recognised by its magic
 * bytes, for sendBeacon, which cannot declare it) or none.
 */
const INGEST_CONTENT_CODINGS = ['gzip', 'x-gzip', 'identity'];
const READ_ALLOWED_METHODS = 'GET, DELETE, OPTIONS';
const READ_ALLOWED_HEADERS = `${READ_KEY_HEADER}, content-type`;

/** Limits of the ingest route; each is a positive whole number in the unit its name says. */
export interface ServerLimits {
  /** Largest request body accepted as sent (compressed or not); larger gets 413. */
  maxBodyBytes: number;
  /** Largest batch accepted after decompression, enforced while inflating; larger gets 413. */
  maxDecompressedBytes: number;
  /** Largest single event (as JSON) accepted; a batch holding a larger one gets 413. */
  maxEventBytes: number;
  /** Time to receive the whole body; slower gets 408. */
  bodyTimeoutMs: number;
  /** Newest event of a batch may be this far ahead of the server's clock before the batch is shifted. */
  maxFutureSkewMs: number;
  /** Newest event of a batch may be this far behind the server's clock before the batch is shifted. */
  maxPastSkewMs: number;
  /** Batches per second per write key (token bucket refill), per server process; more gets 429. */
  ratePerSecond: number;
  /** Token bucket size: batches a write key may send at once. */
  rateBurst: number;
  /** Ingest requests being received, decoded or stored at once, per server; more get 503. */
  maxBatchesInFlight: number;
  /**
   * Bytes (as sent) of the bodies of those requests, per server; more get 503. A batch is
   * always taken when no other is in flight, so this never refuses a body `maxBodyBytes` allows.
   */
  maxBytesInFlight: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
  maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS,
  maxPastSkewMs: DEFAULT_MAX_PAST_SKEW_MS,
  ratePerSecond: DEFAULT_RATE_PER_SECOND,
  rateBurst: DEFAULT_RATE_BURST,
  maxBatchesInFlight: DEFAULT_MAX_BATCHES_IN_FLIGHT,
  maxBytesInFlight: DEFAULT_MAX_BYTES_IN_FLIGHT,
};

/**
 * The largest value each limit takes, where there is one. Byte limits: a body or an event is
 * held whole in one buffer or string, and inflating refuses larger outputs (Node's zlib takes
 * at most 4 GiB); 2 GiB − 1 is far beyond any batch. `bodyTimeoutMs`: timers run at most
 * 2^31 − 1 ms (about 24.8 days); a larger delay fires at once.
 */
export const LIMITS_MAX: Readonly<Partial<ServerLimits>> = {
  maxBodyBytes: 2 ** 31 - 1,
  maxDecompressedBytes: 2 ** 31 - 1,
  maxEventBytes: 2 ** 31 - 1,
  bodyTimeoutMs: 2 ** 31 - 1,
};

/** One project: a separate set of recordings with its own pair of keys. */
export interface ProjectConfig {
  /** Stable id used in storage (letters, digits, `-`, `_`). */
  id: string;
  /** Public key that may only send recordings; it ships in the browser. Visible ASCII, no spaces. */
  writeKey: string;
  /** Secret key that may read and delete recordings. Visible ASCII, no spaces. */
  readKey: string;
  /**
   * Origins (`https://app.example.com`) whose pages may send recordings. Unset: any
   * origin. Requests without an Origin header (servers, curl) are not affected.
   */
  allowedOrigins?: readonly string[];
  /**
   * Days a session is kept after its last event and its last batch received; default
   * {@link ReplayServerOptions.retention}'s `days`.
   */
  retentionDays?: number;
  /** Most this project may store; a batch over it gets 429 `quota_exceeded`. */
  quota?: ProjectQuota;
}

/** Storage caps of one project. */
export interface ProjectQuota {
  /** Most sessions kept; batches that would start a new session are refused beyond it. */
  maxSessions?: number;
  /** Most bytes kept (the bodies as received, compressed or not, plus their markers); every batch is refused beyond it. */
  maxBytes?: number;
}

/** Days sessions are kept when neither the project nor the server says otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

/** How often the built-in sweeper deletes expired sessions, in ms: hourly. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60 * 60 * 1_000;

/**
 * When the built-in sweeper first runs after the server is created, in ms (or after one
 * interval, if that is shorter): a process restarted more often than its interval, as with
 * frequent deploys, still enforces retention.
 */
export const SWEEP_FIRST_DELAY_MS = 60 * 1_000;

/**
 * The longest `retention.sweepIntervalMs`, in ms (about 24.8 days): timers run at most
 * 2^31 − 1 ms, and a longer interval fires every millisecond instead.
 */
export const SWEEP_INTERVAL_MAX_MS = 2 ** 31 - 1;

/** How long a project's measured usage is reused before the store is asked again, in ms. */
export const QUOTA_USAGE_CACHE_MS = 10_000;

/** Seconds a client is told to wait after a quota refusal: quotas free up when the sweeper runs. */
const QUOTA_RETRY_AFTER_SECONDS = 3_600;

/** A session with batches between the quota check and the store, in one server process. */
interface SessionInFlight {
  /** Its batches in flight. */
  batches: number;
  /**
   * Whether the store lacked it when asked; undefined: not asked, as the quota had room even
   * if it were new, or found while one of its batches was being written (which may be what
   * stored it).
   */
  isNew: boolean | undefined;
  /** Its batches being written to the store: until one answers, a store that has it may have it from that write. */
  writes: Set<Promise<unknown>>;
}

const DAY_MS = 24 * 60 * 60 * 1_000;

/** What a reader of a session deleted while it was read hears (404, or a broken stream). */
const SESSION_DELETED_MESSAGE =
  'The session was deleted while it was being read (DELETE, or retention); its recording is gone.';

/**
 * Why a chunk stream broke off (or, where Node's adapter had not sent its headers yet, was
 * answered 404), as the server's log says it: no failure of the server.
 */
const STREAM_DELETED_REASON = 'the session was deleted while it was being read (DELETE, or retention)';

/** Why a chunk stream broke off after a store failure, which `onError` receives on its own. */
const STREAM_FAILED_REASON = 'reading the session from the store failed (logged as an error on its own)';

/** The sweeper must never keep a process alive on its own (timers of runtimes without `unref` do not). */
function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * Sessions deleted per store call while sweeping, so that one sweep never holds a long
 * transaction; between two calls the sweep lets other work run (SQLite deletes on the
 * request thread: a sweep of thousands of sessions in one go stopped every request for
 * seconds).
 */
export const SWEEP_PAGE_SESSIONS = 100;

/** Retention of {@link createReplayServer}. */
export interface RetentionOptions {
  /**
   * Days a session is kept after its last event and its last batch received (a batch from an
   * offline queue or a slow clock keeps its session), for projects that do not set their own.
   */
  days?: number;
  /**
   * How often the server sweeps expired sessions, in ms; 0 turns the built-in sweeper off
   * (run `replaykit sweep` or {@link ReplayServer.sweep} from a scheduler instead).
   */
  sweepIntervalMs?: number;
}

/** Options of {@link createReplayServer}. */
export interface ReplayServerOptions {
  store: Store;
  projects: readonly ProjectConfig[];
  /** Overrides of {@link DEFAULT_LIMITS}. */
  limits?: Partial<ServerLimits>;
  /** Retention default and sweeper; default 30 days, swept hourly. */
  retention?: RetentionOptions;
  /** Browser access to the read API (ingest origins are set per project). */
  cors?: { readOrigins?: readonly string[] };
  /**
   * Origins whose pages may call the read API from a browser. Unset: any origin, which is
   * safe because every read needs the secret read key in a header (never a cookie).
   */
  readOrigins?: readonly string[];
  /**
   * Receives errors that clients are not shown (store failures, bugs), for the server's log.
   * It must not throw: a throw (or an async hook's rejection) is logged to `console.error` with
   * the error it was given.
   */
  onError?: (error: unknown) => void;
  /**
   * Worker threads that decode ingest batches (inflate, parse, validate, summarise) off the
   * main thread, shared by the servers of a process; 0 decodes on the main thread (also what
   * happens where worker threads are missing). Default: one per core beyond the first, 1 to
   * 4 (`defaultIngestWorkers`).
   */
  ingestWorkers?: number;
  /**
   * Path prefix the routes live under when the handler is mounted below the root and the
   * framework passes the full URL (a Next.js route at `app/replaykit/[...path]/route.ts`
   * uses `/replaykit`). Default: none.
   */
  basePath?: string;
}

/** A replaykit server: a Web-standard fetch handler, mountable in any runtime or framework. */
export interface ReplayServer {
  /** Answers one HTTP request. */
  fetch(request: Request): Promise<Response>;
  /** The underlying Hono app, to mount under another Hono app or add routes. */
  app: Hono;
  /**
   * The limits in force: the defaults with `options.limits` over them. `startNodeServer` reads
   * `maxBodyBytes` from it, so that it never cuts off a body this server would have read.
   */
  readonly limits: Readonly<ServerLimits>;
  /** Deletes every project's sessions older than its retention now; resolves with how many went per project. */
  sweep(now?: number): Promise<Record<string, number>>;
  /**
   * Stops the sweeper (a sweep under way ends after its current page) and reports not ready
   * (so a load balancer drains this process) and lets go of the ingest workers (they end
   * shortly after, once their batches are answered, unless another server in the process
   * uses them); the store stays open.
   */
  close(): void;
}

/** A request that must be refused; turned into an {@link ErrorBody} answer. */
class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** The index of the batch event the request is refused for (see {@link ErrorBody}). */
  readonly event: number | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    event?: number,
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.event = event;
  }
}

function errorBody(code: string, message: string, event?: number): ErrorBody {
  // JSON leaves `event` out when it is undefined.
  return { error: { code, message, event } };
}

/** Compares two secrets in time independent of where they differ. */
function keysEqual(given: string, expected: string): boolean {
  if (given.length !== expected.length) {
    return false;
  }
  let difference = 0;
  for (let index = 0; index < given.length; index++) {
    difference |= given.charCodeAt(index) ^ expected.charCodeAt(index);
  }
  return difference === 0;
}

/**
 * Why `key` cannot be a write or read key, or undefined when it can. Keys travel in HTTP
 * headers (`x-replaykit-key`, `Authorization: Bearer <readKey>`): a header loses the spaces at
 * its ends and cannot carry a line break, a bearer token ends at a space, and browsers refuse
 * most characters outside ASCII in a header; such a key would be accepted at start and then
 * match no request, or only some. So a key is visible ASCII only.
 */
export function keyProblem(key: string): string | undefined {
  const index = key.search(/[^\x21-\x7e]/);
  if (index === -1) {
    return undefined;
  }
  const code = key.charCodeAt(index);
  const found =
    code === 0x20
      ? 'a space'
      : code < 0x20 || code === 0x7f
        ? 'a control character such as a line break'
        : 'a character outside ASCII';
  return `has ${found} at character ${index + 1} of ${key.length}; a key must be visible ASCII without spaces, as \`replaykit keys\` makes them: keys travel in HTTP headers, which cut spaces at their ends and refuse line breaks, and a read key ends at the first space of "Authorization: Bearer <readKey>" (a key copied from a file often keeps the file's line break)`;
}

/** Reduces an origin to the form browsers send in the Origin header. */
function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * An allowed origin (`https://app.example.com`, or `*` for any) in the form browsers send,
 * or undefined when `origin` is not one: no scheme, or a path, query or fragment.
 */
export function parseAllowedOrigin(origin: string): string | undefined {
  const normalized = normalizeOrigin(origin);
  if (normalized === '*') {
    return normalized;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(normalized);
  } catch {
    parsed = undefined;
  }
  return parsed?.origin === normalized ? normalized : undefined;
}

function checkOrigins(origins: readonly string[] | undefined, where: string): string[] | undefined {
  if (origins === undefined) {
    return undefined;
  }
  return origins.map((origin) => {
    const normalized = parseAllowedOrigin(origin);
    if (normalized === undefined) {
      throw new Error(
        `${where}: "${origin}" is not an origin; write scheme, host and port only, such as "https://app.example.com".`,
      );
    }
    return normalized;
  });
}

/** True when a list of allowed origins (undefined: any) lets `origin` in. */
function originAllowed(allowed: readonly string[] | undefined, origin: string): boolean {
  if (allowed === undefined) {
    return true;
  }
  const normalized = normalizeOrigin(origin);
  return allowed.some((entry) => entry === '*' || entry === normalized);
}

/**
 * The option names of each object {@link createReplayServer} takes, complete by type, so that
 * a misspelt one is refused rather than ignored.
 */
const SERVER_OPTION_NAMES = optionNames<ReplayServerOptions>({
  store: true,
  projects: true,
  limits: true,
  retention: true,
  cors: true,
  readOrigins: true,
  onError: true,
  ingestWorkers: true,
  basePath: true,
});
const PROJECT_OPTION_NAMES = optionNames<ProjectConfig>({
  id: true,
  writeKey: true,
  readKey: true,
  allowedOrigins: true,
  retentionDays: true,
  quota: true,
});
const QUOTA_OPTION_NAMES = optionNames<ProjectQuota>({ maxSessions: true, maxBytes: true });
const RETENTION_OPTION_NAMES = optionNames<RetentionOptions>({ days: true, sweepIntervalMs: true });
const CORS_OPTION_NAMES = optionNames<NonNullable<ReplayServerOptions['cors']>>({ readOrigins: true });

function checkProjects(projects: readonly ProjectConfig[]): ProjectConfig[] {
  if (projects.length === 0) {
    throw new Error('createReplayServer needs at least one project: { id, writeKey, readKey }.');
  }
  const ids = new Set<string>();
  const keys = new Set<string>();
  return projects.map((project, index) => {
    checkOptionNames(project, PROJECT_OPTION_NAMES, `projects[${index}]`);
    if (!isValidId(project.id)) {
      throw new Error(
        `Project id "${project.id}" is not valid; use 1 to 64 letters, digits, "-" or "_", such as "default".`,
      );
    }
    if (ids.has(project.id)) {
      throw new Error(`Project id "${project.id}" is listed twice; give each project its own id.`);
    }
    ids.add(project.id);
    for (const [name, key] of [
      ['writeKey', project.writeKey],
      ['readKey', project.readKey],
    ] as const) {
      if (typeof key !== 'string' || key.trim() === '') {
        throw new Error(
          `Project "${project.id}" has an empty ${name}; set one (\`replaykit keys\` makes a pair).`,
        );
      }
      const problem = keyProblem(key);
      if (problem !== undefined) {
        throw new Error(`Project "${project.id}": its ${name} ${problem}.`);
      }
      if (keys.has(key)) {
        throw new Error(
          `Project "${project.id}": its ${name} is already used as another key; every write and read key must be distinct.`,
        );
      }
      keys.add(key);
    }
    const allowedOrigins = checkOrigins(project.allowedOrigins, `Project "${project.id}" allowedOrigins`);
    if (project.retentionDays !== undefined) {
      checkRetentionDays(project.retentionDays, `Project "${project.id}" retentionDays`);
    }
    checkOptionNames(project.quota ?? {}, QUOTA_OPTION_NAMES, `Project "${project.id}" quota`);
    for (const [name, value] of Object.entries(project.quota ?? {})) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new Error(
          `Project "${project.id}" quota.${name} must be a positive whole number; got ${String(value)}.`,
        );
      }
    }
    return { ...project, ...(allowedOrigins ? { allowedOrigins } : {}) };
  });
}

function checkBasePath(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '' || basePath === '/') {
    return '/';
  }
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new Error(
      `basePath must look like "/replaykit" or "/api/replaykit" (a leading slash, no trailing slash); got "${basePath}".`,
    );
  }
  return basePath;
}

function checkRetentionDays(days: number, where: string): number {
  if (!(Number.isFinite(days) && days > 0)) {
    throw new Error(`${where} must be a positive number of days, such as 30; got ${String(days)}.`);
  }
  return days;
}

function checkSweepIntervalMs(intervalMs: number): number {
  if (!(Number.isSafeInteger(intervalMs) && intervalMs >= 0 && intervalMs <= SWEEP_INTERVAL_MAX_MS)) {
    throw new Error(
      `retention.sweepIntervalMs must be a whole number of ms from 0 (no built-in sweeper: run replaykit sweep from a scheduler) to ${SWEEP_INTERVAL_MAX_MS} (about 24 days); got ${String(intervalMs)}.`,
    );
  }
  return intervalMs;
}

function checkLimits(limits: Partial<ServerLimits> | undefined): ServerLimits {
  checkOptionNames(limits ?? {}, Object.keys(DEFAULT_LIMITS), 'limits');
  const merged = { ...DEFAULT_LIMITS, ...limits };
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`limits.${name} must be a positive whole number; got ${String(value)}.`);
    }
    const most = LIMITS_MAX[name as keyof ServerLimits];
    if (most !== undefined && value > most) {
      throw new Error(`limits.${name} can be at most ${most}; got ${value}.`);
    }
  }
  return merged;
}

function checkIngestWorkers(workers: number | undefined): number | undefined {
  if (workers !== undefined && !(Number.isSafeInteger(workers) && workers >= 0)) {
    throw new Error(
      `ingestWorkers must be a whole number of 0 or more (0 decodes batches on the main thread); got ${String(workers)}.`,
    );
  }
  return workers;
}

/** The 204 answer to an allowed CORS preflight, echoing the page's origin when it sent one. */
function allowPreflight(context: Context, origin: string | undefined, methods: string, headers: string) {
  return context.body(null, 204, {
    ...(origin !== undefined ? { 'access-control-allow-origin': origin } : {}),
    'access-control-allow-methods': methods,
    'access-control-allow-headers': headers,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    vary: 'Origin',
  });
}

/** The 403 answer to a CORS preflight from an origin that may not make the request. */
/**
 * Answer headers a page on another origin may read besides the safelisted ones: without
 * Retry-After, a recorder there would not see how long a 429 or 503 asks it to wait, and would
 * retry on its own schedule.
 */
const EXPOSED_HEADERS = 'Retry-After';

function refusePreflight(context: Context, message: string) {
  return context.json(errorBody('origin_not_allowed', message), 403, { vary: 'Origin' });
}

/**
 * Checks a read route's query string with `parse`; a refusal (an unknown or repeated
 * parameter, a bad value) becomes a 400 answer that names the parameter.
 */
function readQuery<T>(context: Context, parse: (params: URLSearchParams) => T): T {
  try {
    return parse(new URL(context.req.url).searchParams);
  } catch (error) {
    if (error instanceof QueryError) {
      throw new HttpError(400, error.code, error.message);
    }
    throw error;
  }
}

/** The reader of a read route's parameters, once unknown and repeated ones are refused. */
function routeQuery(context: Context, known: readonly string[], route: string) {
  return readQuery(context, (params) => checkQueryParameters(params, known, route));
}

function checkWindowId(windowId: string | undefined): string | undefined {
  if (windowId !== undefined && !isValidId(windowId)) {
    throw new HttpError(
      400,
      'invalid_window_id',
      'windowId is not valid: it must be 1 to 64 letters, digits, "-" or "_" (one of the session windowIds).',
    );
  }
  return windowId;
}

const JSON_CONTENT_TYPE = 'application/json';
const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/**
 * The answer to HEAD on a route that reads a session's batches: Hono runs the GET handler
 * for HEAD and drops the body, so without this a HEAD read (and decoded) the whole session.
 * The request is checked as its GET would be (key, parameters, the session exists).
 */
function headersOnly(context: Context, contentType: string): Response {
  return context.body(null, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
}

/**
 * Stops a read whose client has gone (the request's signal aborts when its connection
 * closes): the rest of the session would be read and decoded for no one.
 */
function checkClientThere(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new HttpError(
      408,
      'client_closed',
      'The connection closed before the session was read; request it again.',
      { connection: 'close' },
    );
  }
}

function sessionIdParam(context: Context): string {
  const sessionId = context.req.param('id');
  if (!isValidId(sessionId)) {
    throw new HttpError(
      400,
      'invalid_session_id',
      'The session id is not valid: it must be 1 to 64 letters, digits, "-" or "_".',
    );
  }
  return sessionId;
}

/**
 * Refuses an ingest body compressed other than with gzip (deflate, br…), which would otherwise
 * be read as JSON and refused as text that is not UTF-8, a message that misses the cause.
 */
function checkContentEncoding(header: string | undefined): void {
  // The recorder sends none: gzip is recognised by its bytes.
  if (header === undefined) {
    return;
  }
  const unsupported = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && !INGEST_CONTENT_CODINGS.includes(coding));
  if (unsupported.length > 0) {
    throw new HttpError(
      415,
      'unsupported_encoding',
      `Content-Encoding "${unsupported.join(', ').slice(0, 60)}" is not supported; compress the batch with gzip (Content-Encoding: gzip), or send it uncompressed.`,
      { 'accept-encoding': 'gzip' },
    );
  }
}

/** Builds the replaykit HTTP API over a store: ingest, the read API and a health check. */
export function createReplayServer(options: ReplayServerOptions): ReplayServer {
  checkOptionNames(options, SERVER_OPTION_NAMES, 'createReplayServer');
  checkOptionNames(options.retention ?? {}, RETENTION_OPTION_NAMES, 'retention');
  checkOptionNames(options.cors ?? {}, CORS_OPTION_NAMES, 'cors');
  const { store } = options;
  const projects = checkProjects(options.projects);
  const limits = checkLimits(options.limits);
  const basePath = checkBasePath(options.basePath);
  const readOrigins = checkOrigins(options.cors?.readOrigins ?? options.readOrigins, 'readOrigins');
  const retentionDays = checkRetentionDays(
    options.retention?.days ?? DEFAULT_RETENTION_DAYS,
    'retention.days',
  );
  const sweepIntervalMs = checkSweepIntervalMs(
    options.retention?.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
  );
  const rateLimiter = createRateLimiter(limits.ratePerSecond, limits.rateBurst);
  const ingestWorkers = checkIngestWorkers(options.ingestWorkers);
  const usageCache = new Map<string, { usage: ProjectUsage; measuredAt: number }>();
  let closed = false;
  const reportError = guardedHook('onError', options.onError ?? ((error: unknown) => console.error(error)));
  const decoder = acquireBatchDecoder(ingestWorkers, reportError);
  // Batches already stored passed the ingest limit in force then; reading them back must
  // not fail because the limit was lowered since.
  const storedBatchMaxBytes = Math.max(limits.maxDecompressedBytes, DEFAULT_MAX_DECOMPRESSED_BYTES);

  // Every key is compared against every project, in constant time per comparison.
  const findByWriteKey = (key: string) => projects.find((project) => keysEqual(key, project.writeKey));
  const findByReadKey = (key: string) => projects.find((project) => keysEqual(key, project.readKey));
  const anyProjectAllows = (origin: string) =>
    projects.some((project) => originAllowed(project.allowedOrigins, origin));

  /** Runs a store operation; a failure is logged and answered 503 without internals. */
  async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw storeRefusal(error);
    }
  }

  /** The answer to a store operation that failed; a store failure is reported to `onError`. */
  function storeRefusal(error: unknown): HttpError {
    if (error instanceof InvalidCursorError) {
      return new HttpError(400, 'invalid_cursor', error.message);
    }
    if (error instanceof SessionDeletedError) {
      return new HttpError(404, 'session_not_found', SESSION_DELETED_MESSAGE);
    }
    if (error instanceof HttpError) {
      // A refusal of the operation's own (the client left during a read), not a store failure.
      return error;
    }
    reportError(error);
    return new HttpError(
      503,
      'store_unavailable',
      'The server could not use its storage just now; retry in a few seconds.',
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }

  async function decodeStoredBatch(batch: StoredBatch): Promise<RecordedEvent[]> {
    const bytes =
      batch.encoding === 'gzip' ? await gunzipLimited(batch.body, storedBatchMaxBytes) : batch.body;
    // Bodies are stored as received: a format 2 body's numbers are restored here.
    const parsed = parseWireBody(decodeUtf8(bytes)) as { events?: unknown };
    const events = Array.isArray(parsed.events) ? (parsed.events as RecordedEvent[]) : [];
    return shiftEvents(events, batch.timestampOffsetMs);
  }

  /** All events of a session (or one of its windows), sorted by time; ties keep batch order. */
  async function loadEvents(
    projectId: string,
    sessionId: string,
    windowId: string | undefined,
    signal: AbortSignal,
  ): Promise<RecordedEvent[]> {
    const batches = await fromStore(async () => {
      const collected = [];
      for await (const batch of store.readBatches(projectId, sessionId, windowId ? { windowId } : {})) {
        checkClientThere(signal);
        collected.push(batch);
      }
      return collected;
    });
    const events: RecordedEvent[] = [];
    for (const batch of batches) {
      checkClientThere(signal);
      for (const event of await decodeStoredBatch(batch)) {
        events.push(event);
      }
    }
    // Array.prototype.sort is stable, so events with equal timestamps keep their order
    // by window and sequence number.
    return events.sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Streams batches as NDJSON lines, one decoded batch at a time, so memory stays bounded by one batch. */
  function chunkStream(
    request: Request,
    first: IteratorResult<StoredBatch>,
    iterator: AsyncIterator<StoredBatch>,
  ): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let pending: IteratorResult<StoredBatch> | undefined = first;
    let cancelled = false;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = pending ?? (await iterator.next());
            pending = undefined;
            if (next.done) {
              controller.close();
              return;
            }
            const batch = next.value;
            const chunk: SessionChunk = {
              windowId: batch.windowId,
              seq: batch.seq,
              events: await decodeStoredBatch(batch),
            };
            controller.enqueue(encoder.encode(`${JSON.stringify(chunk)}\n`));
          } catch (error) {
            try {
              // A client that left while this batch was read makes the stream refuse it: nothing
              // failed, and no one is there to tell.
              if (!cancelled) {
                // The status line is gone: a broken stream is all that can tell the client. It
                // resumes from the last complete line, and hears 404 if the session was deleted.
                const deleted = error instanceof SessionDeletedError;
                const refusal = storeRefusal(error);
                // Where the HTTP server can cut the connection itself, it does and logs one line;
                // the stream then ends, and what follows the cut goes nowhere. Node's adapter reads
                // a few lines before it sends the headers: a failure then gets the refusal instead.
                const instead = {
                  status: refusal.status,
                  headers: { 'content-type': JSON_CONTENT_TYPE, ...refusal.headers },
                  body: JSON.stringify(errorBody(refusal.code, refusal.message)),
                };
                if (cutAnswer(request, deleted ? STREAM_DELETED_REASON : STREAM_FAILED_REASON, instead)) {
                  controller.close();
                } else {
                  controller.error(
                    new Error(
                      deleted
                        ? SESSION_DELETED_MESSAGE
                        : 'The session stream failed; resume with windowId and fromSeq.',
                    ),
                  );
                }
              }
            } finally {
              // The store's reader is closed whatever happened above: a reader left open holds
              // what the store gave it (a connection, a statement) for good.
              await iterator.return?.();
            }
          }
        },
        async cancel() {
          cancelled = true;
          await iterator.return?.();
        },
      },
      // A batch is read only when the client's side asks for the next line, never ahead of it.
      // A failure then always comes as the answer to a read, which Node's adapter answers by
      // cutting the connection. Read ahead while the client was slow (the adapter waiting for
      // the socket to drain), it ended the answer cleanly after an "Error: …" line instead: a
      // client took the part it had for the whole session, or failed on a line not JSON.
      { highWaterMark: 0 },
    );
  }

  async function requireSession(projectId: string, sessionId: string) {
    const session = await fromStore(() => store.getSession(projectId, sessionId));
    if (!session) {
      throw new HttpError(
        404,
        'session_not_found',
        `No session "${sessionId}" in this project; check the id, and that the read key belongs to the project that recorded it.`,
      );
    }
    return session;
  }

  function readProject(context: Context): ProjectConfig {
    const header = context.req.header(READ_KEY_HEADER);
    if (!header || header.trim() === '') {
      throw new HttpError(
        401,
        'missing_key',
        'Reading recordings needs the project read key: send the header "Authorization: Bearer <readKey>".',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
    const key = match?.[1];
    if (!key) {
      throw new HttpError(
        401,
        'missing_key',
        'The Authorization header must have the form "Bearer <readKey>".',
      );
    }
    const project = findByReadKey(key);
    if (project) {
      return project;
    }
    if (findByWriteKey(key)) {
      throw new HttpError(
        403,
        'invalid_key',
        'That is a write key, which can only send recordings; reading needs the project secret read key.',
      );
    }
    throw new HttpError(
      403,
      'invalid_key',
      'The read key is not known to this server; check it against the server configuration (keys.json for the CLI).',
    );
  }

  const app = new Hono().basePath(basePath);

  app.onError((error, context) => {
    if (error instanceof HttpError) {
      return context.json(errorBody(error.code, error.message, error.event), error.status, error.headers);
    }
    reportError(error);
    return context.json(
      errorBody('internal_error', 'The server failed to handle this request; its log has the details.'),
      500,
    );
  });

  // The routes as a client must write them: under the base path, when there is one.
  const prefix = basePath === '/' ? '' : basePath;
  app.notFound((context) =>
    context.json(
      errorBody(
        'not_found',
        `No route ${context.req.method} ${new URL(context.req.url).pathname}. The API has POST ${prefix}${INGEST_PATH}, GET ${prefix}${API_PATHS.sessions}, GET|DELETE ${prefix}${API_PATHS.sessions}/:id, GET ${prefix}${API_PATHS.sessions}/:id/chunks, GET ${prefix}${API_PATHS.sessions}/:id/events, GET ${prefix}/healthz and GET ${prefix}/readyz.`,
      ),
      404,
    ),
  );

  // Liveness: the process answers. Readiness: it can reach its store and is not shutting down.
  app.get('/healthz', (context) => context.json({ ok: true }));
  app.get('/readyz', async (context) => {
    if (closed) {
      return context.json(
        errorBody('shutting_down', 'This server is shutting down; send requests to another one.'),
        503,
      );
    }
    try {
      await store.ping();
    } catch (error) {
      reportError(error);
      return context.json(
        errorBody('store_unavailable', 'The server cannot reach its storage; it is not ready for requests.'),
        503,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    return context.json({ ok: true });
  });

  // Ingest CORS. A preflight carries no key header, so the project is unknown unless the
  // key is in the query: the preflight passes when some project takes the origin, and
  // the POST itself is checked against its own project's list.
  app.use(INGEST_PATH, async (context, next) => {
    const origin = context.req.header('origin');
    if (context.req.method === 'OPTIONS') {
      const queryKey = context.req.query(WRITE_KEY_QUERY);
      const project = queryKey ? findByWriteKey(queryKey) : undefined;
      if (origin !== undefined) {
        const allowed = project ? originAllowed(project.allowedOrigins, origin) : anyProjectAllows(origin);
        if (!allowed) {
          return refusePreflight(context, `Pages on ${origin} may not send recordings to this server.`);
        }
      }
      return allowPreflight(context, origin, INGEST_ALLOWED_METHODS, INGEST_ALLOWED_HEADERS);
    }
    await next();
    // Errors carry the header too: a recorder that cannot read a 413 or 400 would take it
    // for a network failure and retry it forever. So does the 403 of an origin outside the
    // project's allowedOrigins: the recorder's requests need no preflight, so without it that
    // page kept every batch queued and retried, and its console showed only a CORS error. The
    // refusal holds nothing recorded; the message names the page's own origin and the project
    // its write key already names.
    if (origin !== undefined) {
      context.res.headers.set('access-control-allow-origin', origin);
      context.res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
    }
    context.res.headers.append('vary', 'Origin');
  });

  app.post(INGEST_PATH, async (context) => {
    const key = context.req.header(WRITE_KEY_HEADER) || context.req.query(WRITE_KEY_QUERY);
    if (!key) {
      throw new HttpError(
        401,
        'missing_key',
        `Sending recordings needs the project write key: send the header "${WRITE_KEY_HEADER}: <writeKey>" or add "?${WRITE_KEY_QUERY}=<writeKey>" to the URL.`,
      );
    }
    const namedProject = context.req.header(PROJECT_HEADER) || context.req.query(PROJECT_QUERY);
    if (namedProject && !projects.some((candidate) => candidate.id === namedProject)) {
      throw new HttpError(
        404,
        'unknown_project',
        `This server has no project "${namedProject.slice(0, ID_MAX_LENGTH)}"; check the project id, or leave it out: the write key names its project.`,
      );
    }
    const project = findByWriteKey(key);
    if (project && namedProject && project.id !== namedProject) {
      throw new HttpError(
        403,
        'invalid_key',
        `This write key belongs to another project than "${namedProject}"; use that project's write key.`,
      );
    }
    if (!project) {
      const message = findByReadKey(key)
        ? 'That is a read key; sending recordings needs the project public write key (never ship the read key to browsers).'
        : 'The write key is not known to this server; copy it from the server configuration (keys.json for the CLI).';
      throw new HttpError(403, 'invalid_key', message);
    }
    const origin = context.req.header('origin');
    if (origin !== undefined && !originAllowed(project.allowedOrigins, origin)) {
      throw new HttpError(
        403,
        'origin_not_allowed',
        `Pages on ${origin} may not send recordings to project "${project.id}"; add the origin to its allowedOrigins (--allowed-origin for the CLI).`,
      );
    }
    const rate = rateLimiter.take(key);
    if (!rate.ok) {
      throw new HttpError(
        429,
        'rate_limited',
        `This write key sent more than ${limits.ratePerSecond} batches per second (burst ${limits.rateBurst}); retry after ${rate.retryAfterSeconds} s.`,
        { 'retry-after': String(rate.retryAfterSeconds) },
      );
    }

    checkContentEncoding(context.req.header('content-encoding'));
    const declared = Number(context.req.header('content-length'));
    const admission = admitBatch(Number.isSafeInteger(declared) && declared > 0 ? declared : 0);
    try {
      const received = await readBatchBody(context.req.raw);
      // A body sent without a length (chunked) counts once it is read.
      admission.grow(received.byteLength);
      const receivedAt = Date.now();
      const { result, body } = await decoder.decode(received, receivedAt, limits);
      if (!result.ok) {
        throw new HttpError(result.status, result.code, result.message, {}, result.event);
      }
      return await storeBatch(context, project, body, result, receivedAt);
    } finally {
      admission.release();
    }
  });

  /** Ingest requests this server holds (see {@link DEFAULT_MAX_BATCHES_IN_FLIGHT}), and their bytes. */
  const inFlight = { batches: 0, bytes: 0 };

  function serverBusy(what: string): HttpError {
    return new HttpError(
      503,
      'server_busy',
      `This server is busy: ${what}. Send the batch again in a few seconds.`,
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }

  /**
   * Takes an ingest request into the batches in flight, refusing it with 503 past
   * `maxBatchesInFlight` or `maxBytesInFlight` (by its declared length, before its body is
   * read); `grow` counts the body's real size once read, `release` lets it go when answered.
   */
  function admitBatch(declaredBytes: number) {
    if (inFlight.batches >= limits.maxBatchesInFlight) {
      throw serverBusy(`it holds ${limits.maxBatchesInFlight} batches already (limits.maxBatchesInFlight)`);
    }
    const fits = (bytes: number) => inFlight.bytes === 0 || inFlight.bytes + bytes <= limits.maxBytesInFlight;
    const bytesBusy = () =>
      serverBusy(
        `the batches it holds come to its limit of ${limits.maxBytesInFlight} bytes (limits.maxBytesInFlight)`,
      );
    if (!fits(declaredBytes)) {
      throw bytesBusy();
    }
    let counted = declaredBytes;
    inFlight.batches++;
    inFlight.bytes += counted;
    return {
      grow(bytes: number) {
        if (bytes > counted) {
          inFlight.bytes -= counted;
          if (!fits(bytes)) {
            counted = 0;
            throw bytesBusy();
          }
          counted = bytes;
          inFlight.bytes += counted;
        }
      },
      // Called once, from the ingest route's finally.
      release() {
        inFlight.batches--;
        inFlight.bytes -= counted;
      },
    };
  }

  /** This project's usage, measured at most every {@link QUOTA_USAGE_CACHE_MS}: quotas are enforced approximately. */
  async function projectUsage(projectId: string): Promise<ProjectUsage> {
    const cached = usageCache.get(projectId);
    if (cached && Date.now() - cached.measuredAt < QUOTA_USAGE_CACHE_MS) {
      return cached.usage;
    }
    return (measuring.get(projectId) ?? measureUsage(projectId)).usage;
  }

  /**
   * The measurement of each project's usage under way, which every batch that needs it waits
   * for, with what this process stored meanwhile.
   */
  const measuring = new Map<string, { usage: Promise<ProjectUsage>; storedMeanwhile: ProjectUsage }>();

  function measureUsage(projectId: string): { usage: Promise<ProjectUsage> } {
    const measuredAt = Date.now();
    const storedMeanwhile = { sessions: 0, bytes: 0 };
    const current = () => measuring.get(projectId)?.storedMeanwhile === storedMeanwhile;
    const usage = (async () => {
      try {
        const measured = await fromStore(() => store.usage(projectId));
        // The store may have counted what was stored meanwhile or not: it is added, so that
        // it counts twice until the next measurement rather than not at all.
        const counted = {
          sessions: measured.sessions + storedMeanwhile.sessions,
          bytes: measured.bytes + storedMeanwhile.bytes,
        };
        if (current()) {
          usageCache.set(projectId, { usage: counted, measuredAt });
        }
        return counted;
      } finally {
        if (current()) {
          measuring.delete(projectId);
        }
      }
    })();
    const measurement = { usage, storedMeanwhile };
    measuring.set(projectId, measurement);
    return measurement;
  }

  /** Counts a batch this process stored in its project's usage, measured or being measured. */
  function countStored(projectId: string, sessions: number, bytes: number): void {
    const cached = usageCache.get(projectId);
    if (cached) {
      cached.usage = { sessions: cached.usage.sessions + sessions, bytes: cached.usage.bytes + bytes };
    }
    const measurement = measuring.get(projectId);
    if (measurement) {
      measurement.storedMeanwhile.sessions += sessions;
      measurement.storedMeanwhile.bytes += bytes;
    }
  }

  /** Drops a project's usage after a delete: the next batch measures what is left. */
  function forgetUsage(projectId: string): void {
    usageCache.delete(projectId);
    measuring.delete(projectId);
  }

  /**
   * Bytes of batches that passed their project's byte quota and are not stored yet: batches
   * checked at once count each other, so they cannot all pass on the same usage.
   */
  const bytesInFlight = new Map<string, number>();

  function reserveBytes(projectId: string, bytes: number): () => void {
    bytesInFlight.set(projectId, (bytesInFlight.get(projectId) ?? 0) + bytes);
    let reserved = true;
    return () => {
      if (reserved) {
        reserved = false;
        const left = (bytesInFlight.get(projectId) ?? 0) - bytes;
        if (left > 0) {
          bytesInFlight.set(projectId, left);
        } else {
          bytesInFlight.delete(projectId);
        }
      }
    };
  }

  const noReservation = () => {};

  /**
   * Sessions of batches that passed their project's session quota and are not stored yet, by
   * project and session id: sessions started at once count each other, as batches do against
   * the byte quota, so a burst of new sessions cannot pass it together.
   */
  const sessionsInFlight = new Map<string, Map<string, SessionInFlight>>();

  function holdSession(projectId: string, sessionId: string, isNew: boolean | undefined): () => void {
    let sessions = sessionsInFlight.get(projectId);
    if (!sessions) {
      sessions = new Map();
      sessionsInFlight.set(projectId, sessions);
    }
    const session = sessions.get(sessionId) ?? { batches: 0, isNew, writes: new Set() };
    session.batches++;
    session.isNew ??= isNew;
    sessions.set(sessionId, session);
    let holding = true;
    return () => {
      if (holding) {
        holding = false;
        session.batches--;
        if (session.batches === 0 && sessions.get(sessionId) === session) {
          sessions.delete(sessionId);
          if (sessions.size === 0 && sessionsInFlight.get(projectId) === sessions) {
            sessionsInFlight.delete(projectId);
          }
        }
      }
    };
  }

  /** Refuses a batch over its project's quota; otherwise reserves its bytes and session until it is stored (call the result then). */
  async function checkQuota(
    project: ProjectConfig,
    batch: DecodedBatch,
    byteCount: number,
  ): Promise<() => void> {
    const { quota } = project;
    if (!quota || (quota.maxBytes === undefined && quota.maxSessions === undefined)) {
      return noReservation;
    }
    const measured = await projectUsage(project.id);
    // Batches stored since the measurement was handed over count too (the cache keeps them).
    const usage = () => usageCache.get(project.id)?.usage ?? measured;
    const refuse = (reason: string) =>
      new HttpError(429, 'quota_exceeded', `${reason} Older sessions free space as retention deletes them.`, {
        'retry-after': String(QUOTA_RETRY_AFTER_SECONDS),
      });
    let releaseBytes = noReservation;
    if (quota.maxBytes !== undefined) {
      const held = usage().bytes + (bytesInFlight.get(project.id) ?? 0);
      if (
        held + byteCount > quota.maxBytes &&
        // A repeat of a stored batch adds nothing: it is answered as a duplicate, not refused.
        !(await fromStore(() => store.hasBatch(project.id, batch.sessionId, batch.windowId, batch.seq)))
      ) {
        throw refuse(
          `Project "${project.id}" stores ${held} bytes (counting batches being stored), at its quota of ${quota.maxBytes} bytes.`,
        );
      }
      releaseBytes = reserveBytes(project.id, byteCount);
    }
    if (quota.maxSessions === undefined) {
      return releaseBytes;
    }
    try {
      const releaseSession = await checkSessionQuota(
        project.id,
        quota.maxSessions,
        batch.sessionId,
        usage,
        refuse,
      );
      return () => {
        releaseBytes();
        releaseSession();
      };
    } catch (error) {
      releaseBytes();
      throw error;
    }
  }

  /**
   * Refuses a batch that would start a session beyond `maxSessions`, counting the sessions in
   * flight; otherwise holds its session as in flight until the batch is stored or fails (call
   * the result then). Asks the store only near the quota, as most batches are of stored sessions.
   */
  async function checkSessionQuota(
    projectId: string,
    maxSessions: number,
    sessionId: string,
    usage: () => ProjectUsage,
    refuse: (reason: string) => HttpError,
  ): Promise<() => void> {
    const inFlight = () => sessionsInFlight.get(projectId) ?? new Map<string, SessionInFlight>();
    for (;;) {
      // A session in flight is counted already; otherwise there is room when there would be
      // even if every session in flight, and this one, were new.
      if (inFlight().has(sessionId) || usage().sessions + inFlight().size < maxSessions) {
        return holdSession(projectId, sessionId, undefined);
      }
      // Near the quota: which of this session and those in flight not asked yet are new.
      const storedBefore = usage().sessions;
      const unasked = [...inFlight()].filter(([, session]) => session.isNew === undefined);
      const found = await fromStore(() =>
        Promise.all([sessionId, ...unasked.map(([id]) => id)].map((id) => store.getSession(projectId, id))),
      );
      unasked.forEach(([, session], index) => {
        // Found while a batch of it is being written: that write may have stored it, and it
        // is counted in the usage only once the store answers, so until then it counts as new.
        if (found[index + 1] === undefined || session.writes.size === 0) {
          session.isNew ??= found[index + 1] === undefined;
        }
      });
      // Checked again after the wait: sessions were stored or started meanwhile.
      const sessions = inFlight();
      const isNew = found[0] === undefined;
      if (!isNew || sessions.has(sessionId)) {
        return holdSession(projectId, sessionId, isNew);
      }
      const held =
        usage().sessions + [...sessions.values()].filter((session) => session.isNew !== false).length;
      if (held < maxSessions) {
        return holdSession(projectId, sessionId, true);
      }
      // Sessions whose first batch may be stored but not answered yet: their answers say.
      const writes = [...sessions.values()].flatMap((session) =>
        session.isNew === undefined ? [...session.writes] : [],
      );
      if (writes.length > 0) {
        await Promise.allSettled(writes);
        continue;
      }
      // A session stored meanwhile may be this one, its first batch stored during the wait,
      // and a session that came in flight meanwhile (with room then) counts as new unasked:
      // ask again. Each round needs the count or what is in flight to change while waiting,
      // so this ends.
      if (
        usage().sessions === storedBefore &&
        [...sessions.values()].every((session) => session.isNew !== undefined)
      ) {
        throw refuse(
          `Project "${projectId}" stores ${held} sessions (counting sessions being started), at its quota of ${maxSessions}; no new session can start.`,
        );
      }
    }
  }

  /** Reads an ingest body within the size and time limits; refusals become 413 and 408 answers. */
  async function readBatchBody(request: Request): Promise<Uint8Array> {
    try {
      return await readRequestBody(request, limits.maxBodyBytes, limits.bodyTimeoutMs);
    } catch (error) {
      if (!(error instanceof BodyError)) {
        throw error;
      }
      if (error.reason === 'timeout' || error.reason === 'incomplete') {
        // The whole body did not come: a client still there sends it again. One that left
        // (incomplete) never reads this; the answer is for the request log, not onError.
        throw new HttpError(408, `body_${error.reason}`, error.message, { connection: 'close' });
      }
      const refusal = bodyErrorRefusal(error);
      throw new HttpError(refusal.status, refusal.code, refusal.message);
    }
  }

  async function storeBatch(
    context: Context,
    project: ProjectConfig,
    body: Uint8Array,
    batch: DecodedBatch,
    receivedAt: number,
  ): Promise<Response> {
    // The marker index is stored uncompressed beside the body, so it counts too.
    const byteCount = body.byteLength + batch.markerBytes;
    const release = await checkQuota(project, batch, byteCount);
    const inFlight = sessionsInFlight.get(project.id)?.get(batch.sessionId);
    try {
      const writing: Promise<PutBatchResult> = fromStore(() =>
        store.putBatch({
          projectId: project.id,
          sessionId: batch.sessionId,
          windowId: batch.windowId,
          seq: batch.seq,
          receivedAt,
          body,
          // sendBeacon cannot set Content-Encoding, so gzip is recognised by its magic bytes.
          encoding: isGzip(body) ? 'gzip' : 'identity',
          timestampOffsetMs: batch.timestampOffsetMs,
          summary: batch.summary,
          byteCount,
          markersJson: batch.markersJson,
          eventProperties: batch.eventProperties,
        }),
      ).then(
        // In the step that takes the write out of its session's writes, so that a quota check
        // waiting for it (checkSessionQuota) finds it counted.
        (result) => {
          inFlight?.writes.delete(writing);
          if (inFlight) {
            // Stored now: its other batches in flight do not start it.
            inFlight.isNew = false;
          }
          if (!result.duplicate) {
            // Keeps this process's view of the quota exact between measurements.
            countStored(project.id, result.created ? 1 : 0, byteCount);
          }
          return result;
        },
        (error: unknown) => {
          inFlight?.writes.delete(writing);
          throw error;
        },
      );
      inFlight?.writes.add(writing);
      const { duplicate } = await writing;
      return context.json({ ok: true, duplicate } satisfies IngestResponse, 200);
    } finally {
      release();
    }
  }

  app.all(INGEST_PATH, (context) => {
    throw new HttpError(
      405,
      'method_not_allowed',
      `${context.req.method} is not supported on ${INGEST_PATH}; send batches with POST.`,
      { allow: INGEST_ALLOWED_METHODS },
    );
  });

  const readCors = async (context: Context, next: () => Promise<void>) => {
    const origin = context.req.header('origin');
    const allowed = origin !== undefined && originAllowed(readOrigins, origin);
    if (context.req.method === 'OPTIONS') {
      if (origin !== undefined && !allowed) {
        return refusePreflight(context, `Pages on ${origin} may not read recordings from this server.`);
      }
      return allowPreflight(context, origin, READ_ALLOWED_METHODS, READ_ALLOWED_HEADERS);
    }
    await next();
    if (allowed) {
      context.res.headers.set('access-control-allow-origin', origin);
      context.res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
    }
    context.res.headers.append('vary', 'Origin');
  };
  // Also matches the list itself (`/v1/sessions`).
  app.use(`${API_PATHS.sessions}/*`, readCors);

  app.get(API_PATHS.sessions, async (context) => {
    const project = readProject(context);
    const query = readQuery(context, parseListQuery);
    const page = await fromStore(() => store.listSessions(project.id, query));
    return context.json(page satisfies SessionListResponse);
  });

  app.get(`${API_PATHS.sessions}/:id`, async (context) => {
    const project = readProject(context);
    const sessionId = sessionIdParam(context);
    routeQuery(context, [], `GET ${API_PATHS.sessions}/:id`);
    const session = await requireSession(project.id, sessionId);
    const markers = await fromStore(() => store.getMarkers(project.id, sessionId));
    return context.json({ session, markers } satisfies SessionResponse);
  });

  app.get(`${API_PATHS.sessions}/:id/chunks`, async (context) => {
    const project = readProject(context);
    const sessionId = sessionIdParam(context);
    const query = routeQuery(context, ['windowId', 'fromSeq'], `GET ${API_PATHS.sessions}/:id/chunks`);
    const windowId = checkWindowId(query('windowId'));
    const fromSeqText = query('fromSeq');
    let fromSeq: number | undefined;
    if (fromSeqText !== undefined) {
      fromSeq = readQuery(context, () =>
        wholeNumber('fromSeq', fromSeqText, 'the last seq received plus one', 'invalid_from_seq'),
      );
      if (windowId === undefined) {
        throw new HttpError(
          400,
          'invalid_from_seq',
          "fromSeq numbers the batches of one window: pass windowId too, and resume a stream of several windows one window at a time (each of the session's windowIds).",
        );
      }
    }
    await requireSession(project.id, sessionId);
    if (context.req.method === 'HEAD') {
      return headersOnly(context, NDJSON_CONTENT_TYPE);
    }
    const iterator = store
      .readBatches(project.id, sessionId, {
        order: 'time',
        ...(windowId !== undefined ? { windowId } : {}),
        ...(fromSeq !== undefined ? { fromSeq } : {}),
      })
      [Symbol.asyncIterator]();
    // The first batch is read before answering, so a store that fails up front gets a 503
    // rather than a 200 with a broken stream.
    const first = await fromStore(() => iterator.next());
    return new Response(chunkStream(context.req.raw, first, iterator), {
      status: 200,
      headers: { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store' },
    });
  });

  app.get(`${API_PATHS.sessions}/:id/events`, async (context) => {
    const project = readProject(context);
    const sessionId = sessionIdParam(context);
    const query = routeQuery(context, ['windowId'], `GET ${API_PATHS.sessions}/:id/events`);
    const windowId = checkWindowId(query('windowId'));
    await requireSession(project.id, sessionId);
    if (context.req.method === 'HEAD') {
      return headersOnly(context, JSON_CONTENT_TYPE);
    }
    const events = await loadEvents(project.id, sessionId, windowId, context.req.raw.signal);
    return context.json({ events } satisfies SessionEventsResponse);
  });

  app.delete(`${API_PATHS.sessions}/:id`, async (context) => {
    const project = readProject(context);
    const sessionId = sessionIdParam(context);
    // A parameter would suggest a narrower delete (one window, say); the whole session goes.
    routeQuery(context, [], `DELETE ${API_PATHS.sessions}/:id`);
    const deleted = await fromStore(() => store.deleteSession(project.id, sessionId));
    if (!deleted) {
      throw new HttpError(
        404,
        'session_not_found',
        `No session "${sessionId}" in this project; it may have been deleted already.`,
      );
    }
    // The quota counts what is left: measure it again rather than refuse on a stale count.
    forgetUsage(project.id);
    return context.body(null, 204);
  });

  async function sweep(now = Date.now()): Promise<Record<string, number>> {
    const deleted: [projectId: string, count: number][] = [];
    for (const project of projects) {
      // Once closed, the store may be closed next (`replaykit serve` closes it right after):
      // the next start's sweep takes what is left.
      if (closed) {
        break;
      }
      const days = project.retentionDays ?? retentionDays;
      const before = now - days * DAY_MS;
      let total = 0;
      for (;;) {
        const count = await store.deleteSessionsEndedBefore(project.id, before, SWEEP_PAGE_SESSIONS);
        total += count;
        if (count < SWEEP_PAGE_SESSIONS) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (closed) {
          break;
        }
      }
      deleted.push([project.id, total]);
      forgetUsage(project.id);
    }
    // Each id becomes an own property, "__proto__" too, which an assignment would not make.
    return Object.fromEntries(deleted);
  }

  let sweeping = false;
  const runSweeper = () => {
    if (sweeping) {
      return;
    }
    sweeping = true;
    sweep()
      .catch(reportError)
      .finally(() => {
        sweeping = false;
      });
  };
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  const firstSweepTimer =
    sweepIntervalMs > 0
      ? setTimeout(
          () => {
            runSweeper();
            sweepTimer = setInterval(runSweeper, sweepIntervalMs);
            unrefTimer(sweepTimer);
          },
          Math.min(sweepIntervalMs, SWEEP_FIRST_DELAY_MS),
        )
      : undefined;
  unrefTimer(firstSweepTimer);

  return {
    app,
    fetch: async (request) => app.fetch(request),
    limits: Object.freeze({ ...limits }),
    sweep,
    close() {
      closed = true;
      clearTimeout(firstSweepTimer);
      clearInterval(sweepTimer);
      decoder.release();
    },
  };
}
