/**
 * Parsing of `GET /v1/sessions` query parameters (core's `SessionListQuery`) into the
 * store's validated options, and the check of unknown and repeated parameters that every
 * read route makes. Every refusal says which parameter is wrong and how to fix it.
 */
import { EVENT_NAME_MAX_LENGTH, ReservedEvent, type SessionSort } from '@replaykit/core';
import {
  EVENT_FILTER_PROPERTY_MAX_LENGTH,
  EVENT_FILTER_VALUE_MAX_LENGTH,
  INDEXED_RESERVED_EVENTS,
} from './ingest';
import { didYouMean } from './option-names';
import { type ListSessionsOptions, USER_ID_COLUMN_MAX_LENGTH } from './store';

/** Sessions per page of `GET /v1/sessions` when `limit` is not given. */
export const DEFAULT_SESSION_PAGE_SIZE = 50;

/** Most sessions per page of `GET /v1/sessions`. */
export const MAX_SESSION_PAGE_SIZE = 200;

/** Longest text accepted by `userId`, `urlContains` and `eventProperty`, in characters. */
export const FILTER_TEXT_MAX_LENGTH = 1_000;

const SORTS: readonly SessionSort[] = ['newest', 'longest', 'most_errors'];

/** The list parameter that finds sessions by one of replaykit's own events it does not index. */
const FILTERS_OF_RESERVED_EVENTS: Readonly<Record<string, string>> = {
  [ReservedEvent.Identify]: 'userId',
  [ReservedEvent.Navigation]: 'urlContains',
};

/** The parameters `GET /v1/sessions` understands; anything else is refused (a typo would otherwise filter nothing). */
const KNOWN_PARAMETERS = [
  'userId',
  'event',
  'eventProperty',
  'urlContains',
  'from',
  'to',
  'minDurationMs',
  'maxDurationMs',
  'minActiveMs',
  'hasErrors',
  'sort',
  'limit',
  'cursor',
];

/** A query string that cannot be answered; `code` is the error body's stable code. */
export class QueryError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'QueryError';
    this.code = code;
  }
}

/**
 * Refuses a query string that holds a parameter not in `known` (a typo would otherwise be
 * ignored and, say, a resuming stream would start over) or one given more than once (only one
 * value could count). `route` names the route in the message, such as "the session list".
 * Returns a reader of the parameters: an empty value counts as not given.
 */
export function checkQueryParameters(
  params: URLSearchParams,
  known: readonly string[],
  route: string,
): (name: string) => string | undefined {
  for (const name of params.keys()) {
    if (!known.includes(name)) {
      const accepted =
        known.length === 0 ? `${route} takes no parameters` : `${route} understands ${known.join(', ')}`;
      throw new QueryError(
        'invalid_query',
        `Unknown parameter "${name.slice(0, 60)}"${didYouMean(name, known)}; ${accepted}.`,
      );
    }
  }
  for (const name of known) {
    const count = params.getAll(name).length;
    if (count > 1) {
      throw new QueryError('invalid_query', `${name} is given ${count} times; give it once.`);
    }
  }
  return (name) => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  };
}

/**
 * A query parameter's whole number of 0 or more, at most `Number.MAX_SAFE_INTEGER` (what a double
 * holds exactly); `code` is the refusal's (the list's by default).
 */
export function wholeNumber(name: string, value: string, what: string, code = 'invalid_query'): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new QueryError(
      code,
      `${name} must be ${what}, a whole number from 0 to ${Number.MAX_SAFE_INTEGER}; got "${value}".`,
    );
  }
  return number;
}

function text(name: string, value: string): string {
  if (value.length > FILTER_TEXT_MAX_LENGTH) {
    throw new QueryError(
      'invalid_query',
      `${name} is ${value.length} characters long; at most ${FILTER_TEXT_MAX_LENGTH} are accepted.`,
    );
  }
  return value;
}

/**
 * Refuses filter text longer than what ingest indexes (`indexedMax`): such text is kept in
 * the recording but never in the filter's index, so the filter could only answer that no
 * session matches, even for sessions that hold it.
 */
function indexedText(what: string, value: string, indexedMax: number): string {
  if (value.length > indexedMax) {
    throw new QueryError(
      'invalid_query',
      `${what} is ${value.length} characters long, and only those up to ${indexedMax} characters are indexed for filtering, so it could match no session; filter by something else, such as the session's time or URL.`,
    );
  }
  return value;
}

/** Parses the query string of `GET /v1/sessions`. */
export function parseListQuery(params: URLSearchParams): ListSessionsOptions {
  const get = checkQueryParameters(params, KNOWN_PARAMETERS, 'the session list');

  const options: ListSessionsOptions = { limit: DEFAULT_SESSION_PAGE_SIZE };
  const limit = get('limit');
  if (limit !== undefined) {
    const parsed = /^\d+$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(parsed >= 1 && parsed <= MAX_SESSION_PAGE_SIZE)) {
      throw new QueryError(
        'invalid_limit',
        `limit must be a whole number from 1 to ${MAX_SESSION_PAGE_SIZE}; got "${limit}".`,
      );
    }
    options.limit = parsed;
  }
  const sort = get('sort');
  if (sort !== undefined) {
    if (!SORTS.includes(sort as SessionSort)) {
      throw new QueryError(
        'invalid_query',
        `sort must be one of ${SORTS.join(', ')}; got "${sort.slice(0, 60)}".`,
      );
    }
    options.sort = sort as SessionSort;
  }
  const cursor = get('cursor');
  if (cursor !== undefined) {
    options.cursor = cursor;
  }
  const userId = get('userId');
  if (userId !== undefined) {
    options.userId = indexedText('userId', text('userId', userId), USER_ID_COLUMN_MAX_LENGTH);
  }
  const urlContains = get('urlContains');
  if (urlContains !== undefined) {
    // Matched within one URL at a time: a line break could only match across two of them,
    // and a NUL is where SQLite's LIKE stops reading.
    if (['\n', '\r', '\u0000'].some((character) => urlContains.includes(character))) {
      throw new QueryError(
        'invalid_query',
        'urlContains is looked for within one URL; it cannot hold a line break or a NUL character.',
      );
    }
    options.urlContains = text('urlContains', urlContains);
  }
  const event = get('event');
  if (event !== undefined) {
    if (event.length > EVENT_NAME_MAX_LENGTH) {
      throw new QueryError(
        'invalid_query',
        `event is longer than ${EVENT_NAME_MAX_LENGTH} characters, the longest event name.`,
      );
    }
    if (event.startsWith('$') && !INDEXED_RESERVED_EVENTS.includes(event)) {
      const instead = FILTERS_OF_RESERVED_EVENTS[event];
      throw new QueryError(
        'invalid_query',
        `event "${event.slice(0, 60)}" never matches: of its own events, replaykit does not index this one; it indexes only ${INDEXED_RESERVED_EVENTS.join(', ')}.${instead === undefined ? '' : ` Filter sessions by ${instead} instead.`}`,
      );
    }
    options.event = event;
  }
  const eventProperty = get('eventProperty');
  if (eventProperty !== undefined) {
    if (event === undefined) {
      throw new QueryError(
        'invalid_query',
        'eventProperty narrows the event filter: pass event too, as in ?event=checkout_error&eventProperty=code=E1.',
      );
    }
    const separator = text('eventProperty', eventProperty).indexOf('=');
    if (separator <= 0) {
      throw new QueryError(
        'invalid_query',
        `eventProperty must have the form name=value, such as code=E1; got "${eventProperty.slice(0, 60)}".`,
      );
    }
    options.eventProperty = {
      name: indexedText(
        'The eventProperty name',
        eventProperty.slice(0, separator),
        EVENT_FILTER_PROPERTY_MAX_LENGTH,
      ),
      value: indexedText(
        'The eventProperty value',
        eventProperty.slice(separator + 1),
        EVENT_FILTER_VALUE_MAX_LENGTH,
      ),
    };
  }
  for (const name of ['from', 'to'] as const) {
    const value = get(name);
    if (value !== undefined) {
      options[name] = wholeNumber(name, value, 'a time in ms since 1970');
    }
  }
  for (const name of ['minDurationMs', 'maxDurationMs', 'minActiveMs'] as const) {
    const value = get(name);
    if (value !== undefined) {
      options[name] = wholeNumber(name, value, 'a number of milliseconds');
    }
  }
  const hasErrors = get('hasErrors');
  if (hasErrors !== undefined) {
    if (hasErrors !== 'true' && hasErrors !== 'false') {
      throw new QueryError(
        'invalid_query',
        `hasErrors must be true or false; got "${hasErrors.slice(0, 60)}".`,
      );
    }
    options.hasErrors = hasErrors === 'true';
  }
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    // Milliseconds alone say little to someone who picked two days in a form.
    const when = (ms: number) => (ms <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`);
    throw new QueryError(
      'invalid_query',
      `from (${options.from}, ${when(options.from)}) must be before to (${options.to}, ${when(options.to)}); swap them, or leave one out for an open range.`,
    );
  }
  if (
    options.minDurationMs !== undefined &&
    options.maxDurationMs !== undefined &&
    options.minDurationMs > options.maxDurationMs
  ) {
    throw new QueryError('invalid_query', 'minDurationMs must not be larger than maxDurationMs.');
  }
  if (
    options.minActiveMs !== undefined &&
    options.maxDurationMs !== undefined &&
    options.minActiveMs > options.maxDurationMs
  ) {
    // Active time is counted between the session's first and last events, within its duration.
    throw new QueryError(
      'invalid_query',
      'minActiveMs must not be larger than maxDurationMs: a session is active for at most its duration.',
    );
  }
  return options;
}
