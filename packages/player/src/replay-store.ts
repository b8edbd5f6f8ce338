import type { RecordedEvent } from '@replaykit/core';
import { clampSeekOffset } from './seek';
import type { InactiveStretch, ReplayTimelineData } from './timeline-data';

/** The playback speeds offered, slowest first. */
export const PLAYBACK_SPEEDS = [0.5, 1, 1.5, 2, 3, 4, 8, 16] as const;

/** One of {@link PLAYBACK_SPEEDS}. */
export type PlaybackSpeed = (typeof PLAYBACK_SPEEDS)[number];

/**
 * When skipping inactivity, playback jumps to this long before the end of an inactive
 * stretch (ms), so the first thing after the gap is seen arriving.
 */
export const SKIP_LEAD_MS = 500;

/** Playback state, exposed to CSS as `data-state`. */
export type PlaybackState = 'paused' | 'playing' | 'ended';

/** What the controls render from; a new object on every change (for `useSyncExternalStore`). */
export interface ReplaySnapshot {
  playback: PlaybackState;
  /** Offset from the first event, ms, within [0, duration]. */
  currentTime: number;
  /** Where the timeline thumb is being dragged, before the seek is committed; null otherwise. */
  previewTime: number | null;
  speed: PlaybackSpeed;
  /** Whether playback jumps over stretches without user activity (on by default). */
  skipInactive: boolean;
  /** Whether the keyboard shortcuts popover is open. */
  helpOpen: boolean;
  /** The recording streamed in so far (a new object whenever more arrives). */
  timeline: ReplayTimelineData;
}

/** The commands the store needs from a mounted replayer. The viewport provides it. */
export interface ReplayDriver {
  /** Shows the frame at `offsetMs` (already clamped) and plays on from there when `play`. */
  goto(offsetMs: number, play: boolean): void;
  pause(): void;
  /** Feeds events that arrived after the replayer was built (in time order). */
  addEvents(events: readonly RecordedEvent[]): void;
  setSpeed(speed: number): void;
}

type Listener = () => void;

/**
 * The framework-free state of one replay: the controls subscribe to it and send commands;
 * the viewport attaches the real replayer as its driver and reports back what it does.
 * Commands given before a driver is attached are replayed onto it when it attaches.
 */
export class ReplayStore {
  #snapshot: ReplaySnapshot;
  /** Events the attached replayer already has. */
  #fed = new WeakSet<RecordedEvent>();
  #listeners = new Set<Listener>();
  #driver: ReplayDriver | null = null;
  /** A clamped seek target that no driver has shown yet. */
  #pendingTarget: number | null = null;
  /**
   * A seek past what has loaded of a recording still loading (a `?t=` link opened while the
   * session streams in): it lands at the loaded end, and again each time more arrives, until
   * it is reached. Seeking elsewhere drops it; playing does not (the viewer asked for that
   * moment and never chose another: Play plays from there once it has loaded).
   */
  #wantedTime: number | null = null;
  /**
   * Where the inactive stretch a seek landed in starts: the viewer chose that moment (a
   * marker, an inspector row), so playback goes through it rather than skipping it at once.
   * Its start, not the object: a streaming recording's timeline (its stretches included) is
   * rebuilt as more arrives, and the last stretch's end grows with it.
   */
  #seekedStretchStart: number | null = null;

  constructor(timeline: ReplayTimelineData) {
    this.#snapshot = {
      playback: 'paused',
      currentTime: 0,
      previewTime: null,
      speed: 1,
      skipInactive: true,
      helpOpen: false,
      timeline,
    };
  }

  /** The recording as loaded so far. */
  get timeline(): ReplayTimelineData {
    return this.#snapshot.timeline;
  }

  /** Takes a grown timeline of the same recording: the replayer gets the new events. */
  extend(timeline: ReplayTimelineData): void {
    const previous = this.timeline;
    if (timeline === previous) {
      return;
    }
    if (this.#driver) {
      const fresh = timeline.events.filter((event) => !this.#fed.has(event));
      this.#markFed(fresh);
      if (fresh.length > 0) {
        this.#driver.addEvents(fresh);
      }
    }
    const { playback, currentTime } = this.#snapshot;
    // A replay waiting at the loaded end of a stream that has now ended with nothing more has
    // ended: Play starts over at once, as after any other end.
    const ended = timeline.complete && playback !== 'ended' && currentTime >= timeline.durationMs;
    this.#update({ ...this.#snapshot, timeline, playback: ended ? 'ended' : playback });
    if (this.#wantedTime !== null) {
      this.seek(this.#wantedTime);
    } else if (
      playback === 'playing' &&
      currentTime >= previous.durationMs &&
      timeline.durationMs > previous.durationMs
    ) {
      // Playing, the replay had caught up with what had loaded: it plays on into what arrived.
      // rrweb-player's clock stopped at the old end (and rrweb itself may have stopped there).
      this.#send(this.#clamp(currentTime), true);
    }
  }

  /** Marks events as handed to the replayer (the viewport builds it from `timeline.events`). */
  #markFed(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      this.#fed.add(event);
    }
  }

  setSpeed(speed: PlaybackSpeed): void {
    if (speed === this.#snapshot.speed) {
      return;
    }
    this.#update({ ...this.#snapshot, speed });
    this.#driver?.setSpeed(speed);
  }

  setHelpOpen(helpOpen: boolean): void {
    if (helpOpen !== this.#snapshot.helpOpen) {
      this.#update({ ...this.#snapshot, helpOpen });
    }
  }

  setSkipInactive(skipInactive: boolean): void {
    if (skipInactive !== this.#snapshot.skipInactive) {
      this.#update({ ...this.#snapshot, skipInactive });
    }
  }

  /** The inactive stretch that `offsetMs` falls in, before its lead-out; undefined when none. */
  #stretchAt(offsetMs: number): InactiveStretch | undefined {
    for (const stretch of this.timeline.inactiveStretches) {
      if (offsetMs >= stretch.start && offsetMs < stretch.end - SKIP_LEAD_MS) {
        return stretch;
      }
      if (stretch.start > offsetMs) {
        return undefined;
      }
    }
    return undefined;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  getSnapshot = (): ReplaySnapshot => this.#snapshot;

  /** Connects the replayer; returns the function that disconnects it. */
  attach(driver: ReplayDriver): () => void {
    this.#driver = driver;
    this.#fed = new WeakSet();
    this.#markFed(this.timeline.events);
    if (this.#snapshot.speed !== 1) {
      driver.setSpeed(this.#snapshot.speed);
    }
    const playing = this.#snapshot.playback === 'playing';
    if (this.#pendingTarget !== null || playing) {
      driver.goto(this.#pendingTarget ?? this.#clamp(this.#snapshot.currentTime), playing);
    }
    this.#pendingTarget = null;
    return () => {
      if (this.#driver === driver) {
        this.#driver = null;
        // A remounted viewport starts from the first frame: make it show where we were.
        this.#pendingTarget = this.#clamp(this.#snapshot.currentTime);
      }
    };
  }

  play(): void {
    const { playback, currentTime } = this.#snapshot;
    if (playback === 'playing') {
      return;
    }
    // Play after the end starts over, as every media player does.
    const target = this.#clamp(playback === 'ended' ? 0 : currentTime);
    if (playback === 'ended') {
      this.#seekedStretchStart = null;
    }
    this.#update({
      ...this.#snapshot,
      playback: 'playing',
      currentTime: this.#toDisplayTime(target),
      previewTime: null,
    });
    this.#send(target, true);
  }

  pause(): void {
    if (this.#snapshot.playback !== 'playing') {
      return;
    }
    this.#update({ ...this.#snapshot, playback: 'paused' });
    this.#driver?.pause();
  }

  toggle(): void {
    if (this.#snapshot.playback === 'playing') {
      this.pause();
    } else {
      this.play();
    }
  }

  /**
   * Seeks to `offsetMs` from the first event, clamped to a target rrweb replays correctly; a
   * target past what has loaded is reached once it has (see `#wantedTime`).
   */
  seek(offsetMs: number): void {
    this.#wantedTime = !this.timeline.complete && offsetMs > this.timeline.durationMs ? offsetMs : null;
    // The moment asked for, not the clamped one: "back to the start" lands just past the first
    // FullSnapshot, often at the start of an idle stretch that playback should still skip.
    this.#seekedStretchStart = this.#stretchAt(offsetMs)?.start ?? null;
    const target = this.#clamp(offsetMs);
    const playing = this.#snapshot.playback === 'playing';
    const atEnd = target > this.timeline.durationMs && this.timeline.complete;
    const playback: PlaybackState = playing ? 'playing' : atEnd ? 'ended' : 'paused';
    this.#update({
      ...this.#snapshot,
      playback,
      currentTime: this.#toDisplayTime(target),
      previewTime: null,
    });
    this.#send(target, playing);
  }

  /** Shows where a drag on the timeline would seek to, without seeking; null ends the preview. */
  preview(offsetMs: number | null): void {
    const previewTime = offsetMs === null ? null : this.#toDisplayTime(offsetMs);
    if (previewTime !== this.#snapshot.previewTime) {
      this.#update({ ...this.#snapshot, previewTime });
    }
  }

  /** Driver report: the replayer's clock moved. */
  reportTime(offsetMs: number): void {
    if (this.#snapshot.playback === 'playing' && this.#snapshot.skipInactive) {
      const stretch = this.#stretchAt(offsetMs);
      if (stretch !== undefined && stretch.start !== this.#seekedStretchStart) {
        // rrweb's own skipping fast-forwards (minutes for a long gap): jump instead.
        this.seek(stretch.end - SKIP_LEAD_MS);
        return;
      }
    }
    const currentTime = this.#toDisplayTime(offsetMs);
    if (currentTime !== this.#snapshot.currentTime) {
      this.#update({ ...this.#snapshot, currentTime });
    }
  }

  /** Driver report: the replayer started or stopped. */
  reportPlayback(state: 'playing' | 'paused'): void {
    const { playback } = this.#snapshot;
    // The replayer reports "paused" after it finished; "ended" is the more useful truth, and
    // at the loaded end of a recording still streaming in, playback waits for more.
    if (state === playback || (state === 'paused' && (playback === 'ended' || this.#waitingForMore()))) {
      return;
    }
    this.#update({ ...this.#snapshot, playback: state });
  }

  /**
   * Driver report: the replayer applied the last event, at `offsetMs`. rrweb also reports
   * this 50 ms after a seek that crossed the end, even if another seek came since: only a
   * clock at the end means the replay ended.
   */
  reportFinish(offsetMs: number): void {
    if (offsetMs >= this.timeline.durationMs) {
      // Still streaming, the replay caught up with what has loaded: playing, it waits there
      // and plays on when more arrives (`extend`), as a video does while it buffers.
      const playback = this.timeline.complete ? 'ended' : this.#snapshot.playback;
      this.#update({ ...this.#snapshot, playback, currentTime: this.timeline.durationMs });
    }
  }

  /** Playing at the loaded end of a recording still streaming in: waiting for more of it. */
  #waitingForMore(): boolean {
    const { playback, currentTime, timeline } = this.#snapshot;
    return playback === 'playing' && !timeline.complete && currentTime >= timeline.durationMs;
  }

  #clamp(offsetMs: number): number {
    return clampSeekOffset(this.timeline.snapshotPairs, this.timeline.durationMs, offsetMs);
  }

  #toDisplayTime(offsetMs: number): number {
    return Math.min(Math.max(0, offsetMs), this.timeline.durationMs);
  }

  #send(target: number, play: boolean): void {
    if (this.#driver) {
      this.#driver.goto(target, play);
    } else {
      this.#pendingTarget = target;
    }
  }

  #update(next: ReplaySnapshot): void {
    this.#snapshot = next;
    for (const listener of this.#listeners) {
      listener();
    }
  }
}
