/**
 * What the server derives from a validated batch before storing it: the clock correction,
 * the timeline markers and the custom event properties that the list filters on.
 */
import {
  type CustomEventData,
  deriveMarkers,
  EVENT_NAME_MAX_LENGTH,
  isCustomEvent,
  isRecord,
  type RecordedEvent,
  ReservedEvent,
  type TimelineMarker,
} from '@replaykit/core';
import type { EventPropertyRow } from './store';

/** Most properties per custom event kept for filtering. */
export const EVENT_FILTER_PROPERTIES_MAX = 20;
/** Longest property value kept for filtering, in characters; longer values cannot be filtered on. */
export const EVENT_FILTER_VALUE_MAX_LENGTH = 200;
/**
 * Longest property name kept for filtering, in characters; an event name longer than core's
 * `EVENT_NAME_MAX_LENGTH` (200, which the recorder enforces) is not kept either. Together
 * they keep an event index row within what a PostgreSQL index entry holds (about 2.7 KB).
 */
export const EVENT_FILTER_PROPERTY_MAX_LENGTH = 200;
/** Most property rows kept per batch for filtering. */
export const EVENT_FILTER_ROWS_MAX = 1_000;

/**
 * replaykit's own events (names starting with "$") that are kept for filtering. The others are
 * too many (console, network) or filterable through the summary's own columns (identify,
 * navigation), so the list's `event` filter refuses them rather than answer "no session".
 */
export const INDEXED_RESERVED_EVENTS: readonly string[] = [
  ReservedEvent.Error,
  ReservedEvent.RageClick,
  ReservedEvent.DeadClick,
];

/**
 * Longest marker payload stored, in characters of JSON. A marker is read with its session's
 * metadata, before any event, so a longer payload is left out of it (`payloadOmitted`); the
 * event in the session's chunks keeps it.
 */
export const MARKER_PAYLOAD_MAX_LENGTH = 1_000;
/** Most markers stored per batch; past it the most important are kept (errors first). */
export const MARKERS_PER_BATCH_MAX = 100;

/** How far clocks may disagree before the server corrects a batch's times. */
export interface ClockSkewLimits {
  /** Newest event may be at most this far after the server's receive time, in ms. */
  maxFutureSkewMs: number;
  /** Newest event may be at most this far before the server's receive time, in ms. */
  maxPastSkewMs: number;
}

/**
 * How far a batch's `sentAt` may be from the receive time and still be taken as transfer time
 * rather than a wrong clock, in ms. Past it, the clock is corrected by the whole difference.
 */
export const SENT_AT_TOLERANCE_MS = 60_000;

/**
 * The offset to add to every event time of a batch, to correct the client's clock.
 *
 * With `sentAt` (when the client sent the batch, by its own clock), the client's clock is
 * off by `receivedAt - sentAt`, give or take the transfer time, however long the batch
 * waited before it was sent (an offline queue, retries). That offset is applied when it is
 * more than {@link SENT_AT_TOLERANCE_MS} either way: every batch of one clock gets the same
 * offset (up to its transfer time), so batches delivered together keep their spacing, and a
 * clock a few minutes or days off is corrected, not only one past the event limits. Within
 * the tolerance, times are kept as sent: the difference may be the upload itself.
 *
 * Without `sentAt` (older recorders, other clients), or when the events would lie beyond the
 * limits once moved by it (events that claim to be newer than their send time, or recorded
 * more than `maxPastSkewMs` before it), the events alone decide: when the newest lies further
 * in the future (or past) than allowed, the whole batch is shifted so its newest event lands
 * at the receive time. A wrong client clock moves the batch, not the spacing of its events;
 * batches that waited and arrive together all land at about the receive time, though.
 */
export function clockOffset(
  events: readonly RecordedEvent[],
  receivedAt: number,
  limits: ClockSkewLimits,
  sentAt?: number,
): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    newest = Math.max(newest, event.timestamp);
  }
  const outside = (time: number) =>
    time > receivedAt + limits.maxFutureSkewMs || time < receivedAt - limits.maxPastSkewMs;
  // Whole milliseconds, as the stores keep it: the events keep their own fractions, and
  // what ingest derives from the shifted times is what readers shift them to.
  const offset =
    sentAt !== undefined && Math.abs(receivedAt - sentAt) > SENT_AT_TOLERANCE_MS
      ? Math.round(receivedAt - sentAt)
      : 0;
  if (!outside(newest + offset)) {
    return offset;
  }
  // sentAt and the events disagree (or there is no sentAt): the events alone decide, and
  // events within the limits stay as they are.
  return outside(newest) ? Math.round(receivedAt - newest) : 0;
}

/**
 * Returns the events with `offsetMs` added to their times (the same array when the offset is
 * 0): a `$network` request's `startedAt` too, which is the same browser clock's, so that the
 * moment it was sent stays before its event (its marker and inspector row stand there).
 */
export function shiftEvents(events: RecordedEvent[], offsetMs: number): RecordedEvent[] {
  if (offsetMs === 0) {
    return events;
  }
  return events.map((event) => {
    const shifted = { ...event, timestamp: event.timestamp + offsetMs };
    if (isCustomEvent(event) && event.data.tag === ReservedEvent.Network && isRecord(event.data.payload)) {
      const { startedAt } = event.data.payload;
      if (typeof startedAt === 'number' && Number.isFinite(startedAt)) {
        shifted.data = { ...event.data, payload: { ...event.data.payload, startedAt: startedAt + offsetMs } };
      }
    }
    return shifted;
  });
}

/**
 * The batch's markers with ids made unique within the session by the batch's window and seq,
 * within {@link MARKERS_PER_BATCH_MAX} and {@link MARKER_PAYLOAD_MAX_LENGTH}.
 */
export function batchMarkers(
  events: readonly RecordedEvent[],
  windowId: string,
  seq: number,
): TimelineMarker[] {
  return deriveMarkers(events, {
    idPrefix: `${windowId}:${seq}:`,
    maxPayloadLength: MARKER_PAYLOAD_MAX_LENGTH,
    maxMarkers: MARKERS_PER_BATCH_MAX,
  });
}

function propertyValue(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value.length <= EVENT_FILTER_VALUE_MAX_LENGTH ? value : undefined;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/**
 * The distinct (name, property, value) rows of the batch's host events, plus one row per
 * name with an empty property: what `?event=` and `?eventProperty=name=value` match. The name
 * rows come first, so that the rows' cap ({@link EVENT_FILTER_ROWS_MAX}) only ever leaves out
 * properties: the properties of many events before it (an error storm, each error with its
 * own message) must not hide an event from `?event=`.
 */
export function eventProperties(events: readonly RecordedEvent[]): EventPropertyRow[] {
  const seen = new Set<string>();
  const rows: EventPropertyRow[] = [];
  const add = (row: EventPropertyRow) => {
    const key = JSON.stringify([row.name, row.property, row.value]);
    if (!seen.has(key) && rows.length < EVENT_FILTER_ROWS_MAX) {
      seen.add(key);
      rows.push(row);
    }
  };
  const indexed: CustomEventData[] = [];
  for (const event of events) {
    if (
      isCustomEvent(event) &&
      !(event.data.tag.startsWith('$') && !INDEXED_RESERVED_EVENTS.includes(event.data.tag)) &&
      event.data.tag.length <= EVENT_NAME_MAX_LENGTH
    ) {
      indexed.push(event.data);
      add({ name: event.data.tag, property: '', value: '' });
    }
  }
  for (const { tag, payload } of indexed) {
    if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
      let kept = 0;
      for (const [property, value] of Object.entries(payload)) {
        const text = propertyValue(value);
        if (
          text !== undefined &&
          property !== '' &&
          property.length <= EVENT_FILTER_PROPERTY_MAX_LENGTH &&
          kept < EVENT_FILTER_PROPERTIES_MAX
        ) {
          add({ name: tag, property, value: text });
          kept++;
        }
      }
    }
  }
  return rows;
}
