'use client';

import {
  deriveMarkers,
  type RecordedEvent,
  type SessionChunk,
  type SessionSummary,
  type TimelineMarker,
} from '@replaykit/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchSessionMeta, ReplayLoadError, streamSessionChunks } from './load-session';
import { useReplayServer } from './provider';
import { createTimeline, type ReplayTimelineData } from './timeline-data';

/** Where a player is in getting its recording, exposed to CSS as `data-state` on its root. */
export type LoadState = 'loading' | 'ready' | 'not-found' | 'unauthorized' | 'error' | 'no-snapshot';

/** How much of a recording has arrived. */
export interface LoadProgress {
  chunks: number;
  events: number;
  /** Offset of the last loaded event from the first, ms. */
  loadedMs: number;
  /** The recording's length as far as known (from its summary), ms; null when unknown. */
  totalMs: number | null;
  complete: boolean;
}

/**
 * Why the rest of a recording that is partly loaded did not arrive: `failed` (the stream
 * broke for good; Retry loads on from where it broke) or `gone` (the session was deleted
 * meanwhile: there is no rest to load).
 */
export interface LoadInterruption {
  kind: 'failed' | 'gone';
  message: string;
}

/** The recording, once there is one to play, or why there is not. */
export type ReplaySource =
  | { state: 'loading'; progress: LoadProgress }
  | {
      state: 'ready';
      timeline: ReplayTimelineData;
      progress: LoadProgress;
      /** Same key, same recording: a new key means a new replay (another tab, a retry). */
      key: string;
      /** Tabs of the session, in order; the one played is `windowId`. */
      windowIds: readonly string[];
      windowId: string | null;
      /** Set when loading stopped before the end: what has loaded still plays. */
      interrupted: LoadInterruption | null;
    }
  | {
      state: 'no-snapshot';
      /** Loaded from a session of several tabs: its tabs, and the one that has nothing to replay. */
      windowIds?: readonly string[];
      windowId?: string | null;
    }
  | { state: 'not-found' | 'unauthorized' | 'error'; message: string };

/** Loads a session's chunks in order, as an async iterable; `signal` aborts when the player no longer needs them. */
export type ReplayChunkLoader = (options: {
  signal: AbortSignal;
  /** The tab the player wants; a loader may yield every tab's chunks, the player picks. */
  windowId: string | null;
  /**
   * On a Retry after the stream failed midway: the last `seq` received of each tab. The
   * loader may start after them; chunks at or before them are skipped either way.
   */
  received?: ReadonlyMap<string, number>;
}) => AsyncIterable<SessionChunk>;

/** Props that choose the recording: `events`, a custom `loader`, or a session on a replaykit server. */
export interface ReplaySourceOptions {
  events?: readonly RecordedEvent[];
  loader?: ReplayChunkLoader;
  sessionId?: string;
  baseUrl?: string;
  readKey?: string;
  /** The tab to play; the first one when null. */
  windowId?: string | null;
  /**
   * Called with the summary of a `sessionId` loaded from a replaykit server, once per session:
   * not again when another of its tabs loads, nor on a Retry once it has been reported.
   */
  onSummaryLoad?: (summary: SessionSummary) => void;
}

/** Least time between two timeline rebuilds while chunks stream in, in ms. */
export const STREAM_FLUSH_INTERVAL_MS = 250;

const NO_SOURCE: ReplaySource = {
  state: 'error',
  message:
    'Nothing to play: pass <ReplayPlayer> `events`, a `loader`, or a `sessionId` (with `baseUrl` and `readKey`, as props or from a <ReplayProvider>).',
};

const EMPTY_PROGRESS: LoadProgress = { chunks: 0, events: 0, loadedMs: 0, totalMs: null, complete: false };

interface DerivedSource {
  events: readonly RecordedEvent[];
  source: ReplaySource;
}

/** True when two lists hold the same items (by identity) in the same order. */
function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a === b || (a.length === b.length && a.every((item, index) => item === b[index]));
}

const LOADING: ReplaySource = { state: 'loading', progress: EMPTY_PROGRESS };

let sourceKeys = 0;

function sourceFromEvents(events: readonly RecordedEvent[]): ReplaySource {
  const timeline = createTimeline(events);
  if (timeline === null) {
    return { state: 'no-snapshot' };
  }
  sourceKeys++;
  return {
    state: 'ready',
    timeline,
    key: `events-${sourceKeys}`,
    progress: {
      chunks: 1,
      events: timeline.events.length,
      loadedMs: timeline.durationMs,
      totalMs: timeline.durationMs,
      complete: true,
    },
    windowIds: [],
    windowId: null,
    interrupted: null,
  };
}

interface StreamInput {
  /** Opens the stream; after a failure, again, with the last seq received of each tab. */
  open: (received: ReadonlyMap<string, number> | undefined) => AsyncIterable<SessionChunk>;
  /** Server markers (every tab); when absent, markers are derived from every chunk. */
  markers: readonly TimelineMarker[] | null;
  windowIds: readonly string[];
  windowId: string | null;
  expectedEndTime: number | undefined;
  /** The chunks come from the host's `loader`, whose failures are its own. */
  loaderFailed: boolean;
  /** Another tab will be tried if this one has nothing to replay: end without saying so. */
  quietNoSnapshot?: boolean;
}

/**
 * Consumes a chunk stream into player states: `loading` until a Meta + FullSnapshot pair
 * has arrived, then `ready` with a timeline that grows (rebuilt at most every
 * {@link STREAM_FLUSH_INTERVAL_MS}), complete once the stream ends. A stream that fails once
 * something plays stays `ready`, interrupted, until `retried` resolves (the viewer's Retry):
 * then it is opened again after the last chunk received. Resolves with whether there was
 * something to replay.
 */
async function consume(
  input: StreamInput,
  key: string,
  signal: AbortSignal,
  emit: (source: ReplaySource) => void,
  retried: () => Promise<void>,
): Promise<boolean> {
  const events: RecordedEvent[] = [];
  const derivedMarkers: TimelineMarker[] = [];
  const windowIds = [...input.windowIds];
  let windowId = input.windowId;
  let chunks = 0;
  let lastFlush = 0;
  let ready = false;
  // The last seq of each tab: a resumed stream goes on after it, and nothing arrives twice.
  const received = new Map<string, number>();
  let resumed = false;

  const flush = (complete: boolean, interrupted: LoadInterruption | null = null) => {
    const timeline = createTimeline(events, {
      markers: input.markers ?? derivedMarkers,
      complete,
      expectedEndTime: input.expectedEndTime,
    });
    const progress: LoadProgress = {
      chunks,
      events: events.length,
      loadedMs: timeline?.durationMs ?? 0,
      totalMs: timeline ? timeline.totalDurationMs : null,
      complete,
    };
    lastFlush = Date.now();
    if (timeline === null) {
      if (!complete) {
        emit({ state: 'loading', progress });
      } else if (!input.quietNoSnapshot) {
        emit({ state: 'no-snapshot', windowIds: [...windowIds], windowId });
      }
      return;
    }
    ready = true;
    emit({ state: 'ready', timeline, progress, key, windowIds: [...windowIds], windowId, interrupted });
  };

  const take = (chunk: SessionChunk) => {
    const last = received.get(chunk.windowId);
    // Only a resumed stream is checked: a loader may number every chunk 0 on its first pass.
    if (resumed && last !== undefined && chunk.seq <= last) {
      return;
    }
    received.set(chunk.windowId, chunk.seq);
    chunks++;
    if (!windowIds.includes(chunk.windowId)) {
      windowIds.push(chunk.windowId);
    }
    if (input.markers === null) {
      derivedMarkers.push(
        ...deriveMarkers(chunk.events, {
          idPrefix: `${chunk.windowId}:${chunk.seq}:`,
          windowId: chunk.windowId,
        }),
      );
    }
    windowId ??= chunk.windowId;
    // Each tab has its own DOM: one replay shows one tab; its markers show every tab's.
    if (chunk.windowId === windowId || chunk.windowId === '') {
      for (const event of chunk.events) {
        events.push(event);
      }
    }
    if (!ready || Date.now() - lastFlush >= STREAM_FLUSH_INTERVAL_MS) {
      flush(false);
    }
  };

  for (;;) {
    try {
      // A copy: the loader's view of what had arrived when it was called, not a live one.
      for await (const chunk of input.open(resumed ? new Map(received) : undefined)) {
        if (signal.aborted) {
          return ready;
        }
        take(chunk);
      }
      break;
    } catch (error) {
      // Before anything plays, the failure is the player's state; after, what loaded stays.
      if (!ready || signal.aborted) {
        throw error;
      }
      const interrupted = interruptionOf(error, input.loaderFailed);
      flush(false, interrupted);
      if (interrupted.kind === 'gone') {
        return ready;
      }
      await retried();
      resumed = true;
      flush(false);
    }
  }
  if (!signal.aborted) {
    flush(true);
  }
  return ready;
}

/** What to say of a failure that is not a {@link ReplayLoadError}: a loader's own, or a bug. */
function unexpectedFailure(error: unknown, loaderFailed: boolean): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `Loading the replay failed (${reason}). ${loaderFailed ? 'Retry, or check the loader.' : 'Retry; if it fails again, check the network and that the server is running.'}`;
}

/** What the viewer is told when a stream fails after the replay became playable. */
function interruptionOf(error: unknown, loaderFailed: boolean): LoadInterruption {
  if (error instanceof ReplayLoadError && error.kind === 'not-found') {
    return {
      kind: 'gone',
      message:
        'The rest of this replay cannot be loaded: the session was deleted while it loaded (HTTP 404). What had loaded still plays.',
    };
  }
  const reason = error instanceof ReplayLoadError ? error.message : unexpectedFailure(error, loaderFailed);
  return {
    kind: 'failed',
    message: `The rest of this replay failed to load; what has loaded still plays. ${reason}`,
  };
}

/**
 * Loads (or derives) the recording a player shows; `retry` loads it again after a failure,
 * `resume` loads on where an interrupted one (`interrupted` on a ready source) broke off.
 */
export function useReplaySource(options: ReplaySourceOptions): {
  source: ReplaySource;
  retry: () => void;
  resume: () => void;
} {
  const { events, loader, sessionId, windowId = null } = options;
  const { baseUrl, readKey, fetch } = useReplayServer({ baseUrl: options.baseUrl, readKey: options.readKey });
  const [attempt, setAttempt] = useState(0);
  const onSummaryLoadRef = useRef(options.onSummaryLoad);
  useEffect(() => {
    onSummaryLoadRef.current = options.onSummaryLoad;
  });
  // The session (and server) whose summary was last reported: its other tabs and retries load
  // the summary again, but the host has it.
  const reportedSummaryRef = useRef<readonly unknown[] | null>(null);
  // Set while the current load waits for the viewer's Retry, after its stream failed midway.
  const resumeRef = useRef<(() => void) | null>(null);
  // What a load is for: the state it reached belongs to its request alone. Until the load of
  // another recording (or tab, or attempt) reports, the player shows "loading", never the last
  // one. Each change is a new request, numbered: going back to a recording shown before (A, B,
  // then A again) loads it again, so the state A's last load reached is not A's any more; so
  // does going back to it from given `events`.
  const wanted: readonly unknown[] = [
    events === undefined,
    loader,
    sessionId,
    baseUrl,
    readKey,
    fetch,
    windowId,
    attempt,
  ];
  const [request, setRequest] = useState({ wanted, id: 0 });
  let requestId = request.id;
  if (!sameItems(request.wanted, wanted)) {
    requestId = request.id + 1;
    setRequest({ wanted, id: requestId });
  }
  const [loaded, setLoaded] = useState<{ requestId: number; source: ReplaySource } | null>(null);

  // A parent that passes `events={list.filter(...)}` hands over a new array on every render;
  // rebuilding the timeline then would restart the replay each time. The same events in the
  // same order are the same recording, whatever array holds them.
  const [derived, setDerived] = useState<DerivedSource | null>(null);
  let fromEvents: ReplaySource | null = null;
  if (events !== undefined) {
    if (derived !== null && sameItems(derived.events, events)) {
      fromEvents = derived.source;
    } else {
      fromEvents = sourceFromEvents(events);
      setDerived({ events, source: fromEvents });
    }
  }

  useEffect(() => {
    if (events !== undefined || (sessionId === undefined && loader === undefined)) {
      return;
    }
    const controller = new AbortController();
    const { signal } = controller;
    sourceKeys++;
    const key = `stream-${sourceKeys}-${attempt}`;
    const emit = (next: ReplaySource) => {
      if (!signal.aborted) {
        setLoaded({ requestId, source: next });
      }
    };
    const retried = () =>
      new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        resumeRef.current = () => {
          resumeRef.current = null;
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    const run = async () => {
      if (loader !== undefined) {
        await consume(
          {
            open: (received) => loader(received ? { signal, windowId, received } : { signal, windowId }),
            markers: null,
            windowIds: [],
            windowId,
            expectedEndTime: undefined,
            loaderFailed: true,
          },
          key,
          signal,
          emit,
          retried,
        );
        return;
      }
      const request = { sessionId: sessionId as string, baseUrl, readKey, fetch, signal };
      const meta = await fetchSessionMeta(request);
      const summaryFor: readonly unknown[] = [sessionId, baseUrl, readKey];
      if (
        !signal.aborted &&
        (reportedSummaryRef.current === null || !sameItems(reportedSummaryRef.current, summaryFor))
      ) {
        reportedSummaryRef.current = summaryFor;
        try {
          onSummaryLoadRef.current?.(meta.session);
        } catch (error) {
          // The host's bug, not the replay's: playback goes on, and the throw is not passed
          // for a failed load ("check the network"), which a Retry would not mend.
          console.error('ReplayPlayer: onSummaryLoad threw; the replay goes on without it. It threw:', error);
        }
      }
      const windowIds = Array.isArray(meta.session.windowIds)
        ? meta.session.windowIds.filter((id): id is string => typeof id === 'string')
        : [];
      // The tab asked for; else each tab in turn until one has something to replay (a tab whose
      // full snapshot never arrived must not hide the others).
      const candidates: (string | null)[] =
        windowId !== null && windowIds.includes(windowId)
          ? [windowId]
          : windowIds.length > 0
            ? windowIds
            : [null];
      for (const [index, candidate] of candidates.entries()) {
        // One tab's stream, even when the session has one: a broken connection resumes only
        // within a tab (seqs are counted per tab), and so does a Retry.
        const open = (received: ReadonlyMap<string, number> | undefined) => {
          const last = candidate === null ? undefined : received?.get(candidate);
          return streamSessionChunks({
            ...request,
            windowId: candidate ?? undefined,
            fromSeq: last === undefined ? undefined : last + 1,
          });
        };
        const replayable = await consume(
          {
            open,
            markers: meta.markers,
            windowIds,
            windowId: candidate,
            expectedEndTime: meta.session.endedAt,
            loaderFailed: false,
            quietNoSnapshot: index < candidates.length - 1,
          },
          key,
          signal,
          emit,
          retried,
        );
        if (replayable || signal.aborted) {
          return;
        }
      }
    };
    run().catch((error: unknown) => {
      if (signal.aborted) {
        // A newer load (or unmount) owns the state.
        return;
      }
      if (error instanceof ReplayLoadError) {
        emit({ state: error.kind, message: error.message });
      } else {
        emit({ state: 'error', message: unexpectedFailure(error, loader !== undefined) });
      }
    });
    return () => {
      controller.abort();
      resumeRef.current = null;
    };
  }, [events, loader, sessionId, baseUrl, readKey, fetch, windowId, attempt, requestId]);

  const retry = useCallback(() => setAttempt((count) => count + 1), []);
  const resume = useCallback(() => resumeRef.current?.(), []);
  const current = loaded !== null && loaded.requestId === requestId ? loaded.source : LOADING;
  const source = fromEvents ?? (sessionId === undefined && loader === undefined ? NO_SOURCE : current);
  return { source, retry, resume };
}
