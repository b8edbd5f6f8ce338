import {
  type CustomEventData,
  clickMarkerLabel,
  deriveMarkers,
  EventType,
  INACTIVITY_THRESHOLD_MS,
  IncrementalSource,
  isCustomEvent,
  isMetaEvent,
  isRecord,
  type RecordedEvent,
  ReservedEvent,
  type TimelineMarker,
} from '@replaykit/core';
import { describeClickTargets } from './click-target';
import { findSnapshotPairs, type SnapshotPair } from './seek';

/** A stretch with no user activity that playback jumps over when skipping inactivity. */
export interface InactiveStretch {
  /** Offsets from the first event, ms. */
  start: number;
  end: number;
}

/** Where the replayed page was (its URL) or how big its viewport was, from an offset on. */
export interface PageChange<T> {
  offset: number;
  value: T;
}

/** Everything the player knows about one replayable recording, in the units the UI uses. */
export interface ReplayTimelineData {
  /** The events in time order. Never handed to the Replayer as they are: it mutates them. */
  events: readonly RecordedEvent[];
  markers: readonly TimelineMarker[];
  /** Time of the first event, ms since 1970; every offset in the player counts from here. */
  startTime: number;
  /** Offset of the last loaded event. */
  durationMs: number;
  /**
   * Length of the whole recording as far as the player knows (from the session summary
   * while it streams in); at least `durationMs`. The timeline spans this.
   */
  totalDurationMs: number;
  /** False while more events are still streaming in. */
  complete: boolean;
  snapshotPairs: readonly SnapshotPair[];
  /** Size of the recorded viewport (first Meta event), for the viewport's aspect ratio. */
  recordedSize: { width: number; height: number } | null;
  /** Stretches of {@link INACTIVITY_THRESHOLD_MS} or more without user activity, in time order. */
  inactiveStretches: readonly InactiveStretch[];
  /** The page URL over time (Meta events and `$navigation`). */
  urls: readonly PageChange<string>[];
  /** The recorded viewport size over time (Meta events and viewport resizes). */
  sizes: readonly PageChange<{ width: number; height: number }>[];
}

/** Sources of incremental snapshots that a person causes (as opposed to the page itself). */
const USER_ACTIVITY_SOURCES: ReadonlySet<number> = new Set([
  IncrementalSource.MouseMove,
  IncrementalSource.MouseInteraction,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.Input,
  IncrementalSource.TouchMove,
  IncrementalSource.MediaInteraction,
  IncrementalSource.Drag,
  IncrementalSource.Selection,
]);

/** True for an event a person caused: input, pointer, scroll, resize, or a page load. */
export function isUserActivity(event: RecordedEvent): boolean {
  if (event.type === EventType.FullSnapshot || event.type === EventType.Meta) {
    return true;
  }
  return (
    event.type === EventType.IncrementalSnapshot &&
    isRecord(event.data) &&
    typeof event.data.source === 'number' &&
    USER_ACTIVITY_SOURCES.has(event.data.source)
  );
}

/** Finds the stretches of at least `thresholdMs` between user activities; `events` sorted. */
export function findInactiveStretches(
  events: readonly RecordedEvent[],
  thresholdMs = INACTIVITY_THRESHOLD_MS,
): InactiveStretch[] {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) {
    return [];
  }
  const stretches: InactiveStretch[] = [];
  let previous: number | null = null;
  for (const event of events) {
    if (!isUserActivity(event)) {
      continue;
    }
    const offset = event.timestamp - first.timestamp;
    if (previous !== null && offset - previous >= thresholdMs) {
      stretches.push({ start: previous, end: offset });
    }
    previous = offset;
  }
  const end = last.timestamp - first.timestamp;
  if (previous !== null && end - previous >= thresholdMs) {
    stretches.push({ start: previous, end });
  }
  return stretches;
}

function pageChanges(events: readonly RecordedEvent[], startTime: number) {
  const urls: PageChange<string>[] = [];
  const sizes: PageChange<{ width: number; height: number }>[] = [];
  for (const event of events) {
    const offset = event.timestamp - startTime;
    if (isMetaEvent(event)) {
      urls.push({ offset, value: event.data.href });
      sizes.push({ offset, value: { width: event.data.width, height: event.data.height } });
    } else if (isCustomEvent(event) && event.data.tag === ReservedEvent.Navigation) {
      const url = isRecord(event.data.payload) ? event.data.payload.url : undefined;
      if (typeof url === 'string') {
        urls.push({ offset, value: url });
      }
    } else if (
      event.type === EventType.IncrementalSnapshot &&
      isRecord(event.data) &&
      event.data.source === IncrementalSource.ViewportResize &&
      typeof event.data.width === 'number' &&
      typeof event.data.height === 'number'
    ) {
      sizes.push({ offset, value: { width: event.data.width, height: event.data.height } });
    }
  }
  return { urls, sizes };
}

/** Index of the last of `items` (sorted by offset) at or before `offset` (binary search); -1 before the first. */
export function lastIndexAtOrBefore(items: readonly { offset: number }[], offset: number): number {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((items[middle] as { offset: number }).offset <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * The last change at or before `offset`; before the first, the first (a recording may begin
 * with events before its first Meta, and the replay shows that first page from the start).
 * Undefined only when there is no change at all.
 */
export function valueAt<T>(changes: readonly PageChange<T>[], offset: number): T | undefined {
  return changes[Math.max(0, lastIndexAtOrBefore(changes, offset))]?.value;
}

/** The custom event each kind of click marker is made from. */
const CLICK_MARKER_TAGS = {
  rage_click: ReservedEvent.RageClick,
  dead_click: ReservedEvent.DeadClick,
} as const;

function isClickMarker(
  marker: TimelineMarker,
): marker is TimelineMarker & { kind: keyof typeof CLICK_MARKER_TAGS } {
  return marker.kind in CLICK_MARKER_TAGS;
}

/**
 * Rage and dead click markers named by what was clicked, in the words of their inspector
 * rows (`describeClickTargets`), once their event and the page up to its click have loaded;
 * the others as they are. A marker from the server is a copy with its own id: it is matched
 * to its event by kind, time and spot, and keeps the recorder's selector unless exactly one
 * event fits: another tab's marker fits none of this tab's events, but for one made in the
 * same millisecond at the same spot.
 */
function withClickTargets(
  markers: readonly TimelineMarker[],
  events: readonly RecordedEvent[],
): readonly TimelineMarker[] {
  if (!markers.some(isClickMarker)) {
    return markers;
  }
  const clickTarget = describeClickTargets(events);
  // Custom events by tag and time: a marker's own event is among those of its moment.
  const eventsByMoment = new Map<string, (RecordedEvent & { data: CustomEventData })[]>();
  for (const event of events) {
    if (isCustomEvent(event)) {
      const moment = `${event.data.tag}@${event.timestamp}`;
      const same = eventsByMoment.get(moment);
      if (same === undefined) {
        eventsByMoment.set(moment, [event]);
      } else {
        same.push(event);
      }
    }
  }
  const spot = (payload: unknown) => (isRecord(payload) ? `${payload.x},${payload.y}` : undefined);
  return markers.map((marker) => {
    if (!isClickMarker(marker)) {
      return marker;
    }
    const candidates = (
      eventsByMoment.get(`${CLICK_MARKER_TAGS[marker.kind]}@${marker.timestamp}`) ?? []
    ).filter(
      // A payload left out for its size leaves the time alone to match on.
      (event) => marker.payloadOmitted === true || spot(event.data.payload) === spot(marker.payload),
    );
    const event = candidates.length === 1 ? candidates[0] : undefined;
    const target = event === undefined ? undefined : clickTarget(event);
    return event === undefined || target === undefined
      ? marker
      : { ...marker, label: clickMarkerLabel(marker.kind, event.data.payload, target) };
  });
}

/** Extra facts about a recording that is still loading. */
export interface TimelineOptions {
  /** Markers to show instead of those derived from `events` (e.g. the server's, for every tab). */
  markers?: readonly TimelineMarker[];
  /** False while more events are coming; default true. */
  complete?: boolean;
  /** Time of the recording's last event as far as known (ms since 1970), e.g. from its summary. */
  expectedEndTime?: number;
}

/**
 * Builds the timeline of a recording, or returns null when it holds no Meta + FullSnapshot
 * pair (nothing to replay). Markers default to the ones derived from the events.
 */
export function createTimeline(
  events: readonly RecordedEvent[],
  markersOrOptions: readonly TimelineMarker[] | TimelineOptions = {},
): ReplayTimelineData | null {
  const options: TimelineOptions = Array.isArray(markersOrOptions)
    ? { markers: markersOrOptions as readonly TimelineMarker[] }
    : (markersOrOptions as TimelineOptions);
  // Array#sort is stable, so events that share a timestamp keep their recorded order.
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const snapshotPairs = findSnapshotPairs(sorted);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (snapshotPairs.length === 0 || first === undefined || last === undefined) {
    return null;
  }
  const firstMeta = sorted.find(isMetaEvent);
  const recordedSize =
    firstMeta && firstMeta.data.width > 0 && firstMeta.data.height > 0
      ? { width: firstMeta.data.width, height: firstMeta.data.height }
      : null;
  const durationMs = last.timestamp - first.timestamp;
  const expectedDuration =
    options.expectedEndTime !== undefined && Number.isFinite(options.expectedEndTime)
      ? options.expectedEndTime - first.timestamp
      : durationMs;
  const complete = options.complete ?? true;
  const markers = withClickTargets(options.markers ?? deriveMarkers(sorted), sorted);
  return {
    events: sorted,
    markers: [...markers].sort((a, b) => a.timestamp - b.timestamp),
    startTime: first.timestamp,
    durationMs,
    totalDurationMs: complete ? durationMs : Math.max(durationMs, expectedDuration),
    complete,
    snapshotPairs,
    recordedSize,
    inactiveStretches: findInactiveStretches(sorted),
    ...pageChanges(sorted, first.timestamp),
  };
}
