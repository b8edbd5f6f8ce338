'use client';

import { useMemo, useSyncExternalStore } from 'react';
import { useReplayStore } from './context';
import type { PlaybackSpeed, PlaybackState, ReplaySnapshot, ReplayStore } from './replay-store';

/** Subscribes a component to a replay store's snapshot (the same on the server and the client). */
export function useReplaySnapshot(store: ReplayStore): ReplaySnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * One value derived from the snapshot; the component re-renders only when it changes.
 * `select` must return a primitive (or a stable object) for that to hold.
 */
export function useReplaySelector<T>(store: ReplayStore, select: (snapshot: ReplaySnapshot) => T): T {
  const get = () => select(store.getSnapshot());
  return useSyncExternalStore(store.subscribe, get, get);
}

/** The playback state alone: parts that show only it skip the clock's 60 updates a second. */
export function usePlaybackState(store: ReplayStore): PlaybackState {
  const getPlayback = () => store.getSnapshot().playback;
  return useSyncExternalStore(store.subscribe, getPlayback, getPlayback);
}

/** What `useReplay()` gives a custom part: the playback snapshot, the timeline and the commands. */
export interface UseReplayResult extends ReplaySnapshot {
  play(): void;
  pause(): void;
  /** Seeks to `offsetMs` from the first event (clamped to a target rrweb can show). */
  seek(offsetMs: number): void;
  setSpeed(speed: PlaybackSpeed): void;
  setSkipInactive(skip: boolean): void;
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
      setSpeed: (speed: PlaybackSpeed) => store.setSpeed(speed),
      setSkipInactive: (skip: boolean) => store.setSkipInactive(skip),
    }),
    [store],
  );
  return { ...snapshot, ...commands };
}
