'use client';

import type { RecordedEvent, SessionSummary } from '@replaykit/core';
import {
  type CSSProperties,
  forwardRef,
  type KeyboardEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
} from 'react';
import { ReplayContext, useReplayStore } from './context';
import {
  ReplayFullscreenButton,
  ReplayPageInfo,
  ReplayPlayButton,
  ReplayShortcutsHelp,
  ReplaySkipInactiveToggle,
  ReplaySpeedSelect,
  ReplayTime,
  toggleFullscreen,
} from './controls';
import { ReplayInspector } from './inspector';
import { assertInspectorTab, type InspectorTab, type ReplayEventItem } from './inspector-data';
import { PLAYBACK_SPEEDS, type PlaybackSpeed, type PlaybackState, ReplayStore } from './replay-store';
import { ReplayTimeline } from './timeline';
import type { ReplayTimelineData } from './timeline-data';
import { useReplaySelector } from './use-replay';
import {
  type LoadInterruption,
  type LoadProgress,
  type LoadState,
  type ReplayChunkLoader,
  useReplaySource,
} from './use-replay-source';
import { ReplayViewport } from './viewport';

/** What `onStateChange` reports: how loading went, and whether the replay plays. */
export interface ReplayPlayerState {
  load: LoadState;
  /** Always "paused" until `load` is "ready". */
  playback: PlaybackState;
  /**
   * Set while `load` is "ready" but the rest of the recording failed to load (the notice below
   * the replay shows): what loaded plays, the replay is incomplete. `kind` "failed" can be
   * retried, "gone" (the session was deleted) cannot. Null otherwise.
   */
  interrupted: LoadInterruption | null;
}

/** What `onEventClick` reports: a timeline marker or an inspector row that was clicked. */
export interface ReplayEventClick {
  source: 'marker' | 'inspector';
  kind: string;
  label: string;
  /** Wall-clock time of the event, ms since 1970. */
  timestamp: number;
  payload?: unknown;
  /**
   * Set on a marker from the server whose payload was left out for its size (over the
   * server's `MARKER_PAYLOAD_MAX_LENGTH`): the same event in the inspector carries it.
   */
  payloadOmitted?: true;
}

/** Seek step of ← and →, in ms. */
export const ARROW_SEEK_MS = 10_000;
/** Seek step of Shift + ← and →, in ms. */
export const SHIFT_ARROW_SEEK_MS = 1_000;

/**
 * Props of `<ReplayPlayer>`: give it `events`, a `loader`, or a `sessionId` to load from a
 * replaykit server (base URL and read key as props or from a `<ReplayProvider>`).
 */
export interface ReplayPlayerProps {
  /** A session to load from the replaykit server (ignored when `events` or `loader` is given). */
  sessionId?: string;
  /** The replaykit server's base URL; defaults to the `<ReplayProvider>`'s, else this origin. */
  baseUrl?: string;
  /** The project's secret read key; defaults to the `<ReplayProvider>`'s. */
  readKey?: string;
  /** Your own source of the session's chunks, in order (e.g. from your backend or a file). */
  loader?: ReplayChunkLoader;
  /**
   * A recording to play as it is, instead of loading one; markers are derived from it. A new
   * array with the same event objects is the same recording; different events restart it.
   */
  events?: readonly RecordedEvent[];
  /** Where to start, in ms from the first event (e.g. `readTimeParam()`). */
  initialTime?: number;
  /** Controlled current time, ms from the first event: the player seeks when it changes. */
  currentTime?: number;
  /** Controlled playback: the player plays or pauses when it changes. */
  playing?: boolean;
  /** Controlled speed, one of 0.5, 1, 1.5, 2, 4, 8, 16. */
  speed?: PlaybackSpeed;
  /** The speed to start at, when `speed` is not controlled; default 1. */
  defaultSpeed?: PlaybackSpeed;
  /** Whether to skip stretches without user activity at first; default true. */
  defaultSkipInactive?: boolean;
  /** Colour theme: `light`, `dark`, or `auto` (follows the system); default `light`. */
  theme?: 'light' | 'dark' | 'auto';
  /** Show the Events / Console / Network inspector next to the replay; default true. */
  inspector?: boolean;
  /** The inspector tab shown first: `events` (default), `console` or `network`. */
  defaultInspectorTab?: InspectorTab;
  /** Replays canvas command streams (2D/WebGL) with rrweb's own canvas replay; image snapshots show without it. UNSAFE: adds `allow-scripts` to the replay iframe's sandbox. */
  UNSAFE_replayCanvas?: boolean;
  className?: string;
  style?: CSSProperties;
  /** Called when loading or playback changes state (and once on mount). */
  onStateChange?: (state: ReplayPlayerState) => void;
  /** Called with the current time, in ms from the first event, whenever it changes. */
  onTimeUpdate?: (timeMs: number) => void;
  /** Called when the speed changes (from the controls or the keyboard). */
  onSpeedChange?: (speed: PlaybackSpeed) => void;
  /** Called when a timeline marker or an inspector row is clicked, after seeking to it. */
  onEventClick?: (event: ReplayEventClick) => void;
  /**
   * Called with the session's summary (user, start, duration, …) once the player has loaded it
   * from the replaykit server, once per `sessionId`: a host's heading needs no request of its
   * own. Not called for `events` or a `loader`.
   */
  onSummaryLoad?: (summary: SessionSummary) => void;
  /**
   * Your own arrangement of the parts (`ReplayViewport`, `ReplayPlayButton`, `ReplayTime`,
   * `ReplayTimeline`, `ReplayInspector`, …), shown once the recording is ready; defaults to all of them.
   */
  children?: ReactNode;
}

/** Imperative control through a ref; calls made before the recording is ready apply once it is. */
export interface ReplayPlayerHandle {
  play(): void;
  pause(): void;
  /** Seeks to `offsetMs` from the first event (clamped to a target rrweb can show). */
  seek(offsetMs: number): void;
  setSpeed(speed: PlaybackSpeed): void;
}

interface PendingCommands {
  seek: number | null;
  /**
   * A moment of the session (ms since 1970) to start at: where the viewer was (in another tab,
   * or before a Retry), and whether it played on there. Another recording drops it.
   */
  at: { moment: number; play: boolean } | null;
  play: boolean | null;
  speed: PlaybackSpeed | null;
}

const NO_PENDING_COMMANDS: Readonly<PendingCommands> = { seek: null, at: null, play: null, speed: null };

const NO_SNAPSHOT_MESSAGE = 'Nothing to replay yet: this recording has no full page snapshot.';
const NO_SNAPSHOT_RETRY_HINT = 'If it is still being recorded, retry in a moment.';

interface LayoutProps {
  inspector: boolean;
  inspectorTab: InspectorTab;
  onInspectorTabChange: (tab: InspectorTab) => void;
  progress: LoadProgress;
  /** Loading stopped before the end (see the notice): no progress bar then. */
  loadStopped: boolean;
  tabs: ReactNode;
  replayCanvas: boolean;
  onEventClick: (event: ReplayEventClick) => void;
}

function LoadProgressBar({ progress }: { progress: LoadProgress }) {
  const store = useReplayStore('<LoadProgressBar>');
  const duration = useReplaySelector(store, (s) => s.timeline.totalDurationMs);
  if (progress.complete) {
    return null;
  }
  const fraction = duration > 0 ? Math.min(1, progress.loadedMs / duration) : 0;
  return (
    <progress
      className="rk-progress"
      aria-label="Loading the replay"
      max={100}
      value={Math.round(fraction * 100)}
    />
  );
}

interface LoadInterruptedNoticeProps {
  interrupted: LoadInterruption;
  onRetry: () => void;
}

/**
 * Says that the rest of the recording did not load, below a replay that keeps playing what
 * did: polite (a status, not an alert), since nothing the viewer is watching was taken away.
 */
function LoadInterruptedNotice({ interrupted, onRetry }: LoadInterruptedNoticeProps) {
  return (
    <div className="rk-message rk-notice" role="status">
      <p>{interrupted.message}</p>
      {interrupted.kind === 'failed' && (
        <button type="button" className="rk-retry" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

function DefaultLayout({
  inspector,
  inspectorTab,
  onInspectorTabChange,
  progress,
  loadStopped,
  tabs,
  replayCanvas,
  onEventClick,
}: LayoutProps) {
  return (
    <div className="rk-layout" data-inspector={inspector}>
      <div className="rk-stage">
        <div className="rk-stage-bar">
          {tabs}
          <ReplayPageInfo />
        </div>
        <ReplayViewport UNSAFE_replayCanvas={replayCanvas} />
        <div className="rk-controls">
          <ReplayPlayButton />
          <ReplayTime />
          <ReplayTimeline
            onMarkerClick={(marker) =>
              onEventClick({
                source: 'marker',
                kind: marker.kind,
                label: marker.label,
                timestamp: marker.timestamp,
                payload: marker.payload,
                ...(marker.payloadOmitted ? { payloadOmitted: true } : {}),
              })
            }
          />
          {!loadStopped && <LoadProgressBar progress={progress} />}
          <ReplaySpeedSelect />
          <ReplaySkipInactiveToggle />
          <ReplayShortcutsHelp />
          <ReplayFullscreenButton />
        </div>
      </div>
      {inspector && (
        <ReplayInspector
          defaultTab={inspectorTab}
          onTabChange={onInspectorTabChange}
          onEventClick={(item: ReplayEventItem) =>
            onEventClick({
              source: 'inspector',
              kind: item.kind,
              label: item.label,
              timestamp: item.timestamp,
              payload: item.payload,
            })
          }
        />
      )}
    </div>
  );
}

interface StoreSettings {
  initialTime: number | undefined;
  speed: PlaybackSpeed;
  skipInactive: boolean;
}

function createStore(timeline: ReplayTimelineData, settings: StoreSettings): ReplayStore {
  const store = new ReplayStore(timeline);
  store.setSpeed(settings.speed);
  store.setSkipInactive(settings.skipInactive);
  if (settings.initialTime !== undefined) {
    store.seek(settings.initialTime);
  }
  return store;
}

interface ReplaySessionProps {
  timeline: ReplayTimelineData;
  sourceKey: string;
  settings: StoreSettings;
  onStore: (store: ReplayStore | null) => void;
  children: ReactNode;
}

function ReplaySession({ timeline, sourceKey, settings, onStore, children }: ReplaySessionProps) {
  const [current, setCurrent] = useState(() => ({ key: sourceKey, store: createStore(timeline, settings) }));
  if (current.key !== sourceKey) {
    // A new recording gets a fresh store (React's "adjust state while rendering" pattern).
    setCurrent({ key: sourceKey, store: createStore(timeline, settings) });
  }
  const { store } = current;

  useEffect(() => {
    // More of the same recording arrived: the store (and the replayer) take the new events.
    store.extend(timeline);
  }, [store, timeline]);

  useEffect(() => {
    onStore(store);
    return () => onStore(null);
  }, [store, onStore]);

  return <ReplayContext.Provider value={store}>{children}</ReplayContext.Provider>;
}

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) {
    return false;
  }
  return target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null;
}

/** Applies a keyboard shortcut to the store; returns true when the key was one. */
function handleShortcut(store: ReplayStore, event: KeyboardEvent<HTMLElement>): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTextEntry(event.target)) {
    return false;
  }
  const target = event.target instanceof Element ? event.target : null;
  const onButton = target?.closest('button') != null;
  const onSlider = target?.closest('[role="slider"]') != null;
  const { currentTime, speed } = store.getSnapshot();
  const speedIndex = PLAYBACK_SPEEDS.indexOf(speed);
  switch (event.key) {
    case ' ':
    case 'k':
    case 'K':
      if (onButton && event.key === ' ') {
        return false;
      }
      store.toggle();
      return true;
    case 'ArrowLeft':
    case 'ArrowRight': {
      if (onSlider) {
        return false;
      }
      const step = event.shiftKey ? SHIFT_ARROW_SEEK_MS : ARROW_SEEK_MS;
      store.seek(currentTime + (event.key === 'ArrowLeft' ? -step : step));
      return true;
    }
    case 'f':
    case 'F':
      if (target) {
        toggleFullscreen(target);
      }
      return true;
    case '<':
    case ',':
      store.setSpeed(PLAYBACK_SPEEDS[Math.max(0, speedIndex - 1)] as PlaybackSpeed);
      return true;
    case '>':
    case '.':
      store.setSpeed(PLAYBACK_SPEEDS[Math.min(PLAYBACK_SPEEDS.length - 1, speedIndex + 1)] as PlaybackSpeed);
      return true;
    case '?':
      store.setHelpOpen(!store.getSnapshot().helpOpen);
      return true;
    case 'Escape':
      if (store.getSnapshot().helpOpen) {
        store.setHelpOpen(false);
        return true;
      }
      return false;
    default: {
      const digit = Number(event.key);
      if (Number.isInteger(digit) && digit >= 1 && digit <= PLAYBACK_SPEEDS.length) {
        store.setSpeed(PLAYBACK_SPEEDS[digit - 1] as PlaybackSpeed);
        return true;
      }
      return false;
    }
  }
}

/**
 * The ready-made replay player: loads a session progressively (or takes `events` or a
 * `loader`), shows the replay with its controls, a timeline with markers and an inspector.
 * Its root's `data-state` is the load state. Keyboard shortcuts work while focus is inside it.
 */
export const ReplayPlayer = forwardRef<ReplayPlayerHandle, ReplayPlayerProps>(function ReplayPlayer(
  {
    sessionId,
    baseUrl,
    readKey,
    loader,
    events,
    initialTime,
    currentTime,
    playing,
    speed,
    defaultSpeed = 1,
    defaultSkipInactive = true,
    theme = 'light',
    inspector = true,
    defaultInspectorTab = 'events',
    UNSAFE_replayCanvas = false,
    className,
    style,
    onStateChange,
    onTimeUpdate,
    onSpeedChange,
    onEventClick,
    onSummaryLoad,
    children,
  },
  ref,
) {
  assertInspectorTab(defaultInspectorTab, '<ReplayPlayer> defaultInspectorTab');
  // The tab chosen, and the recording it was chosen in: another recording starts at its first tab.
  const [tab, setTab] = useState<{
    windowId: string;
    loader: typeof loader;
    sessionId: typeof sessionId;
  } | null>(null);
  const windowId = tab !== null && tab.loader === loader && tab.sessionId === sessionId ? tab.windowId : null;
  const { source, retry, resume } = useReplaySource({
    events,
    loader,
    sessionId,
    baseUrl,
    readKey,
    windowId,
    onSummaryLoad,
  });
  const [store, setStore] = useState<ReplayStore | null>(null);
  const [playback, setPlayback] = useState<PlaybackState>('paused');
  // The viewer's own choices outlive the store they were made in: another tab, a retry or
  // another session gets a fresh store, which starts from them rather than the defaults.
  // A speed given through the ref before the replay is ready is a choice too (`setSpeed`).
  const [chosen, setChosen] = useState<{ speed?: PlaybackSpeed; skipInactive?: boolean } | null>(null);
  // So is the inspector tab: the layout, inspector included, is built anew for each load.
  const [chosenInspectorTab, setChosenInspectorTab] = useState<InspectorTab | null>(null);
  const pendingRef = useRef<PendingCommands>({ ...NO_PENDING_COMMANDS });
  const callbacksRef = useRef({ onStateChange, onTimeUpdate, onSpeedChange, onEventClick });
  useEffect(() => {
    callbacksRef.current = { onStateChange, onTimeUpdate, onSpeedChange, onEventClick };
  });
  const storeRef = useRef<ReplayStore | null>(null);
  const sectionRef = useRef<HTMLElement | null>(null);
  // Whether focus is inside the player. A focused control that is removed (a tab switch or a
  // Retry replaces the controls with "Loading…") gets no blur, so this stays true then.
  const focusInsideRef = useRef(false);
  // The tab chosen from the focused Tab select: the select gets focus back once it is shown,
  // unless the viewer took focus out of the player meanwhile.
  const refocusTabRef = useRef<string | null>(null);
  // The tabs of the recording last shown with a Tab select: a tab chosen from it keeps the
  // select while it loads, so the viewer can go back rather than wait on "Loading…".
  const shownTabsRef = useRef<{
    windowIds: readonly string[];
    loader: typeof loader;
    sessionId: typeof sessionId;
  } | null>(null);
  // The time last given to onTimeUpdate, across recordings: a new one reports its own at once.
  const reportedTimeRef = useRef(0);
  // The moment of this recording (ms since 1970) the viewer was at: Retry resumes there.
  const momentRef = useRef<number | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another recording has no moment yet.
  useEffect(() => {
    momentRef.current = null;
    pendingRef.current.at = null;
  }, [sessionId, loader]);
  const retryAtMoment = useCallback(() => {
    if (momentRef.current !== null) {
      pendingRef.current.at = { moment: momentRef.current, play: pendingRef.current.at?.play ?? false };
    }
    retry();
  }, [retry]);

  const resumeLoading = useCallback(() => {
    // The notice goes with its Retry button, and the load state stays "ready", so the effect
    // below does not see focus fall out: keep it in the player (its shortcuts work there).
    if (focusInsideRef.current) {
      sectionRef.current?.focus();
    }
    resume();
  }, [resume]);

  const handleStore = useCallback((next: ReplayStore | null) => {
    storeRef.current = next;
    setStore(next);
    if (next === null) {
      return;
    }
    const pending = pendingRef.current;
    pendingRef.current = { ...NO_PENDING_COMMANDS };
    if (pending.speed !== null) {
      next.setSpeed(pending.speed);
    }
    // Play, then seek: a moment past what has loaded of a tab still streaming in is waited
    // for and played on from (a seek while playing keeps playing).
    if (pending.play === true || (pending.play === null && pending.at?.play === true)) {
      next.play();
    }
    if (pending.at !== null) {
      next.seek(pending.at.moment - next.timeline.startTime);
    }
    if (pending.seek !== null) {
      next.seek(pending.seek);
    }
  }, []);

  // Reports of the store's changes to the host's callbacks.
  useEffect(() => {
    if (store === null) {
      return;
    }
    let {
      playback: lastPlayback,
      currentTime: lastTime,
      speed: lastSpeed,
      skipInactive: lastSkip,
    } = store.getSnapshot();
    setPlayback(lastPlayback);
    momentRef.current = store.timeline.startTime + lastTime;
    const reportTime = (time: number) => {
      reportedTimeRef.current = time;
      callbacksRef.current.onTimeUpdate?.(time);
    };
    if (lastTime !== reportedTimeRef.current) {
      reportTime(lastTime);
    }
    return store.subscribe(() => {
      const snapshot = store.getSnapshot();
      momentRef.current = snapshot.timeline.startTime + snapshot.currentTime;
      if (snapshot.speed !== lastSpeed || snapshot.skipInactive !== lastSkip) {
        setChosen({ speed: snapshot.speed, skipInactive: snapshot.skipInactive });
      }
      if (snapshot.playback !== lastPlayback) {
        lastPlayback = snapshot.playback;
        setPlayback(lastPlayback);
      }
      if (snapshot.currentTime !== lastTime) {
        lastTime = snapshot.currentTime;
        reportTime(lastTime);
      }
      if (snapshot.speed !== lastSpeed) {
        lastSpeed = snapshot.speed;
        callbacksRef.current.onSpeedChange?.(lastSpeed);
      }
      lastSkip = snapshot.skipInactive;
    });
  }, [store]);

  // Controlled props: the player follows them when they change.
  useEffect(() => {
    if (store === null || currentTime === undefined) {
      return;
    }
    if (Math.abs(store.getSnapshot().currentTime - currentTime) > 1) {
      store.seek(currentTime);
    }
  }, [store, currentTime]);
  useEffect(() => {
    if (store === null || playing === undefined) {
      return;
    }
    if (playing) {
      store.play();
    } else {
      store.pause();
    }
  }, [store, playing]);
  useEffect(() => {
    if (store !== null && speed !== undefined) {
      store.setSpeed(speed);
    }
  }, [store, speed]);

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
      setSpeed: (next: PlaybackSpeed) => {
        if (storeRef.current) {
          storeRef.current.setSpeed(next);
        } else {
          // Kept as the viewer's choice, so later stores (another tab, a retry) start from it
          // too; pending as well, for a store made before this render.
          setChosen((current) => ({ ...current, speed: next }));
          pendingRef.current.speed = next;
        }
      },
    }),
    [],
  );

  const load = source.state;
  const reportedPlayback = load === 'ready' ? playback : 'paused';
  const interruption = source.state === 'ready' ? source.interrupted : null;
  const interruptedKind = interruption?.kind;
  const interruptedMessage = interruption?.message;
  useEffect(() => {
    const interrupted =
      interruptedKind === undefined || interruptedMessage === undefined
        ? null
        : { kind: interruptedKind, message: interruptedMessage };
    callbacksRef.current.onStateChange?.({ load, playback: reportedPlayback, interrupted });
  }, [load, reportedPlayback, interruptedKind, interruptedMessage]);

  // Focus that fell out of the player with a removed control goes back to the player, so the
  // keyboard shortcuts keep working and a screen reader stays where it was. Each change of
  // load state replaces the controls.
  useEffect(() => {
    const section = sectionRef.current;
    const active = section?.ownerDocument.activeElement;
    if (section && focusInsideRef.current && (active === null || active === section.ownerDocument.body)) {
      section.focus();
    }
    // The chosen tab has loaded (or failed): the Tab select shown with it took focus back.
    if (load !== 'loading') {
      refocusTabRef.current = null;
    }
  }, [load]);

  const sourceTabs =
    source.state === 'ready' || source.state === 'no-snapshot' ? source.windowIds : undefined;
  useEffect(() => {
    if (sourceTabs !== undefined && sourceTabs.length > 1) {
      shownTabsRef.current = { windowIds: sourceTabs, loader, sessionId };
    }
  }, [sourceTabs, loader, sessionId]);

  const emitEventClick = useCallback(
    (event: ReplayEventClick) => callbacksRef.current.onEventClick?.(event),
    [],
  );

  // The Tab select of a session recorded in several tabs (shown when one plays, or has nothing to).
  const tabSelect = (windowIds: readonly string[] | undefined, shown: string | null | undefined) =>
    windowIds !== undefined && windowIds.length > 1 ? (
      <label className="rk-tab-select">
        <span>Tab</span>
        <select
          ref={(select) => {
            if (select !== null && refocusTabRef.current === select.value) {
              if (focusInsideRef.current) {
                select.focus();
              }
            }
          }}
          value={shown ?? ''}
          onChange={(event) => {
            const select = event.currentTarget;
            refocusTabRef.current = select === select.ownerDocument.activeElement ? select.value : null;
            // The other tab starts at the same moment of the session, playing if this one played
            // (or, chosen while a tab loads, if the one before it played).
            if (momentRef.current !== null) {
              pendingRef.current.at = {
                moment: momentRef.current,
                play: storeRef.current
                  ? storeRef.current.getSnapshot().playback === 'playing'
                  : (pendingRef.current.at?.play ?? false),
              };
            }
            setTab({ windowId: select.value, loader, sessionId });
          }}
        >
          {windowIds.map((id, index) => (
            <option key={id} value={id}>{`Tab ${index + 1}`}</option>
          ))}
        </select>
      </label>
    ) : null;

  let content: ReactNode;
  switch (source.state) {
    case 'ready': {
      const tabs = tabSelect(source.windowIds, source.windowId);
      content = (
        <ReplaySession
          timeline={source.timeline}
          sourceKey={`${source.key}:${source.windowId ?? ''}`}
          settings={{
            initialTime,
            speed: speed ?? chosen?.speed ?? defaultSpeed,
            skipInactive: chosen?.skipInactive ?? defaultSkipInactive,
          }}
          onStore={handleStore}
        >
          {children ?? (
            <DefaultLayout
              inspector={inspector}
              inspectorTab={chosenInspectorTab ?? defaultInspectorTab}
              onInspectorTabChange={setChosenInspectorTab}
              progress={source.progress}
              loadStopped={source.interrupted !== null}
              tabs={tabs}
              replayCanvas={UNSAFE_replayCanvas}
              onEventClick={emitEventClick}
            />
          )}
          {source.interrupted !== null && (
            <LoadInterruptedNotice interrupted={source.interrupted} onRetry={resumeLoading} />
          )}
        </ReplaySession>
      );
      break;
    }
    case 'loading': {
      const { progress } = source;
      const shownTabs = shownTabsRef.current;
      const tabs =
        windowId !== null &&
        shownTabs !== null &&
        shownTabs.loader === loader &&
        shownTabs.sessionId === sessionId
          ? tabSelect(shownTabs.windowIds, windowId)
          : null;
      content = (
        <>
          {tabs && <div className="rk-stage-bar">{tabs}</div>}
          <div className="rk-message" role="status">
            <p>Loading the replay…</p>
            {progress.events > 0 && (
              <p className="rk-message-detail">{`${progress.events} events so far, waiting for the first full page snapshot`}</p>
            )}
          </div>
        </>
      );
      break;
    }
    case 'no-snapshot': {
      // Another tab of the session may have something to replay: its select stays.
      const tabs = tabSelect(source.windowIds, source.windowId);
      // Given `events`, the recording is what it is; loaded, it may still be being recorded.
      content = (
        <>
          {tabs && <div className="rk-stage-bar">{tabs}</div>}
          {events === undefined ? (
            <div className="rk-message" role="status">
              <p>{`${NO_SNAPSHOT_MESSAGE} ${NO_SNAPSHOT_RETRY_HINT}`}</p>
              <button type="button" className="rk-retry" onClick={retryAtMoment}>
                Retry
              </button>
            </div>
          ) : (
            <p className="rk-message" role="status">
              {NO_SNAPSHOT_MESSAGE}
            </p>
          )}
        </>
      );
      break;
    }
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
          <button type="button" className="rk-retry" onClick={retryAtMoment}>
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
      data-theme={theme}
      aria-label="Session replay"
      ref={sectionRef}
      // Not a tab stop; a click inside gives it focus, so the shortcuts work after one.
      tabIndex={-1}
      onFocus={() => {
        focusInsideRef.current = true;
      }}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget)) {
          focusInsideRef.current = false;
        }
      }}
      onKeyDown={(event) => {
        const current = storeRef.current;
        if (current !== null && handleShortcut(current, event)) {
          event.preventDefault();
        }
      }}
    >
      {content}
    </section>
  );
});
