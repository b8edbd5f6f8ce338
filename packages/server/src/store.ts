import {
  type ActivityIntervals,
  activeMsOf,
  type BatchSummary,
  boundUserTraits,
  createFirstSeenList,
  EVENT_NAME_MAX_LENGTH,
  emptySessionSummary,
  mergeActivity,
  type SessionListQuery,
  type SessionListResponse,
  type SessionSort,
  type SessionSummary,
  SUMMARY_LIST_MAX,
  SUMMARY_URL_MAX_LENGTH,
  SUMMARY_USER_ID_MAX_LENGTH,
  type TimelineMarker,
  truncateText,
} from '@replaykit/core';
import { createMinHeap } from './min-heap';
import { optionNames } from './option-names';

/** How a stored batch body is encoded: exactly as the recorder sent it. */
export type BatchEncoding = 'gzip' | 'identity';

/** One custom event property kept for the list's `event` + `eventProperty` filter. */
export interface EventPropertyRow {
  /** The custom event's name. */
  name: string;
  /** Property name; empty for the row that records the event name alone. */
  property: string;
  /** The property's value as a string; empty for the name-only row. */
  value: string;
}

/** Most batches written in one group commit (SQLite and PostgreSQL). */
export const GROUP_MAX_BATCHES = 64;

/** Most body bytes written in one group commit; a single larger batch is written alone. */
export const GROUP_MAX_BYTES = 8 * 1024 * 1024;

/**
 * How many items, from `from` on, the next group takes: at most `limits.batches` items and
 * `limits.bytes` of bodies (by default a group commit's, GROUP_MAX_BATCHES and GROUP_MAX_BYTES),
 * and always at least one.
 */
export function groupLength<T>(
  items: readonly T[],
  from: number,
  bodyBytes: (item: T) => number,
  limits: { batches: number; bytes: number } = { batches: GROUP_MAX_BATCHES, bytes: GROUP_MAX_BYTES },
): number {
  let bytes = 0;
  let count = 0;
  while (from + count < items.length && count < limits.batches) {
    const size = bodyBytes(items[from + count] as T);
    if (count > 0 && bytes + size > limits.bytes) {
      break;
    }
    bytes += size;
    count++;
  }
  return count;
}

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
  /**
   * What the server added to every event time of this batch to correct the client's
   * clock (0 when the clock looked right). Stored, and added again when the batch is read.
   */
  timestampOffsetMs?: number;
  /** What the batch contributes to its session's metadata (core's `summarizeBatch`), times corrected. */
  summary: BatchSummary;
  /** Bytes this batch takes: its body as received (compressed or not) plus its markers as stored. */
  byteCount: number;
  /**
   * Timeline markers of this batch as stored: the JSON of core's `TimelineMarker[]` (ingest's
   * `batchMarkers`, ids unique within the session); none when absent.
   */
  markersJson?: string;
  /** Custom event names and properties of this batch, distinct. */
  eventProperties?: readonly EventPropertyRow[];
}

/**
 * The values of a batch row in the column order of both stores' batch INSERTs (project_id,
 * session_id, window_id, seq, received_at, encoding, byte_count, body, started_at,
 * timestamp_offset_ms, markers); `body` is the bytes as the driver wants them.
 */
export function batchRowValues(input: PutBatchInput, body: unknown): unknown[] {
  return [
    input.projectId,
    input.sessionId,
    input.windowId,
    input.seq,
    input.receivedAt,
    input.encoding,
    input.byteCount,
    body,
    // Whole milliseconds, as for the session columns (see SessionColumns).
    Math.round(input.summary.startedAt),
    Math.round(input.timestampOffsetMs ?? 0),
    input.markersJson ?? '[]',
  ];
}

/** The answer to {@link Store.putBatch}. */
export interface PutBatchResult {
  /** True when this `(projectId, sessionId, windowId, seq)` was already stored: nothing was written. */
  duplicate: boolean;
  /** True when this batch started a new session. */
  created: boolean;
}

/**
 * Validated filters, sort and page of {@link Store.listSessions}: core's query (one source for
 * the filter fields), with `eventProperty` parsed and the page size settled.
 */
export interface ListSessionsOptions extends Omit<SessionListQuery, 'eventProperty' | 'limit' | 'cursor'> {
  /** Most sessions to return; the caller validates the range. */
  limit: number;
  /** `nextCursor` of the previous page, or null/undefined for the first page. */
  cursor?: string | null;
  /** With `event`: the property that event must carry. */
  eventProperty?: { name: string; value: string };
}

/** One page of sessions: what `GET /v1/sessions` answers. */
export type SessionPage = SessionListResponse;

/** Filter of {@link Store.readBatches}. */
export interface ReadBatchesOptions {
  /** Only the batches of this window (tab). */
  windowId?: string;
  /** Only batches with this sequence number or a later one. */
  fromSeq?: number;
  /**
   * `window` (default): by window id, then seq. `time`: by seq within a window and by first
   * event time across windows (a merge of the windows, as the chunk stream serves them).
   */
  order?: 'window' | 'time';
}

/** One stored batch, as read back. */
export interface StoredBatch {
  windowId: string;
  seq: number;
  body: Uint8Array;
  encoding: BatchEncoding;
  /** Add to every event time of the body: the clock correction made at ingest. */
  timestampOffsetMs: number;
}

/** How much a project stores. */
export interface ProjectUsage {
  sessions: number;
  bytes: number;
}

/**
 * Where recordings live. Every method is async so that stores over a network database
 * (PostgreSQL) fit the same shape as the embedded SQLite store. Every read is scoped to
 * one project: a session id alone never reaches another project's data.
 *
 * Batch bodies are only written by `putBatch`, read by `readBatches` and removed with their
 * session: a store that keeps bodies in object storage and the rest in a database fits.
 */
export interface Store {
  /** Stores a batch and merges its summary into its session, atomically; a repeat is a no-op reported as duplicate. */
  putBatch(input: PutBatchInput): Promise<PutBatchResult>;
  /** Whether the batch `(project, session, window, seq)` is stored (no body is read). */
  hasBatch(projectId: string, sessionId: string, windowId: string, seq: number): Promise<boolean>;
  /** Lists a project's sessions, filtered and sorted as asked. */
  listSessions(projectId: string, options: ListSessionsOptions): Promise<SessionPage>;
  /** Returns one session's metadata, or undefined when the project has no such session. */
  getSession(projectId: string, sessionId: string): Promise<SessionSummary | undefined>;
  /** The markers stored with a session's batches, sorted by time (no body is read). */
  getMarkers(projectId: string, sessionId: string): Promise<TimelineMarker[]>;
  /**
   * Yields a session's batches in the order asked; throws {@link SessionDeletedError} when the
   * session is deleted before the last of them is read.
   */
  readBatches(projectId: string, sessionId: string, options?: ReadBatchesOptions): AsyncIterable<StoredBatch>;
  /** Deletes a session and all its data; false when there was no such session. */
  deleteSession(projectId: string, sessionId: string): Promise<boolean>;
  /**
   * Deletes up to `limit` sessions of a project whose last event and last batch received
   * are both before `before` (ms since 1970), oldest first, with all their data; resolves
   * with how many went. A batch that arrives late (an offline queue, a slow clock) so keeps
   * its session, instead of being deleted right after it was acknowledged.
   */
  deleteSessionsEndedBefore(projectId: string, before: number, limit: number): Promise<number>;
  /** How many sessions and bytes a project stores. */
  usage(projectId: string): Promise<ProjectUsage>;
  /** Resolves when the store can serve requests; rejects otherwise (readiness). */
  ping(): Promise<void>;
  /** Releases the store's resources; later calls fail. */
  close(): Promise<void>;
}

/**
 * Why {@link InvalidCursorError} refused a cursor: it was not made for this list, or it was
 * made by an earlier release, whose cursors this one cannot place in any list.
 */
const INVALID_CURSOR_MESSAGES = {
  foreign:
    'The cursor is not one this server returned for this project and sort; pass the nextCursor of the previous page unchanged, with the same read key and sort.',
  otherFilters:
    'The cursor was made for this list with other filters, and its position means nothing among the sessions these filters find; pass it with the same filters (userId, event, eventProperty, urlContains, minDurationMs, maxDurationMs, minActiveMs, hasErrors; the date window may move, its start only later) as the request whose answer held it, or start the list again from its first page (without a cursor) after changing them.',
  earlierFrom:
    'The cursor was made for a list whose date window started later (from): sessions that an earlier start (or none) adds can rank anywhere in the list, and the pages after the cursor would skip those ranked before it. The window may move later between pages, as "the last 7 days" computed at each request does, not earlier; keep from at or after the one the list was paged with, or start the list again from its first page (without a cursor).',
  earlierRelease:
    'The cursor was made by an earlier release of the replaykit server, before cursors named their project and filters, and this one cannot tell where it left off; start the list again from its first page (without a cursor).',
};

/** Thrown by {@link Store.listSessions} when a cursor was not made by this store for this project, sort and filters. */
export class InvalidCursorError extends Error {
  constructor(reason: keyof typeof INVALID_CURSOR_MESSAGES = 'foreign') {
    super(INVALID_CURSOR_MESSAGES[reason]);
    this.name = 'InvalidCursorError';
  }
}

/**
 * Thrown by {@link Store.readBatches} when the session was deleted while its batches were
 * being read: ending the stream there would pass a part of the session for the whole of it.
 */
export class SessionDeletedError extends Error {
  constructor() {
    super('The session was deleted while it was being read.');
    this.name = 'SessionDeletedError';
  }
}

/** Most activity intervals kept per session; older ones are folded into a settled sum. */
export const ACTIVITY_INTERVALS_MAX = 500;

/**
 * A session summary plus the bookkeeping a store needs to merge batches that arrive in
 * any order. Stores keep it as one JSON document beside the indexed columns.
 *
 * States written before `traitsAt`, `urlsAt` and `customEventNamesAt` existed lack them and
 * are still read (see {@link mergeSessionState}); every state written now has them.
 */
export interface StoredSessionState {
  summary: SessionSummary;
  /** Time of the event that gave `firstUrl`. */
  firstUrlAt: number | null;
  /**
   * Time of the `$identify` that gave `userId` (in states without `traitsAt`: the later of
   * that and the time of the traits).
   */
  identifiedAt: number | null;
  /** Time of the `$identify` that gave `userTraits`; null when none carried traits. */
  traitsAt?: number | null;
  /** First-seen time of each of `summary.urls`, index for index. */
  urlsAt?: number[];
  /** First-seen time of each of `summary.customEventNames`, index for index. */
  customEventNamesAt?: number[];
  /** Activity stretches not yet folded into `settledActiveMs`. */
  activity: ActivityIntervals;
  /** Active time of stretches folded away to bound the state's size. */
  settledActiveMs: number;
}

/**
 * Unites a session's capped first-seen list with a batch's: each item at its earliest time,
 * the {@link SUMMARY_LIST_MAX} seen first kept. An item of a state that has no times (one
 * written before they were kept) counts as seen at `fallbackAt`, the session's start: it was
 * seen no earlier, and so none of the items a session was listed with is pushed out by one seen
 * later. Each item goes through `bound` (core's limit on its length: cut or, when it gives
 * undefined, left out), which states written before those limits need.
 */
function mergeFirstSeen(
  items: readonly string[],
  times: readonly number[] | undefined,
  fallbackAt: number,
  addedItems: readonly string[],
  addedTimes: readonly number[],
  bound: (item: string) => string | undefined,
): { items: string[]; times: number[] } {
  const known = times !== undefined && times.length === items.length ? times : undefined;
  const list = createFirstSeenList(SUMMARY_LIST_MAX);
  const note = (item: string, time: number) => {
    const bounded = bound(item);
    if (bounded !== undefined) {
      list.note(bounded, time);
    }
  };
  for (let index = 0; index < items.length; index++) {
    note(items[index] as string, known?.[index] ?? fallbackAt);
  }
  for (let index = 0; index < addedItems.length; index++) {
    note(addedItems[index] as string, addedTimes[index] ?? fallbackAt);
  }
  return { items: list.items(), times: list.times() };
}

const boundUrl = (url: string) => truncateText(url, SUMMARY_URL_MAX_LENGTH);
const boundEventName = (name: string) => (name.length <= EVENT_NAME_MAX_LENGTH ? name : undefined);

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

function boundActivity(
  activity: ActivityIntervals,
  settledActiveMs: number,
): { activity: ActivityIntervals; settledActiveMs: number } {
  if (activity.length <= ACTIVITY_INTERVALS_MAX) {
    return { activity, settledActiveMs };
  }
  const folded = activity.slice(0, activity.length - ACTIVITY_INTERVALS_MAX);
  return {
    activity: activity.slice(folded.length),
    settledActiveMs: settledActiveMs + activeMsOf(folded),
  };
}

/** Starts a session's state from its first batch. */
export function newSessionState(
  sessionId: string,
  windowId: string,
  summary: BatchSummary,
  byteCount: number,
): StoredSessionState {
  const empty: StoredSessionState = {
    summary: emptySessionSummary(sessionId, summary.startedAt, summary.endedAt),
    firstUrlAt: null,
    identifiedAt: null,
    traitsAt: null,
    urlsAt: [],
    customEventNamesAt: [],
    activity: [],
    settledActiveMs: 0,
  };
  return mergeSessionState(empty, windowId, summary, byteCount);
}

/** Checks `deleteSessionsEndedBefore`'s `limit` the same way in every store. */
export function checkSweepLimit(limit: number): void {
  if (!(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new RangeError(`The sweep limit must be a whole number of 1 or more; got ${String(limit)}.`);
  }
}

/**
 * Most windows (tabs) listed for one session. A session rewrites its state with every batch,
 * so an unbounded list would let one client slow every write of a session (a browser has
 * had a few tabs, not thousands). Batches of further windows are stored and readable by
 * their window id, but the session does not list them, so the player does not offer them.
 */
export const SESSION_WINDOWS_MAX = 1_000;

/**
 * Merges one more batch into a session's state. Pure, so every store merges the same way
 * and the order batches arrive in does not matter: min startedAt, max endedAt, summed
 * counts, firstUrl from the earliest event, the user id from the latest identify that gave
 * one and the traits from the latest that carried any (each on its own time), union of
 * activity stretches, the URLs and names seen first (capped, ordered by first-seen time),
 * all window ids. Text is kept within core's summary limits (`boundUserTraits`,
 * `SUMMARY_URL_MAX_LENGTH`, `SUMMARY_USER_ID_MAX_LENGTH`, `EVENT_NAME_MAX_LENGTH`), also
 * where a state written before them held more.
 *
 * A state written before traits, URLs and names had their own times is read with these in
 * their place: the traits at `identifiedAt`, each URL and name at the session's `startedAt`
 * (see `mergeFirstSeen`).
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
  let { firstUrl, userId, userTraits } = previous;
  let { firstUrlAt, identifiedAt } = state;
  let traitsAt = state.traitsAt !== undefined ? state.traitsAt : userTraits === null ? null : identifiedAt;
  if (summary.firstUrl !== null && summary.firstUrlAt !== null) {
    if (firstUrlAt === null || summary.firstUrlAt < firstUrlAt) {
      firstUrl = summary.firstUrl;
      firstUrlAt = summary.firstUrlAt;
    }
  }
  if (
    summary.userId !== null &&
    summary.identifiedAt !== null &&
    (identifiedAt === null || summary.identifiedAt >= identifiedAt)
  ) {
    userId = summary.userId;
    identifiedAt = summary.identifiedAt;
  }
  if (
    summary.userTraits !== null &&
    summary.traitsAt !== null &&
    (traitsAt === null || summary.traitsAt >= traitsAt)
  ) {
    userTraits = summary.userTraits;
    traitsAt = summary.traitsAt;
  }
  const urls = mergeFirstSeen(
    previous.urls,
    state.urlsAt,
    previous.startedAt,
    summary.urls,
    summary.urlsAt,
    boundUrl,
  );
  const names = mergeFirstSeen(
    previous.customEventNames,
    state.customEventNamesAt,
    previous.startedAt,
    summary.customEventNames,
    summary.customEventNamesAt,
    boundEventName,
  );
  const bounded = boundActivity(mergeActivity(state.activity, summary.activity), state.settledActiveMs);
  return {
    summary: {
      id: previous.id,
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
      activeMs: bounded.settledActiveMs + activeMsOf(bounded.activity),
      eventCount: previous.eventCount + summary.eventCount,
      byteCount: previous.byteCount + byteCount,
      // A batch's summary is bounded already; a state written before core's limits may not be.
      firstUrl: firstUrl === null ? null : boundUrl(firstUrl),
      urls: urls.items,
      userId: userId === null ? null : truncateText(userId, SUMMARY_USER_ID_MAX_LENGTH),
      userTraits: userTraits === null ? null : boundUserTraits(userTraits),
      clickCount: previous.clickCount + summary.clickCount,
      keypressCount: previous.keypressCount + summary.keypressCount,
      errorCount: previous.errorCount + summary.errorCount,
      consoleErrorCount: previous.consoleErrorCount + summary.consoleErrorCount,
      consoleWarnCount: previous.consoleWarnCount + summary.consoleWarnCount,
      rageClickCount: previous.rageClickCount + summary.rageClickCount,
      deadClickCount: previous.deadClickCount + summary.deadClickCount,
      failedRequestCount: previous.failedRequestCount + summary.failedRequestCount,
      customEventNames: names.items,
      // Window ids are not capped by SUMMARY_LIST_MAX: the player needs every window to replay it.
      windowIds: union(previous.windowIds, [windowId], SESSION_WINDOWS_MAX),
      hasFullSnapshot: previous.hasFullSnapshot || summary.hasFullSnapshot,
    },
    firstUrlAt,
    identifiedAt,
    traitsAt,
    urlsAt: urls.times,
    customEventNamesAt: names.times,
    activity: bounded.activity,
    settledActiveMs: bounded.settledActiveMs,
  };
}

/**
 * The indexed columns of a session row, derived from its state (both stores use these). Times
 * are whole milliseconds, rounded: event times may carry fractions, which PostgreSQL's
 * `bigint` refuses; the state keeps them exact.
 */
export interface SessionColumns {
  startedAt: number;
  endedAt: number;
  durationMs: number;
  activeMs: number;
  errorCount: number;
  byteCount: number;
  userId: string | null;
  /**
   * The session's URLs, lower-cased and joined by newlines, with NUL as U+FFFD, for
   * `urlContains`; a URL with percent-encoded non-ASCII text is there a second time, decoded.
   */
  urlsText: string;
  state: string;
}

/**
 * Longest user id the sessions' `user_id` column holds, in characters, so that it fits in a
 * PostgreSQL index entry; a longer one stays in the session's summary but cannot be filtered on.
 */
export const USER_ID_COLUMN_MAX_LENGTH = 512;

/** Derives a session row's columns from its state. */
export function sessionColumns(state: StoredSessionState): SessionColumns {
  const { summary } = state;
  return {
    startedAt: Math.round(summary.startedAt),
    endedAt: Math.round(summary.endedAt),
    durationMs: Math.round(summary.durationMs),
    activeMs: Math.round(summary.activeMs),
    errorCount: summary.errorCount,
    byteCount: summary.byteCount,
    userId: searchableText(
      summary.userId !== null && summary.userId.length <= USER_ID_COLUMN_MAX_LENGTH ? summary.userId : null,
    ),
    urlsText: searchableText(urlSearchCase(urlsSearchText(summary.urls))),
    state: JSON.stringify(state),
  };
}

/** Runs of percent-encoded bytes of 0x80 and above: UTF-8 of non-ASCII characters, or not UTF-8. */
const ENCODED_NON_ASCII = /(?:%[89a-f][0-9a-f])+/gi;
/** One such byte (not global: `test` keeps no position). */
const HAS_ENCODED_NON_ASCII = /%[89a-f][0-9a-f]/i;

/**
 * The session's URLs as `urlContains` searches them, one a line. This runs for every batch
 * ingested: most sessions' URLs hold no encoded non-ASCII byte, and one scan of the joined
 * text settles that, where decoding each URL cost about five times what joining them does.
 */
function urlsSearchText(urls: readonly string[]): string {
  const joined = urls.join('\n');
  return HAS_ENCODED_NON_ASCII.test(joined) ? urls.flatMap(urlSearchLines).join('\n') : joined;
}

/**
 * A URL as `urlContains` searches it: as recorded and, when it holds percent-encoded non-ASCII
 * text, also with that text decoded. Browsers report `location.href` with such text encoded
 * (`/caf%C3%A9`) while their address bar shows it decoded (`/café`), which is what people type.
 * Runs that are not UTF-8 stay encoded; ASCII escapes (`%20`, `%2F`) stay as they are.
 */
function urlSearchLines(url: string): string[] {
  const decoded = url.replace(ENCODED_NON_ASCII, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
  return decoded === url ? [url] : [url, decoded];
}

/**
 * A string as both stores keep it in their searchable columns (user ids, URLs, event names,
 * properties and values) and as they map filters: U+0000, which PostgreSQL cannot store and
 * at which SQLite's LIKE stops reading, and a lone surrogate (a page that cuts a string
 * between the halves of an emoji sends one), which no filter sent over HTTP can match,
 * become U+FFFD. The summary keeps the original, in its JSON.
 */
export function searchableText<T extends string | null>(value: T): T {
  return (
    value === null ? value : (value as WellFormable).toWellFormed().replaceAll('\u0000', '\uFFFD')
  ) as T;
}

/** A string with `toWellFormed` (Node 20 has it; this project's ES2023 types do not). */
type WellFormable = string & { toWellFormed(): string };

/** Reads a state written by {@link sessionColumns}. */
export function parseSessionState(json: string): StoredSessionState {
  return JSON.parse(json) as StoredSessionState;
}

/** Position of a session in a sorted list, as carried by a cursor: the sort keys, then the id. */
export interface SessionCursor {
  /**
   * The project listed: a cursor only places a session among the sort's values, so one used
   * with another project's read key would quietly skip or end that project's list.
   */
  projectId: string;
  sort: SessionSort;
  /**
   * {@link listFiltersDigest} of the filters listed but the date window: with other filters,
   * the position of the last session of the page skips or repeats the sessions they find,
   * without a word.
   */
  filters: string;
  /** The sort's key values of the last session of the page, most significant first. */
  keys: number[];
  id: string;
  /**
   * The start of the list's date window (`from`), or null: the window may move later between
   * pages (sessions leave at its edge), not earlier (sessions it adds would rank anywhere,
   * and those before the cursor would be skipped). Its end (`to`) may move either way: a later
   * end adds the newest sessions, as sessions that arrive while a list is paged.
   */
  from: number | null;
}

/** The filters of {@link ListSessionsOptions}, complete by type: a new filter is part of every cursor. */
const LIST_FILTER_NAMES = optionNames<Omit<ListSessionsOptions, 'sort' | 'limit' | 'cursor'>>({
  userId: true,
  event: true,
  eventProperty: true,
  urlContains: true,
  from: true,
  to: true,
  minDurationMs: true,
  maxDurationMs: true,
  minActiveMs: true,
  hasErrors: true,
});

/**
 * Filters whose value 0 excludes no session, which the digest counts as not given: a duration
 * or active time is never below 0 (both are whole ms from the session's own event times).
 */
const FILTERS_MATCHING_ALL_AT_ZERO: ReadonlySet<string> = new Set(['minDurationMs', 'minActiveMs']);

/**
 * The filters of the date window, out of the digest: a client that lists "the last 7 days"
 * computes `from` at each request. The cursor carries the start itself ({@link
 * SessionCursor.from}), which may move later but not earlier; the end may move either way.
 */
const DATE_WINDOW_FILTERS: ReadonlySet<string> = new Set(['from', 'to']);

/**
 * The filters of `options` as the list query reads them, in {@link LIST_FILTER_NAMES} order,
 * so that filters written differently but finding the same sessions give one digest:
 * `urlContains` in lower case, as it is matched, and a minimum of 0 as not given. The date
 * window is always null: it keeps its places, so a list without dates keeps the digest that
 * earlier releases gave it.
 */
function listFilterValues(options: ListSessionsOptions): unknown[] {
  const filters = options as unknown as Record<string, unknown>;
  return LIST_FILTER_NAMES.map((name) => {
    if (DATE_WINDOW_FILTERS.has(name)) {
      return null;
    }
    if (name === 'urlContains' && options.urlContains !== undefined) {
      return urlSearchCase(options.urlContains);
    }
    if (FILTERS_MATCHING_ALL_AT_ZERO.has(name) && filters[name] === 0) {
      return null;
    }
    return filters[name] ?? null;
  });
}

/** URL text in the case it is searched in: both the `urls_text` column and `urlContains` are lowered. */
export function urlSearchCase(text: string): string {
  return text.toLowerCase();
}

/**
 * A short digest of a list's filters, which its cursors carry: FNV-1a (32 bits) of the
 * filters' values as JSON. The filters themselves would make a cursor as long as the query
 * string (filter text runs to thousands of characters); a digest tells two filter sets apart
 * but for a chance of one in four billion, and a cursor is no secret to keep.
 */
function listFiltersDigest(values: unknown[]): string {
  const text = JSON.stringify(values);
  let hash = 0x81_1c_9d_c5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01_00_01_93);
  }
  return (hash >>> 0).toString(36);
}

/** Encodes a list position as an opaque, URL-safe cursor. */
function encodeCursor(cursor: SessionCursor): string {
  const json = JSON.stringify([
    cursor.projectId,
    cursor.sort,
    cursor.filters,
    cursor.keys,
    cursor.id,
    cursor.from,
  ]);
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for `projectId` and the sort and filters of
 * `options`; throws {@link InvalidCursorError} otherwise.
 */
export function decodeCursor(cursor: string, projectId: string, options: ListSessionsOptions): SessionCursor {
  const sort = options.sort ?? 'newest';
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.replaceAll('-', '+').replaceAll('_', '/')));
  } catch {
    // Falls through to the error below: any malformed cursor gets the same answer.
  }
  if (
    Array.isArray(parsed) &&
    // Six values; five from the release before the date window could move (no start kept).
    (parsed.length === 5 ||
      (parsed.length === 6 && (parsed[5] === null || Number.isSafeInteger(parsed[5])))) &&
    parsed[0] === projectId &&
    parsed[1] === sort &&
    typeof parsed[2] === 'string' &&
    Array.isArray(parsed[3]) &&
    parsed[3].length === SORT_COLUMNS[sort].length &&
    parsed[3].every((key: unknown) => Number.isSafeInteger(key)) &&
    typeof parsed[4] === 'string'
  ) {
    const filters = listFiltersDigest(listFilterValues(options));
    if (parsed[2] !== filters) {
      throw new InvalidCursorError('otherFilters');
    }
    const from: number | null = parsed[5] ?? null;
    if (from !== null && (options.from === undefined || options.from < from)) {
      throw new InvalidCursorError('earlierFrom');
    }
    return { projectId, sort, filters, keys: parsed[3] as number[], id: parsed[4], from };
  }
  throw new InvalidCursorError(isEarlierReleaseCursor(parsed) ? 'earlierRelease' : 'foreign');
}

/**
 * Whether a decoded cursor has the shape an earlier release gave it: `[project, sort, keys, id]`,
 * before that `[sort, keys, id]`, and before sorts `[startedAt, id]`. A client that kept one
 * across an upgrade passed it back unchanged, as it should: telling it to do so would not help
 * it, starting over does.
 */
function isEarlierReleaseCursor(parsed: unknown): boolean {
  if (!Array.isArray(parsed)) {
    return false;
  }
  if (parsed.length === 4) {
    return (
      typeof parsed[0] === 'string' &&
      Object.hasOwn(SORT_COLUMNS, parsed[1]) &&
      Array.isArray(parsed[2]) &&
      typeof parsed[3] === 'string'
    );
  }
  if (parsed.length === 3) {
    return (
      Object.hasOwn(SORT_COLUMNS, parsed[0]) && Array.isArray(parsed[1]) && typeof parsed[2] === 'string'
    );
  }
  return parsed.length === 2 && typeof parsed[0] === 'number' && typeof parsed[1] === 'string';
}

/** The SQL column of each sort key, most significant first; both stores order by these, then id, all descending. */
export const SORT_COLUMNS: Record<SessionSort, readonly string[]> = {
  newest: ['started_at'],
  longest: ['duration_ms'],
  most_errors: ['error_count', 'started_at'],
};

/**
 * A page of {@link Store.listSessions} from the rows of `buildListQuery` (the `state` and the
 * sort's columns), which reads one row past the page to tell whether another follows. The
 * cursor holds the last row's columns as stored, which the next page's query compares.
 */
export function sessionPageFromRows(
  projectId: string,
  rows: readonly ({ state: string } & Record<string, unknown>)[],
  options: ListSessionsOptions,
): SessionPage {
  const sort = options.sort ?? 'newest';
  const page = rows.slice(0, options.limit).map((row) => parseSessionState(row.state).summary);
  const last = page.at(-1);
  const lastRow = rows[page.length - 1];
  return {
    sessions: page,
    nextCursor:
      rows.length > options.limit && last && lastRow
        ? encodeCursor({
            projectId,
            sort,
            filters: listFiltersDigest(listFilterValues(options)),
            keys: SORT_COLUMNS[sort].map((column) => Number(lastRow[column])),
            id: last.id,
            from: options.from ?? null,
          })
        : null,
  };
}

/** A session's markers, in time order, from the `markers` JSON of its batch rows. */
export function markersFromRows(rows: readonly { markers: string }[]): TimelineMarker[] {
  const markers = rows.flatMap((row) => JSON.parse(row.markers) as TimelineMarker[]);
  return markers.sort((a, b) => a.timestamp - b.timestamp);
}

/** The columns of a batch row that place it in the chunk stream. */
export interface BatchRefRow {
  window_id: string;
  seq: number;
  started_at: number;
  /** Its stored bytes, where the store reads bodies in pages by size (PostgreSQL). */
  byte_count?: number;
}

/** The columns of a batch row that carry its body. */
export interface BatchBodyRow {
  encoding: BatchEncoding;
  body: Uint8Array;
  timestamp_offset_ms: number;
}

/** The batch refs of {@link Store.readBatches} in the order it asked for. */
export function orderBatchRefs(
  rows: readonly BatchRefRow[],
  order: ReadBatchesOptions['order'],
): Array<{ windowId: string; seq: number; startedAt: number; byteCount?: number }> {
  const refs = rows.map((row) => ({
    windowId: row.window_id,
    seq: row.seq,
    startedAt: row.started_at,
    byteCount: row.byte_count,
  }));
  return order === 'time' ? mergeWindowsByTime(refs) : refs;
}

/** A stored batch from its ref and body row (the body viewed, not copied). */
export function storedBatch(ref: { windowId: string; seq: number }, row: BatchBodyRow): StoredBatch {
  return {
    windowId: ref.windowId,
    seq: ref.seq,
    encoding: row.encoding,
    timestampOffsetMs: row.timestamp_offset_ms,
    body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
  };
}

/** A batch ref as {@link mergeWindowsByTime} orders it. */
interface TimeOrderedRef {
  windowId: string;
  seq: number;
  startedAt: number;
}

/** One window's batch refs in seq order, and the next one to go out of the merge. */
interface WindowCursor<T extends TimeOrderedRef> {
  queue: readonly T[];
  /** Index in `queue` of `head`. */
  position: number;
  head: T;
}

/** Comparisons {@link mergeWindowsByTime} has made in this process: what a test checks its cost by. */
let timeMergeComparisons = 0;

/** How many comparisons the time merge of batch refs has made so far (for tests). */
export function timeMergeComparisonsForTests(): number {
  return timeMergeComparisons;
}

/** Earlier first event time first; at equal times, the smaller window id first. */
function compareWindowHeads<T extends TimeOrderedRef>(a: WindowCursor<T>, b: WindowCursor<T>): number {
  timeMergeComparisons++;
  const first = a.head;
  const second = b.head;
  if (first.startedAt !== second.startedAt) {
    return first.startedAt < second.startedAt ? -1 : 1;
  }
  return first.windowId < second.windowId ? -1 : first.windowId > second.windowId ? 1 : 0;
}

/**
 * Orders batch refs for the chunk stream: seq order within a window, first event time across
 * windows. Each step takes, of the windows' next batches, the one with the earliest first
 * event time, at equal times the one of the smallest window id (no two windows tie: their ids
 * differ). The windows wait in a min-heap keyed by their next batch, so the merge costs
 * O(n log w) comparisons for n batches of w windows: a session can hold batches of tens of
 * thousands of windows, and a scan of every window per batch stalled the process for seconds.
 */
function mergeWindowsByTime<T extends TimeOrderedRef>(refs: readonly T[]): T[] {
  const byWindow = new Map<string, T[]>();
  for (const ref of refs) {
    const list = byWindow.get(ref.windowId) ?? [];
    list.push(ref);
    byWindow.set(ref.windowId, list);
  }
  const cursors: WindowCursor<T>[] = [];
  for (const list of byWindow.values()) {
    const queue = list.sort((a, b) => a.seq - b.seq);
    const head = queue[0];
    if (head) {
      cursors.push({ queue, position: 0, head });
    }
  }
  const heap = createMinHeap(compareWindowHeads<T>, cursors);
  const result: T[] = [];
  for (let cursor = heap.peek(); cursor; cursor = heap.peek()) {
    result.push(cursor.head);
    cursor.position++;
    const next = cursor.queue[cursor.position];
    if (next) {
      // The window's key is now its next batch: it moves down to its place.
      cursor.head = next;
      heap.replaceTop(cursor);
    } else {
      heap.pop();
    }
  }
  return result;
}
