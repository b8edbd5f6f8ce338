'use client';

import type { RecordedEvent } from '@replaykit/core';
import { useCallback, useEffect, useState } from 'react';
import { loadSession } from './load-session';
import { createTimeline, type ReplayTimelineData } from './timeline-data';

/** Where a player is in getting its recording, exposed to CSS as `data-state` on its root. */
export type LoadState = 'loading' | 'ready' | 'not-found' | 'unauthorized' | 'error' | 'no-snapshot';

/** The recording, once there is one to play, or why there is not. */
export type ReplaySource =
  | { state: 'loading' }
  | { state: 'ready'; timeline: ReplayTimelineData }
  | { state: 'no-snapshot' }
  | { state: 'not-found' | 'unauthorized' | 'error'; message: string };

/** Props that choose the recording: given `events`, or a session on a replaykit server. */
export interface ReplaySourceOptions {
  events?: readonly RecordedEvent[];
  sessionId?: string;
  baseUrl?: string;
  readKey?: string;
}

const NO_SOURCE: ReplaySource = {
  state: 'error',
  message:
    'Nothing to play: pass <ReplayPlayer> either `events` or a `sessionId` (with `baseUrl` and `readKey`).',
};

interface DerivedSource {
  events: readonly RecordedEvent[];
  source: ReplaySource;
}

function sameEvents(a: readonly RecordedEvent[], b: readonly RecordedEvent[]): boolean {
  return a === b || (a.length === b.length && a.every((event, index) => event === b[index]));
}

function sourceFromEvents(events: readonly RecordedEvent[]): ReplaySource {
  const timeline = createTimeline(events);
  return timeline === null ? { state: 'no-snapshot' } : { state: 'ready', timeline };
}

/** Loads (or derives) the recording a player shows; `retry` loads it again after a failure. */
export function useReplaySource(options: ReplaySourceOptions): { source: ReplaySource; retry: () => void } {
  const { events, sessionId, baseUrl, readKey } = options;
  const [attempt, setAttempt] = useState(0);
  const [loaded, setLoaded] = useState<ReplaySource>({ state: 'loading' });

  // A parent that passes `events={list.filter(...)}` hands over a new array on every render;
  // rebuilding the timeline then would restart the replay each time. The same events in the
  // same order are the same recording, whatever array holds them.
  const [derived, setDerived] = useState<DerivedSource | null>(null);
  let fromEvents: ReplaySource | null = null;
  if (events !== undefined) {
    if (derived !== null && sameEvents(derived.events, events)) {
      fromEvents = derived.source;
    } else {
      fromEvents = sourceFromEvents(events);
      setDerived({ events, source: fromEvents });
    }
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is unused inside on purpose: bumping it is how retry loads again.
  useEffect(() => {
    if (events !== undefined || sessionId === undefined) {
      return;
    }
    const controller = new AbortController();
    setLoaded({ state: 'loading' });
    loadSession({ sessionId, baseUrl, readKey, signal: controller.signal }).then(
      (result) => {
        if (result.status === 'ready') {
          setLoaded({ state: 'ready', timeline: result.timeline });
        } else if (result.status === 'no-snapshot') {
          setLoaded({ state: 'no-snapshot' });
        } else {
          setLoaded({ state: result.status, message: result.message });
        }
      },
      () => {
        // loadSession rejects only when aborted: a newer load (or unmount) owns the state.
      },
    );
    return () => controller.abort();
  }, [events, sessionId, baseUrl, readKey, attempt]);

  const retry = useCallback(() => setAttempt((count) => count + 1), []);
  const source = fromEvents ?? (sessionId === undefined ? NO_SOURCE : loaded);
  return { source, retry };
}
