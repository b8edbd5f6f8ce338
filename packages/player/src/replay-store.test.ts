import { describe, expect, it, vi } from 'vitest';
import type { ReplayDriver } from './replay-store';
import { ReplayStore, SKIP_LEAD_MS } from './replay-store';
import { fullSnapshot, meta, mutation } from './test/events';
import { createTimeline } from './timeline-data';

// Meta at 0, FullSnapshot at 30, last event at 4000.
const timeline = createTimeline([meta(10_000), fullSnapshot(10_030), mutation(12_000), mutation(14_000)]);
if (timeline === null) {
  throw new Error('The test timeline must be replayable.');
}
const DURATION = 4_000;
const FIRST_FRAME = 31;

function setup() {
  const store = new ReplayStore(timeline!);
  const driver = {
    goto: vi.fn<ReplayDriver['goto']>(),
    pause: vi.fn<ReplayDriver['pause']>(),
    addEvents: vi.fn<ReplayDriver['addEvents']>(),
    setSpeed: vi.fn<ReplayDriver['setSpeed']>(),
  };
  return { store, driver };
}

describe('ReplayStore', () => {
  it('clamps seeks before the first FullSnapshot and to the end', () => {
    const { store, driver } = setup();
    store.attach(driver);
    store.seek(0);
    expect(driver.goto).toHaveBeenLastCalledWith(FIRST_FRAME, false);
    expect(store.getSnapshot()).toMatchObject({ currentTime: FIRST_FRAME, playback: 'paused' });
    store.seek(DURATION);
    expect(driver.goto).toHaveBeenLastCalledWith(DURATION + 1, false);
    expect(store.getSnapshot()).toMatchObject({ currentTime: DURATION, playback: 'ended' });
  });

  it('keeps playing through a seek made while playing', () => {
    const { store, driver } = setup();
    store.attach(driver);
    store.play();
    store.seek(2_000);
    expect(driver.goto).toHaveBeenLastCalledWith(2_000, true);
    expect(store.getSnapshot().playback).toBe('playing');
  });

  it('plays from the current time, and from the first frame after the end', () => {
    const { store, driver } = setup();
    store.attach(driver);
    store.seek(1_500);
    store.play();
    expect(driver.goto).toHaveBeenLastCalledWith(1_500, true);
    store.pause();
    expect(driver.pause).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().playback).toBe('paused');
    store.seek(DURATION);
    store.play();
    expect(driver.goto).toHaveBeenLastCalledWith(FIRST_FRAME, true);
  });

  it('replays commands given before a driver attaches', () => {
    const { store, driver } = setup();
    store.seek(2_500);
    expect(store.getSnapshot().currentTime).toBe(2_500);
    store.attach(driver);
    expect(driver.goto).toHaveBeenCalledWith(2_500, false);
  });

  it('restores the position on a re-attached driver (a remounted viewport)', () => {
    const { store, driver } = setup();
    const detach = store.attach(driver);
    store.seek(3_000);
    detach();
    const next = {
      goto: vi.fn<ReplayDriver['goto']>(),
      pause: vi.fn<ReplayDriver['pause']>(),
      addEvents: vi.fn<ReplayDriver['addEvents']>(),
      setSpeed: vi.fn<ReplayDriver['setSpeed']>(),
    };
    store.attach(next);
    expect(next.goto).toHaveBeenCalledWith(3_000, false);
  });

  it('does not seek on attach when there is nothing to restore', () => {
    const { store, driver } = setup();
    store.attach(driver);
    expect(driver.goto).not.toHaveBeenCalled();
  });

  it('ends only on a finish report whose clock is at the end', () => {
    const { store, driver } = setup();
    store.attach(driver);
    store.play();
    store.reportFinish(1_000);
    expect(store.getSnapshot().playback).toBe('playing');
    store.reportFinish(DURATION + 3);
    expect(store.getSnapshot()).toMatchObject({ playback: 'ended', currentTime: DURATION });
    // rrweb reports "paused" after it finishes; that must not hide the end.
    store.reportPlayback('paused');
    expect(store.getSnapshot().playback).toBe('ended');
  });

  it('keeps reported times within the recording', () => {
    const { store } = setup();
    store.reportTime(DURATION + 500);
    expect(store.getSnapshot().currentTime).toBe(DURATION);
    store.reportTime(-3);
    expect(store.getSnapshot().currentTime).toBe(0);
  });

  it('previews without seeking, and a seek ends the preview', () => {
    const { store, driver } = setup();
    store.attach(driver);
    const listener = vi.fn();
    store.subscribe(listener);
    store.preview(1_200);
    expect(store.getSnapshot().previewTime).toBe(1_200);
    expect(driver.goto).not.toHaveBeenCalled();
    store.seek(1_200);
    expect(store.getSnapshot()).toMatchObject({ previewTime: null, currentTime: 1_200 });
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('feeds only new events to the replayer when the recording grows, and waits at its loaded end', () => {
    const first = [meta(10_000), fullSnapshot(10_030), mutation(12_000)];
    const partial = createTimeline(first, { complete: false, expectedEndTime: 20_000 })!;
    const store = new ReplayStore(partial);
    const { driver } = setup();
    store.attach(driver);
    expect(store.timeline.totalDurationMs).toBe(10_000);
    store.play();
    store.reportFinish(2_000);
    // Not the end of the recording, only of what has loaded so far: it waits there, playing.
    expect(store.getSnapshot()).toMatchObject({ playback: 'playing', currentTime: 2_000 });
    store.reportPlayback('paused');
    expect(store.getSnapshot().playback).toBe('playing');
    const later = mutation(15_000);
    store.extend(createTimeline([...first, later], { complete: true })!);
    expect(driver.addEvents).toHaveBeenCalledTimes(1);
    expect(driver.addEvents).toHaveBeenCalledWith([later]);
    expect(store.timeline.durationMs).toBe(5_000);
    // And plays on into what arrived.
    expect(driver.goto).toHaveBeenLastCalledWith(2_000, true);
    expect(store.getSnapshot().playback).toBe('playing');
  });

  it('ends, waiting at the loaded end, when the stream ends with nothing more', () => {
    const events = [meta(10_000), fullSnapshot(10_030), mutation(12_000)];
    const store = new ReplayStore(createTimeline(events, { complete: false })!);
    const { driver } = setup();
    store.attach(driver);
    store.play();
    store.reportFinish(2_000);
    store.extend(createTimeline(events, { complete: true })!);
    expect(store.getSnapshot()).toMatchObject({ playback: 'ended', currentTime: 2_000 });
    // Play after the end starts over.
    store.play();
    expect(driver.goto).toHaveBeenLastCalledWith(31, true);
  });

  it('reaches a seek past what has loaded once the recording has grown that far', () => {
    const first = [meta(10_000), fullSnapshot(10_030), mutation(11_000)];
    const store = new ReplayStore(createTimeline(first, { complete: false })!);
    const { driver } = setup();
    store.attach(driver);
    // A `?t=3.5` link opened while only the first second has loaded.
    store.seek(3_500);
    expect(store.getSnapshot().currentTime).toBe(1_000);
    const second = [...first, mutation(12_000)];
    store.extend(createTimeline(second, { complete: false })!);
    // At the loaded end (rrweb's end target is one past the last event).
    expect(driver.goto).toHaveBeenLastCalledWith(2_001, false);
    store.extend(createTimeline([...second, mutation(14_000)], { complete: true })!);
    expect(driver.goto).toHaveBeenLastCalledWith(3_500, false);
    expect(store.getSnapshot()).toMatchObject({ currentTime: 3_500, playback: 'paused' });

    // Playing before it is reached keeps it: playback goes on from the linked moment.
    const played = new ReplayStore(createTimeline(first, { complete: false })!);
    const playing = setup().driver;
    played.attach(playing);
    played.seek(3_500);
    played.play();
    played.extend(createTimeline([...first, mutation(14_000)], { complete: true })!);
    expect(playing.goto).toHaveBeenLastCalledWith(3_500, true);

    // Seeking elsewhere before it is reached drops it.
    const again = new ReplayStore(createTimeline(first, { complete: false })!);
    const other = setup().driver;
    again.attach(other);
    again.seek(3_500);
    again.seek(500);
    again.play();
    again.extend(createTimeline([...first, mutation(14_000)], { complete: true })!);
    // It plays on from where the viewer went, into what arrived.
    expect(other.goto).toHaveBeenLastCalledWith(500, true);
  });

  /** Activity at 0 (Meta) and 30 (FullSnapshot), then only a mutation at 60 s and a click-free end. */
  const idleTimeline = () =>
    createTimeline([meta(0), fullSnapshot(30), mutation(60_000), meta(90_000), fullSnapshot(90_010)])!;

  it('jumps over inactive stretches while playing, unless skipping is off', () => {
    const idle = idleTimeline();
    expect(idle.inactiveStretches).toEqual([{ start: 30, end: 90_000 }]);
    const store = new ReplayStore(idle);
    const { driver } = setup();
    store.attach(driver);
    store.play();
    store.reportTime(1_000);
    expect(driver.goto).toHaveBeenLastCalledWith(90_000 - SKIP_LEAD_MS, true);
    expect(store.getSnapshot().currentTime).toBe(90_000 - SKIP_LEAD_MS);
    store.setSkipInactive(false);
    store.seek(1_000);
    store.reportTime(1_100);
    expect(store.getSnapshot().currentTime).toBe(1_100);
  });

  it('plays through a stretch that a seek landed inside, but still skips it from the start', () => {
    const idle = idleTimeline();
    const store = new ReplayStore(idle);
    const { driver } = setup();
    store.attach(driver);
    store.play();
    // A marker or a row at 60 s: the viewer wants to see that moment.
    store.seek(60_000);
    store.reportTime(60_100);
    expect(store.getSnapshot().currentTime).toBe(60_100);
    // Back to the start lands just past the FullSnapshot, where the stretch begins: skipped.
    store.seek(0);
    store.reportTime(100);
    expect(driver.goto).toHaveBeenLastCalledWith(90_000 - SKIP_LEAD_MS, true);
  });

  it('still plays through a seeked stretch once more of a streaming recording has arrived', () => {
    const loaded = [meta(0), fullSnapshot(30), mutation(60_000), meta(90_000), fullSnapshot(90_010)];
    const store = new ReplayStore(createTimeline(loaded, { complete: false, expectedEndTime: 120_000 })!);
    const { driver } = setup();
    store.attach(driver);
    store.play();
    store.seek(60_000);
    // The stream's next flush: a new timeline, whose stretches are found again.
    store.extend(
      createTimeline([...loaded, mutation(95_000)], { complete: false, expectedEndTime: 120_000 })!,
    );
    store.reportTime(60_100);
    expect(store.getSnapshot().currentTime).toBe(60_100);
    expect(driver.goto).toHaveBeenLastCalledWith(60_000, true);
  });

  it('sends speed changes to the replayer, and the speed to a replayer that attaches later', () => {
    const { store, driver } = setup();
    store.setSpeed(4);
    store.attach(driver);
    expect(driver.setSpeed).toHaveBeenCalledWith(4);
    store.setSpeed(16);
    expect(driver.setSpeed).toHaveBeenLastCalledWith(16);
    expect(store.getSnapshot().speed).toBe(16);
  });
});
