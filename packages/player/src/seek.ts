import { EventType, type RecordedEvent } from '@replaykit/core';

/**
 * How far past an event a seek lands so that the Replayer applies that event: it only
 * applies events strictly before the target synchronously.
 */
export const SEEK_PAST_EVENT_MS = 1;

/** A Meta event and the FullSnapshot that completes it: the start of a replayable segment. */
export interface SnapshotPair {
  /** Offsets from the first event, in ms. */
  metaOffset: number;
  fullSnapshotOffset: number;
}

/**
 * Finds every Meta event that is followed by its FullSnapshot (before the next Meta).
 * `events` must be in time order, as the server returns them.
 */
export function findSnapshotPairs(events: readonly RecordedEvent[]): SnapshotPair[] {
  const first = events[0];
  if (first === undefined) {
    return [];
  }
  const pairs: SnapshotPair[] = [];
  let openMetaOffset: number | null = null;
  for (const event of events) {
    if (event.type === EventType.Meta) {
      openMetaOffset = event.timestamp - first.timestamp;
    } else if (event.type === EventType.FullSnapshot && openMetaOffset !== null) {
      pairs.push({ metaOffset: openMetaOffset, fullSnapshotOffset: event.timestamp - first.timestamp });
      openMetaOffset = null;
    }
  }
  return pairs;
}

/** True when the events hold at least one Meta + FullSnapshot pair, i.e. something can be replayed. */
export function hasReplayableSnapshot(events: readonly RecordedEvent[]): boolean {
  return findSnapshotPairs(events).length > 0;
}

/**
 * The same rule as `clampSeekTarget`, on precomputed pairs (the store keeps them so that
 * a seek does not rescan every event).
 */
export function clampSeekOffset(
  pairs: readonly SnapshotPair[],
  durationMs: number,
  offsetMs: number,
): number {
  // "Seek to end" must land past the last event, or the Replayer leaves it unapplied.
  if (offsetMs >= durationMs) {
    return durationMs + SEEK_PAST_EVENT_MS;
  }
  const target = Number.isFinite(offsetMs) ? Math.max(0, offsetMs) : 0;
  const firstPair = pairs[0];
  if (firstPair === undefined) {
    return target;
  }
  // Before the first FullSnapshot there is no page to show, and a backward seek there
  // while playing resets rrweb's node map without rebuilding it (RRWEB.md, "Replaying").
  if (target <= firstPair.fullSnapshotOffset) {
    return firstPair.fullSnapshotOffset + SEEK_PAST_EVENT_MS;
  }
  // Between a Meta and its FullSnapshot the Replayer keeps the previous page on screen.
  for (const pair of pairs) {
    if (target > pair.metaOffset && target <= pair.fullSnapshotOffset) {
      return pair.fullSnapshotOffset + SEEK_PAST_EVENT_MS;
    }
  }
  return target;
}

/**
 * Turns any seek target (ms from the first event) into one rrweb replays correctly:
 * targets before the first FullSnapshot or between a Meta and its FullSnapshot move to
 * just after that FullSnapshot, and targets at or past the end move just past the last
 * event. `events` must be in time order.
 */
export function clampSeekTarget(events: readonly RecordedEvent[], offsetMs: number): number {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) {
    return 0;
  }
  return clampSeekOffset(findSnapshotPairs(events), last.timestamp - first.timestamp, offsetMs);
}

const SHORT_RECORDING_MS = 10_000;
const MEDIUM_RECORDING_MS = 300_000;

/**
 * The timeline's step, in ms: one arrow key press (ten with Shift). Fine for short
 * recordings, coarser for long ones so the keyboard still gets somewhere.
 */
export function seekStepMs(durationMs: number): number {
  if (durationMs <= SHORT_RECORDING_MS) {
    return 100;
  }
  if (durationMs <= MEDIUM_RECORDING_MS) {
    return 1_000;
  }
  return 5_000;
}

/** Page Up/Down on the timeline move this fraction of the recording (at least ten steps). */
export const PAGE_STEP_FRACTION = 0.1;

/**
 * The timeline's page step, in ms: a tenth of the recording, a whole number of steps, and
 * at least ten of them. Ten steps of 5 s crossed a 2-hour recording in 144 presses.
 */
export function pageStepMs(durationMs: number): number {
  const step = seekStepMs(durationMs);
  return Math.max(10 * step, Math.round((durationMs * PAGE_STEP_FRACTION) / step) * step);
}
