import { deriveMarkers, isMetaEvent, type RecordedEvent, type TimelineMarker } from '@replaykit/core';
import { findSnapshotPairs, type SnapshotPair } from './seek';

/** Everything the player knows about one replayable recording, in the units the UI uses. */
export interface ReplayTimelineData {
  /** The events in time order. Never handed to the Replayer as they are: it mutates them. */
  events: readonly RecordedEvent[];
  markers: readonly TimelineMarker[];
  /** Time of the first event, ms since 1970; every offset in the player counts from here. */
  startTime: number;
  durationMs: number;
  snapshotPairs: readonly SnapshotPair[];
  /** Size of the recorded viewport (first Meta event), for the viewport's aspect ratio. */
  recordedSize: { width: number; height: number } | null;
}

/**
 * Builds the timeline of a recording, or returns null when it holds no Meta + FullSnapshot
 * pair (nothing to replay). Markers default to the ones derived from the events.
 */
export function createTimeline(
  events: readonly RecordedEvent[],
  markers: readonly TimelineMarker[] = deriveMarkers(events),
): ReplayTimelineData | null {
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
  return {
    events: sorted,
    markers: [...markers].sort((a, b) => a.timestamp - b.timestamp),
    startTime: first.timestamp,
    durationMs: last.timestamp - first.timestamp,
    snapshotPairs,
    recordedSize,
  };
}
