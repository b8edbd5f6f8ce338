'use client';

import { useMemo, useSyncExternalStore } from 'react';
import { useReplayStore } from './context';
import type { PlaybackState, ReplaySnapshot, ReplayStore } from './replay-store';
import type { ReplayTimelineData } from './timeline-data';

/** Subscribes a component to a replay store's snapshot (the same on the server and the client). */
export function useReplaySnapshot(store: ReplayStore): ReplaySnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** The playback state alone: parts that show only it skip the clock's 60 updates a second. */
export function usePlaybackState(store: ReplayStore): PlaybackState {
  const getPlayback = () => store.getSnapshot().playback;
  return useSyncExternalStore(store.subscribe, getPlayback, getPlayback);
}

/** What `useReplay()` gives a custom part: the playback snapshot, the timeline and the commands. */
export interface UseReplayResult extends ReplaySnapshot {
  timeline: ReplayTimelineData;
  play(): void;
  pause(): void;
  /** Seeks to `offsetMs` from the first event (clamped to a target rrweb can show). */
  seek(offsetMs: number): void;
}

/** For your own parts inside `<ReplayPlayer>`: playback state, timeline and commands. */
export function useReplay(): UseReplayResult {
  const store = useReplayStore('useReplay()');
  const snapshot = useReplaySnapshot(store);
  const commands = useMemo(
    () => ({
      play: () => store.play(),
      pause: () => store.pause(),
      seek: (offsetMs: number) => store.seek(offsetMs),
    }),
    [store],
  );
  return { ...snapshot, timeline: store.timeline, ...commands };
}
