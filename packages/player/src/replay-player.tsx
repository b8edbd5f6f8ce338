'use client';

import type { RecordedEvent } from '@replaykit/core';
import {
  type CSSProperties,
  forwardRef,
  type ReactNode,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
} from 'react';
import { ReplayContext } from './context';
import { ReplayPlayButton, ReplayTime } from './controls';
import { type PlaybackState, ReplayStore } from './replay-store';
import { ReplayTimeline } from './timeline';
import type { ReplayTimelineData } from './timeline-data';
import { type LoadState, useReplaySource } from './use-replay-source';
import { ReplayViewport } from './viewport';

/** What `onStateChange` reports: how loading went, and whether the replay plays. */
export interface ReplayPlayerState {
  load: LoadState;
  /** Always "paused" until `load` is "ready". */
  playback: PlaybackState;
}

/** Props of `<ReplayPlayer>`: give it `events`, or a `sessionId` to load from a replaykit server. */
export interface ReplayPlayerProps {
  /** A session to load from `baseUrl` (ignored when `events` is given). */
  sessionId?: string;
  /** The replaykit server's base URL; defaults to this origin. */
  baseUrl?: string;
  /** The project's secret read key. */
  readKey?: string;
  /**
   * A recording to play as it is, instead of loading one; markers are derived from it. A new
   * array with the same event objects is the same recording; different events restart it.
   */
  events?: readonly RecordedEvent[];
  /** Where to start, in ms from the first event. */
  initialTime?: number;
  className?: string;
  style?: CSSProperties;
  /** Called when loading or playback changes state (and once on mount). */
  onStateChange?: (state: ReplayPlayerState) => void;
  /** Called with the current time, in ms from the first event, whenever it changes. */
  onTimeUpdate?: (timeMs: number) => void;
  /**
   * Your own arrangement of the parts (`ReplayViewport`, `ReplayPlayButton`, `ReplayTime`,
   * `ReplayTimeline`), shown once the recording is ready; defaults to all of them.
   */
  children?: ReactNode;
}

/** Imperative control through a ref; calls made before the recording is ready apply once it is. */
export interface ReplayPlayerHandle {
  play(): void;
  pause(): void;
  /** Seeks to `offsetMs` from the first event (clamped to a target rrweb can show). */
  seek(offsetMs: number): void;
}

interface PendingCommands {
  seek: number | null;
  play: boolean | null;
}

const MESSAGES = {
  loading: 'Loading the replay…',
  'no-snapshot': 'Nothing to replay yet: this recording has no full page snapshot.',
} as const;

function DefaultLayout() {
  return (
    <>
      <ReplayViewport />
      <div className="rk-controls">
        <ReplayPlayButton />
        <ReplayTime />
        <ReplayTimeline />
      </div>
    </>
  );
}

function createStore(timeline: ReplayTimelineData, initialTime: number | undefined): ReplayStore {
  const store = new ReplayStore(timeline);
  if (initialTime !== undefined) {
    store.seek(initialTime);
  }
  return store;
}

interface ReplaySessionProps {
  timeline: ReplayTimelineData;
  initialTime: number | undefined;
  onStore: (store: ReplayStore | null) => void;
  onPlaybackChange: (playback: PlaybackState) => void;
  onTimeUpdate: (timeMs: number) => void;
  children: ReactNode;
}

function ReplaySession({
  timeline,
  initialTime,
  onStore,
  onPlaybackChange,
  onTimeUpdate,
  children,
}: ReplaySessionProps) {
  const [store, setStore] = useState(() => createStore(timeline, initialTime));
  if (store.timeline !== timeline) {
    // A new recording gets a fresh store (React's "adjust state while rendering" pattern).
    setStore(createStore(timeline, initialTime));
  }

  useEffect(() => {
    onStore(store);
    let { playback, currentTime } = store.getSnapshot();
    onPlaybackChange(playback);
    const unsubscribe = store.subscribe(() => {
      const snapshot = store.getSnapshot();
      if (snapshot.playback !== playback) {
        playback = snapshot.playback;
        onPlaybackChange(playback);
      }
      if (snapshot.currentTime !== currentTime) {
        currentTime = snapshot.currentTime;
        onTimeUpdate(currentTime);
      }
    });
    return () => {
      unsubscribe();
      onStore(null);
    };
  }, [store, onStore, onPlaybackChange, onTimeUpdate]);

  return <ReplayContext.Provider value={store}>{children ?? <DefaultLayout />}</ReplayContext.Provider>;
}

/**
 * The ready-made replay player: loads a session (or takes `events`), shows the replay with
 * play/pause, time and a timeline with markers. Its root's `data-state` is the load state.
 */
export const ReplayPlayer = forwardRef<ReplayPlayerHandle, ReplayPlayerProps>(function ReplayPlayer(
  {
    sessionId,
    baseUrl,
    readKey,
    events,
    initialTime,
    className,
    style,
    onStateChange,
    onTimeUpdate,
    children,
  },
  ref,
) {
  const { source, retry } = useReplaySource({ events, sessionId, baseUrl, readKey });
  const [playback, setPlayback] = useState<PlaybackState>('paused');
  const storeRef = useRef<ReplayStore | null>(null);
  const pendingRef = useRef<PendingCommands>({ seek: null, play: null });
  const callbacksRef = useRef({ onStateChange, onTimeUpdate });
  useEffect(() => {
    callbacksRef.current = { onStateChange, onTimeUpdate };
  });

  const handleStore = useCallback((store: ReplayStore | null) => {
    storeRef.current = store;
    if (store === null) {
      return;
    }
    const { seek, play } = pendingRef.current;
    pendingRef.current = { seek: null, play: null };
    if (seek !== null) {
      store.seek(seek);
    }
    if (play === true) {
      store.play();
    } else if (play === false) {
      store.pause();
    }
  }, []);
  const handleTimeUpdate = useCallback((timeMs: number) => callbacksRef.current.onTimeUpdate?.(timeMs), []);

  useImperativeHandle(
    ref,
    () => ({
      play: () => {
        if (storeRef.current) {
          storeRef.current.play();
        } else {
          pendingRef.current.play = true;
        }
      },
      pause: () => {
        if (storeRef.current) {
          storeRef.current.pause();
        } else {
          pendingRef.current.play = false;
        }
      },
      seek: (offsetMs: number) => {
        if (storeRef.current) {
          storeRef.current.seek(offsetMs);
        } else {
          pendingRef.current.seek = offsetMs;
        }
      },
    }),
    [],
  );

  const load = source.state;
  const reportedPlayback = load === 'ready' ? playback : 'paused';
  useEffect(() => {
    callbacksRef.current.onStateChange?.({ load, playback: reportedPlayback });
  }, [load, reportedPlayback]);

  let content: ReactNode;
  switch (source.state) {
    case 'ready':
      content = (
        <ReplaySession
          timeline={source.timeline}
          initialTime={initialTime}
          onStore={handleStore}
          onPlaybackChange={setPlayback}
          onTimeUpdate={handleTimeUpdate}
        >
          {children}
        </ReplaySession>
      );
      break;
    case 'loading':
    case 'no-snapshot':
      content = (
        <p className="rk-message" role="status">
          {MESSAGES[source.state]}
        </p>
      );
      break;
    case 'not-found':
    case 'unauthorized':
      content = (
        <p className="rk-message" role="alert">
          {source.message}
        </p>
      );
      break;
    case 'error':
      content = (
        <div className="rk-message" role="alert">
          <p>{source.message}</p>
          <button type="button" className="rk-retry" onClick={retry}>
            Retry
          </button>
        </div>
      );
      break;
    default:
      source satisfies never;
  }

  return (
    <section
      className={className ? `rk-player ${className}` : 'rk-player'}
      style={style}
      data-state={load}
      aria-label="Session replay"
    >
      {content}
    </section>
  );
});
