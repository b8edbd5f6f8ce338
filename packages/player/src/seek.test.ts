import type { RecordedEvent } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { clampSeekTarget, findSnapshotPairs, hasReplayableSnapshot, seekStepMs } from './seek';
import { custom, fullSnapshot, meta, mutation } from './test/events';
import recording from './test/fixtures/checkout-recording.json';

// A recording that starts at t=1000, with a second checkout (Meta at +5000, FullSnapshot
// at +5300) and a last event at +8000.
const START = 1_000;
const events: RecordedEvent[] = [
  meta(START),
  fullSnapshot(START + 20),
  mutation(START + 1_000),
  custom(START + 2_000, 'checkout_error'),
  meta(START + 5_000),
  fullSnapshot(START + 5_300),
  mutation(START + 8_000),
];
const DURATION = 8_000;

describe('clampSeekTarget', () => {
  it('moves targets at or before the first FullSnapshot to just after it', () => {
    expect(clampSeekTarget(events, 0)).toBe(21);
    expect(clampSeekTarget(events, 10)).toBe(21);
    expect(clampSeekTarget(events, 20)).toBe(21);
    expect(clampSeekTarget(events, -500)).toBe(21);
    expect(clampSeekTarget(events, Number.NaN)).toBe(21);
  });

  it('moves targets between a Meta and its FullSnapshot to just after the FullSnapshot', () => {
    expect(clampSeekTarget(events, 5_001)).toBe(5_301);
    expect(clampSeekTarget(events, 5_150)).toBe(5_301);
    expect(clampSeekTarget(events, 5_300)).toBe(5_301);
  });

  it('leaves targets inside a replayable segment alone', () => {
    expect(clampSeekTarget(events, 21)).toBe(21);
    expect(clampSeekTarget(events, 2_000)).toBe(2_000);
    // At the Meta itself the Replayer has not applied it yet: the previous page is right.
    expect(clampSeekTarget(events, 5_000)).toBe(5_000);
    expect(clampSeekTarget(events, 5_301)).toBe(5_301);
  });

  it('sends "seek to end" just past the last event', () => {
    expect(clampSeekTarget(events, DURATION)).toBe(DURATION + 1);
    expect(clampSeekTarget(events, DURATION + 60_000)).toBe(DURATION + 1);
    expect(clampSeekTarget(events, Number.POSITIVE_INFINITY)).toBe(DURATION + 1);
  });

  it('handles the real recording, whose FullSnapshot lands 23 ms after its Meta', () => {
    const real = recording as RecordedEvent[];
    const fullSnapshotOffset = findSnapshotPairs(real)[0]?.fullSnapshotOffset ?? Number.NaN;
    expect(fullSnapshotOffset).toBeGreaterThan(0);
    expect(clampSeekTarget(real, 0)).toBe(fullSnapshotOffset + 1);
  });

  it('returns 0 for no events', () => {
    expect(clampSeekTarget([], 1_000)).toBe(0);
  });
});

describe('findSnapshotPairs', () => {
  it('pairs each Meta with the FullSnapshot that follows it', () => {
    expect(findSnapshotPairs(events)).toEqual([
      { metaOffset: 0, fullSnapshotOffset: 20 },
      { metaOffset: 5_000, fullSnapshotOffset: 5_300 },
    ]);
  });

  it('ignores a FullSnapshot without a Meta and a Meta without a FullSnapshot', () => {
    const broken = [fullSnapshot(0), mutation(10), meta(20), mutation(30), meta(40), fullSnapshot(50)];
    expect(findSnapshotPairs(broken)).toEqual([{ metaOffset: 40, fullSnapshotOffset: 50 }]);
    expect(hasReplayableSnapshot([meta(0), mutation(10), custom(20, 'x')])).toBe(false);
    expect(hasReplayableSnapshot([fullSnapshot(0), meta(10)])).toBe(false);
  });
});

describe('seekStepMs', () => {
  it('grows with the recording so arrow keys stay useful', () => {
    expect(seekStepMs(2_000)).toBe(100);
    expect(seekStepMs(60_000)).toBe(1_000);
    expect(seekStepMs(3_600_000)).toBe(5_000);
  });
});
