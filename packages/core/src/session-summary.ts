import { EVENT_NAME_MAX_LENGTH, isFailedRequest, ReservedEvent } from './custom-events';
import {
  EventType,
  IncrementalSource,
  isClick,
  isCustomEvent,
  isIncremental,
  isMetaEvent,
  isRecord,
  isUserActivity,
  type RecordedEvent,
} from './events';
import { TRUNCATION_MARKER, truncateText } from './text';

/** Most distinct URLs and custom event names kept per session summary. */
export const SUMMARY_LIST_MAX = 50;

/**
 * Longest URL kept in a session summary (`firstUrl`, `urls`), in characters. The summary is
 * rewritten with every batch and sent in every list row, so a longer URL (a data: URL, a query
 * string holding app state) is cut to this length, ending in {@link TRUNCATION_MARKER}; the
 * recording keeps it whole.
 */
export const SUMMARY_URL_MAX_LENGTH = 1_000;

/**
 * Longest user id kept in a session summary, in characters; a longer one is cut as URLs are.
 * Above the server's `USER_ID_COLUMN_MAX_LENGTH`, so what can be filtered on is not changed.
 */
export const SUMMARY_USER_ID_MAX_LENGTH = 1_000;

/** Most traits kept from an `$identify`, counting the {@link DROPPED_TRAITS_KEY} note. */
export const USER_TRAITS_MAX_KEYS = 50;

/** Longest trait name kept, in characters; a trait with a longer name is dropped. */
export const USER_TRAIT_KEY_MAX_LENGTH = 200;

/**
 * Longest trait value kept, in characters: a longer string is cut to this length, ending in
 * {@link TRUNCATION_MARKER}; an object or array whose JSON is longer is dropped (numbers,
 * booleans and null always fit).
 */
export const USER_TRAIT_VALUE_MAX_LENGTH = 500;

/**
 * The trait that says how many traits were dropped (over {@link USER_TRAITS_MAX_KEYS}, a name
 * over {@link USER_TRAIT_KEY_MAX_LENGTH}, an object or array over
 * {@link USER_TRAIT_VALUE_MAX_LENGTH}); present only when some were.
 */
export const DROPPED_TRAITS_KEY = '$dropped';

/** A stretch without user activity longer than this counts as inactive, in ms (PostHog's figure). */
export const INACTIVITY_THRESHOLD_MS = 5_000;

/** Metadata of one session, computed from its events as they are ingested. */
export interface SessionSummary {
  id: string;
  /** First and last event time, ms since 1970. */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /**
   * Time with user activity (mouse, touch, scroll, input): the sum of the gaps between
   * consecutive activity events that are at most {@link INACTIVITY_THRESHOLD_MS} apart.
   */
  activeMs: number;
  eventCount: number;
  /**
   * Bytes stored for this session: its batches' bodies as sent (compressed or not), plus the
   * timeline markers the server keeps beside them.
   */
  byteCount: number;
  firstUrl: string | null;
  /**
   * Distinct URLs visited (page loads and SPA navigations): the {@link SUMMARY_LIST_MAX} seen
   * first, in order of first appearance (the time of the earliest event that gave each; at
   * equal times, by URL). See {@link FirstSeenList}. Each, like `firstUrl`, within
   * {@link SUMMARY_URL_MAX_LENGTH}.
   */
  urls: string[];
  /** User id of the latest `$identify` that gave one, within {@link SUMMARY_USER_ID_MAX_LENGTH}. */
  userId: string | null;
  /**
   * Traits of the latest `$identify` event that carried any, bounded by {@link boundUserTraits};
   * null when none did.
   */
  userTraits: Record<string, unknown> | null;
  clickCount: number;
  /** rrweb Input events (text typed, boxes ticked, options chosen). */
  keypressCount: number;
  /** `$error` events. */
  errorCount: number;
  /** `$console` events of level `error`. */
  consoleErrorCount: number;
  /** `$console` events of level `warn`. */
  consoleWarnCount: number;
  rageClickCount: number;
  deadClickCount: number;
  /** `$network` events that failed: status 0 (no answer) or 400 and above. */
  failedRequestCount: number;
  /**
   * Distinct custom event names: the {@link SUMMARY_LIST_MAX} seen first, in order of first
   * appearance, as `urls`; a name longer than `EVENT_NAME_MAX_LENGTH` is left out.
   */
  customEventNames: string[];
  /** Window (tab) ids that sent batches for this session. */
  windowIds: string[];
  /** True once a FullSnapshot has arrived: without one, nothing can be replayed. */
  hasFullSnapshot: boolean;
}

/**
 * A summary of a session with nothing counted yet: every count zero, every list empty.
 * Builders start from it and set what they know, so a new field gets its default here once.
 */
export function emptySessionSummary(
  id: string,
  startedAt: number,
  endedAt: number = startedAt,
): SessionSummary {
  return {
    id,
    startedAt,
    endedAt,
    durationMs: endedAt - startedAt,
    activeMs: 0,
    eventCount: 0,
    byteCount: 0,
    firstUrl: null,
    urls: [],
    userId: null,
    userTraits: null,
    clickCount: 0,
    keypressCount: 0,
    errorCount: 0,
    consoleErrorCount: 0,
    consoleWarnCount: 0,
    rageClickCount: 0,
    deadClickCount: 0,
    failedRequestCount: 0,
    customEventNames: [],
    windowIds: [],
    hasFullSnapshot: false,
  };
}

/**
 * Stretches of continuous activity, `[start, end]` in ms since 1970, sorted and at least
 * {@link INACTIVITY_THRESHOLD_MS} apart. Unions of these merge batches that arrive in any
 * order into the same `activeMs` as one pass over all the events would give.
 */
export type ActivityIntervals = Array<[number, number]>;

/** The part of a summary that one batch contributes; the store merges these. */
export interface BatchSummary {
  startedAt: number;
  endedAt: number;
  eventCount: number;
  firstUrl: string | null;
  /** Time of the event that gave `firstUrl`, so the earliest wins when batches arrive out of order. */
  firstUrlAt: number | null;
  /**
   * Distinct URLs of the batch: the {@link SUMMARY_LIST_MAX} seen first, in order of first
   * appearance (see {@link FirstSeenList}). Keeping the batch's earliest ones is enough for
   * the session to keep its earliest ones, whatever order its batches arrive in.
   */
  urls: string[];
  /** Time of the earliest event of the batch that gave each of `urls`, index for index. */
  urlsAt: number[];
  userId: string | null;
  /** Time of the batch's latest `$identify` that gave `userId`, so the latest wins across batches. */
  identifiedAt: number | null;
  /** Traits of the batch's latest `$identify` that carried traits. */
  userTraits: Record<string, unknown> | null;
  /**
   * Time of that `$identify`. Apart from `identifiedAt`: a later `$identify` without traits
   * changes the user id but keeps the traits of an earlier one.
   */
  traitsAt: number | null;
  activity: ActivityIntervals;
  clickCount: number;
  keypressCount: number;
  errorCount: number;
  consoleErrorCount: number;
  consoleWarnCount: number;
  rageClickCount: number;
  deadClickCount: number;
  failedRequestCount: number;
  /** Distinct custom event names of the batch, the {@link SUMMARY_LIST_MAX} seen first, as `urls`. */
  customEventNames: string[];
  /** Time of the earliest event of the batch with each of `customEventNames`, index for index. */
  customEventNamesAt: number[];
  hasFullSnapshot: boolean;
}

/**
 * Distinct items (URLs, custom event names) with the time each was first seen, keeping the
 * `max` seen first: sorted by that time, equal times by the item (UTF-16 code units), so what
 * is kept depends on the times alone, not on the order they were noted in. Summaries of
 * batches and the sessions' merged lists both keep theirs this way: an item among a session's
 * first `max` is among the first `max` of the batch that saw it first, so capped lists merge
 * into the same result as one pass over all the events.
 *
 * An item is dropped once `max` others were seen before it: a later note with an earlier time
 * brings it back, a later one does not (it would rank lower still). So a batch of many
 * distinct names costs a lookup in at most `max` items per event, and no sort of them all.
 */
export interface FirstSeenList {
  /** Notes that `item` was seen at `time`. */
  note(item: string, time: number): void;
  /** The items kept, seen first first. */
  items(): string[];
  /** The first-seen time of each of {@link FirstSeenList.items}, index for index. */
  times(): number[];
}

/** An empty {@link FirstSeenList} that keeps at most `max` items. */
export function createFirstSeenList(max: number): FirstSeenList {
  /** The items kept, sorted; the last is the first to go. */
  const sorted: Array<[item: string, time: number]> = [];
  const byItem = new Map<string, [item: string, time: number]>();
  const insert = (entry: [string, number]) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareFirstSeen(sorted[middle] as [string, number], entry) < 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    sorted.splice(low, 0, entry);
  };
  return {
    note(item, time) {
      const known = byItem.get(item);
      if (known) {
        if (time < known[1]) {
          sorted.splice(sorted.indexOf(known), 1);
          known[1] = time;
          insert(known);
        }
        return;
      }
      const entry: [string, number] = [item, time];
      const last = sorted.at(-1);
      if (sorted.length >= max && (!last || compareFirstSeen(entry, last) >= 0)) {
        return;
      }
      byItem.set(item, entry);
      insert(entry);
      if (sorted.length > max) {
        const dropped = sorted.pop() as [string, number];
        byItem.delete(dropped[0]);
      }
    },
    items: () => sorted.map((entry) => entry[0]),
    times: () => sorted.map((entry) => entry[1]),
  };
}

function compareFirstSeen(a: readonly [string, number], b: readonly [string, number]): number {
  return a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

function boundTraitValue(value: unknown): unknown {
  if (typeof value === 'string') {
    return truncateText(value, USER_TRAIT_VALUE_MAX_LENGTH);
  }
  if (typeof value === 'object' && value !== null) {
    return JSON.stringify(value).length <= USER_TRAIT_VALUE_MAX_LENGTH ? value : undefined;
  }
  return value;
}

/**
 * Traits as a session summary keeps them: at most {@link USER_TRAITS_MAX_KEYS}, in the order
 * given, each within {@link USER_TRAIT_KEY_MAX_LENGTH} and {@link USER_TRAIT_VALUE_MAX_LENGTH}.
 * A host that puts a whole user object (an avatar as a data URL, a settings blob) into its
 * traits would otherwise put it into every list row and every rewrite of the session. What is
 * left out is counted in {@link DROPPED_TRAITS_KEY}, so the summary shows that it was; the
 * `$identify` event in the recording keeps every trait. Bounded traits come back unchanged.
 */
export function boundUserTraits(traits: Record<string, unknown>): Record<string, unknown> {
  const kept: Array<[string, unknown]> = [];
  let dropped = 0;
  for (const [key, value] of Object.entries(traits)) {
    const bounded =
      key.length <= USER_TRAIT_KEY_MAX_LENGTH && kept.length < USER_TRAITS_MAX_KEYS
        ? boundTraitValue(value)
        : undefined;
    if (bounded === undefined) {
      dropped++;
    } else {
      kept.push([key, bounded]);
    }
  }
  // fromEntries defines own properties, so a trait named "__proto__" stays a trait.
  if (dropped === 0) {
    return Object.fromEntries(kept);
  }
  // The note replaces a host trait of its name and takes a trait's place within the limit.
  const withoutNote = kept.filter(([key]) => key !== DROPPED_TRAITS_KEY);
  if (withoutNote.length >= USER_TRAITS_MAX_KEYS) {
    withoutNote.pop();
    dropped++;
  }
  return Object.fromEntries([...withoutNote, [DROPPED_TRAITS_KEY, dropped]]);
}

function field(payload: unknown, name: string): unknown {
  return isRecord(payload) ? payload[name] : undefined;
}

/** Sums the lengths of activity intervals. */
export function activeMsOf(intervals: ActivityIntervals): number {
  let total = 0;
  for (const [start, end] of intervals) {
    total += end - start;
  }
  return total;
}

/**
 * Unites two sets of activity intervals: overlapping ones, and ones at most
 * {@link INACTIVITY_THRESHOLD_MS} apart, become one.
 */
export function mergeActivity(a: ActivityIntervals, b: ActivityIntervals): ActivityIntervals {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const merged: ActivityIntervals = [];
  for (const [start, end] of all) {
    const last = merged.at(-1);
    if (last && start - last[1] <= INACTIVITY_THRESHOLD_MS) {
      last[1] = Math.max(last[1], end);
    } else {
      merged.push([start, end]);
    }
  }
  return merged;
}

function activityOf(times: number[]): ActivityIntervals {
  return mergeActivity(
    [],
    times.map((time): [number, number] => [time, time]),
  );
}

/** Summarises the events of one batch. The batch must hold at least one event. */
export function summarizeBatch(events: readonly RecordedEvent[]): BatchSummary {
  let startedAt = Number.POSITIVE_INFINITY;
  let endedAt = Number.NEGATIVE_INFINITY;
  let firstUrl: string | null = null;
  let firstUrlAt: number | null = null;
  let userId: string | null = null;
  let userTraits: Record<string, unknown> | null = null;
  let identifiedAt: number | null = null;
  let traitsAt: number | null = null;
  let clickCount = 0;
  let keypressCount = 0;
  let errorCount = 0;
  let consoleErrorCount = 0;
  let consoleWarnCount = 0;
  let rageClickCount = 0;
  let deadClickCount = 0;
  let failedRequestCount = 0;
  let hasFullSnapshot = false;
  const names = createFirstSeenList(SUMMARY_LIST_MAX);
  const urls = createFirstSeenList(SUMMARY_LIST_MAX);
  const activityTimes: number[] = [];
  const addUrl = (given: unknown, timestamp: number) => {
    if (typeof given !== 'string' || given === '') {
      return;
    }
    const url = truncateText(given, SUMMARY_URL_MAX_LENGTH);
    if (firstUrlAt === null || timestamp < firstUrlAt) {
      firstUrl = url;
      firstUrlAt = timestamp;
    }
    urls.note(url, timestamp);
  };
  for (const event of events) {
    startedAt = Math.min(startedAt, event.timestamp);
    endedAt = Math.max(endedAt, event.timestamp);
    if (event.type === EventType.FullSnapshot) {
      hasFullSnapshot = true;
    } else if (isMetaEvent(event)) {
      addUrl(event.data.href, event.timestamp);
    } else if (event.type === EventType.IncrementalSnapshot) {
      if (isUserActivity(event)) {
        activityTimes.push(event.timestamp);
      }
      if (isClick(event)) {
        clickCount++;
      } else if (isIncremental(event, IncrementalSource.Input)) {
        keypressCount++;
      }
    } else if (isCustomEvent(event)) {
      const { tag, payload } = event.data;
      switch (tag) {
        case ReservedEvent.Error:
          errorCount++;
          break;
        case ReservedEvent.Identify: {
          const id = field(payload, 'userId');
          if (typeof id === 'string' && (identifiedAt === null || event.timestamp >= identifiedAt)) {
            userId = truncateText(id, SUMMARY_USER_ID_MAX_LENGTH);
            identifiedAt = event.timestamp;
          }
          const traits = field(payload, 'traits');
          if (isRecord(traits) && (traitsAt === null || event.timestamp >= traitsAt)) {
            userTraits = traits;
            traitsAt = event.timestamp;
          }
          break;
        }
        case ReservedEvent.Console: {
          const level = field(payload, 'level');
          if (level === 'error') {
            consoleErrorCount++;
          } else if (level === 'warn') {
            consoleWarnCount++;
          }
          break;
        }
        case ReservedEvent.Network: {
          if (isFailedRequest(payload)) {
            failedRequestCount++;
          }
          break;
        }
        case ReservedEvent.RageClick:
          rageClickCount++;
          break;
        case ReservedEvent.DeadClick:
          deadClickCount++;
          break;
        case ReservedEvent.Navigation:
          addUrl(field(payload, 'url'), event.timestamp);
          break;
        default:
          // A longer name cannot be filtered on either (ingest leaves it out of the event index).
          if (!tag.startsWith('$') && tag.length <= EVENT_NAME_MAX_LENGTH) {
            names.note(tag, event.timestamp);
          }
      }
    }
  }
  return {
    startedAt,
    endedAt,
    eventCount: events.length,
    firstUrl,
    firstUrlAt,
    urls: urls.items(),
    urlsAt: urls.times(),
    userId,
    identifiedAt,
    userTraits: userTraits === null ? null : boundUserTraits(userTraits),
    traitsAt,
    activity: activityOf(activityTimes),
    clickCount,
    keypressCount,
    errorCount,
    consoleErrorCount,
    consoleWarnCount,
    rageClickCount,
    deadClickCount,
    failedRequestCount,
    customEventNames: names.items(),
    customEventNamesAt: names.times(),
    hasFullSnapshot,
  };
}
