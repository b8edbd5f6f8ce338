import {
  type ConsoleLevel,
  checkEventName,
  type DroppedPayload,
  type ErrorPayload,
  EventType,
  IncrementalSource,
  isUserActivity,
  MouseInteraction,
  type NavigationPayload,
  type RecordedEvent,
  ReservedEvent,
  redactUrl,
} from '@replaykit/core';
import { record } from '@rrweb/record';
import { captureConsole, captureErrors, captureNavigation, captureNetwork } from './capture';
import { ClickDetector } from './clicks';
import { type CompressionMode, createCompressor } from './compress';
import { Delivery, droppedMarker, type OutgoingBatch } from './delivery';
import {
  ACTIVITY_WRITE_INTERVAL_MS,
  CHECKOUT_INTERVAL_MS,
  CONSOLE_MAX_ENTRIES,
  ERROR_BUFFER_MS,
  EVENT_MAX_BYTES,
  FLUSH_DELAY_MS,
  FLUSH_SIZE_BYTES,
  MEMORY_MAX_BYTES,
  PENDING_EVENTS_MAX,
  USER_IDLE_TIMEOUT_MS,
} from './limits';
import { matchesUrl, type RecorderOptions, sampleValue, validateOptions } from './options';
import { IndexedDbBatchStore, markWindow } from './persist';
import { createPrivacy } from './privacy';
import { isOptedOut, SESSION_KEY, SessionState, setOptedOut } from './session';
import { Transport } from './transport';

export type { RecorderOptions };

/**
 * Where the recorder stands, a finite set exposed to UIs as is:
 * - `idle`: not started (or stopped);
 * - `recording`: recording and sending;
 * - `buffering`: recording, but holding events back (minimum duration, waiting for a
 *   trigger, or buffer-until-error);
 * - `paused`: on a blocked URL, or the user has been idle (nothing is sent meanwhile);
 * - `disabled`: opted out, or this session is sampled out;
 * - `error`: recording could not start (see `getLastError()`).
 */
export type RecorderStatus = 'idle' | 'recording' | 'buffering' | 'paused' | 'disabled' | 'error';

/** A framework-free recorder: one per page records at a time. */
export interface Recorder {
  /** Starts recording (a no-op while recording). */
  start(): void;
  /** Stops recording and sends what is buffered. */
  stop(): void;
  /** Sends buffered events now; resolves when the queue is drained or waits for a retry. */
  flush(): Promise<void>;
  /** Records a custom event such as `checkout_error`, shown as a marker on the timeline. */
  capture(name: string, properties?: Record<string, unknown>): void;
  /** Attaches a user id (and traits) to the session. */
  identify(userId: string, traits?: Record<string, unknown>): void;
  /** Records an error as a `$error` event (used by the React error boundary and for captured errors). */
  captureError(payload: ErrorPayload): void;
  /** Stops recording on this origin and remembers it (localStorage) until `optIn()`. Unsent data is discarded. */
  optOut(): void;
  /** Undoes `optOut()`; recording resumes if it had been started. */
  optIn(): void;
  /** True when the user opted out on this origin. */
  isOptedOut(): boolean;
  getSessionId(): string | undefined;
  getWindowId(): string | undefined;
  getStatus(): RecorderStatus;
  /** The last error that put the recorder in the `error` state. */
  getLastError(): string | undefined;
  /** Calls the listener whenever status or session change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Internals that tests and diagnostics read; not part of the stable API. */
export interface RecorderInternals {
  compressionMode(): CompressionMode | undefined;
  pendingBatches(): readonly OutgoingBatch[];
}

let activeRecorder: Recorder | undefined;

/** Shared session state is checked at most this often during continuous activity, in ms. */
const SESSION_CHECK_INTERVAL_MS = 1_000;

const DEFAULT_CONSOLE_LEVELS: ConsoleLevel[] = ['log', 'info', 'warn', 'error'];

function customEvent(tag: string, payload: unknown, timestamp: number = Date.now()): RecordedEvent {
  return { type: EventType.Custom, data: { tag, payload }, timestamp };
}

/** Creates a recorder. Nothing happens until `start()` is called, in a browser. */
export function createRecorder(options: RecorderOptions): Recorder & RecorderInternals {
  validateOptions(options);
  const flushDelayMs = options.flushDelayMs ?? FLUSH_DELAY_MS;
  const flushSizeBytes = options.flushSizeBytes ?? FLUSH_SIZE_BYTES;
  const maxEventBytes = options.maxEventBytes ?? EVENT_MAX_BYTES;
  const maxMemoryBytes = options.maxMemoryBytes ?? MEMORY_MAX_BYTES;
  const userIdleTimeoutMs = options.userIdleTimeoutMs ?? USER_IDLE_TIMEOUT_MS;
  const sampleRate = options.sampleRate ?? 1;
  const minimumDurationMs = options.minimumDurationMs ?? 0;
  const sensitiveParams = options.privacy?.sensitiveQueryParams;
  const redact = (url: string) => redactUrl(url, sensitiveParams);
  const errorMode = options.bufferUntilError
    ? { events: typeof options.bufferUntilError === 'object' ? (options.bufferUntilError.events ?? []) : [] }
    : undefined;
  const triggerUrls = options.triggers?.urls ?? [];
  const triggerEvents = new Set([
    ...(options.triggers?.events ?? []),
    ...(errorMode ? [ReservedEvent.Error, ...errorMode.events] : []),
  ]);
  const needsTrigger = triggerUrls.length > 0 || triggerEvents.size > 0;
  const listeners = new Set<() => void>();
  const privacy = createPrivacy(options.privacy);
  const processEvent = privacy.processEvent;
  const TRIGGERED_KEY = 'replaykit:triggered';

  let status: RecorderStatus = 'idle';
  let lastError: string | undefined;
  let startRequested = false;
  let optedOutInMemory = false;
  let session: SessionState | undefined;
  let delivery: Delivery | undefined;
  let transport: Transport | undefined;
  let compressor: ReturnType<typeof createCompressor> | undefined;
  let stopRecording: (() => void) | undefined;
  let uninstallCaptures: Array<() => void> = [];
  let buffer: string[] = [];
  let bufferBytes = 0;
  let bufferSessionId: string | undefined;
  /** Events held back (minimum duration, trigger, buffer-until-error), in segments that each start at a full snapshot. */
  let held: string[][] = [];
  let heldSessionId: string | undefined;
  let pending: RecordedEvent[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let holdTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let checkpointTimer: ReturnType<typeof setInterval> | undefined;
  let lastActivityAt = 0;
  let lastActivityWrite = 0;
  let lastSessionCheck = 0;
  let userIdle = false;
  let blockedPage = false;
  let sampledOut = false;
  let triggered = false;
  let consoleEntries = 0;
  let consoleCapReported = false;
  let snapshotQueued = false;

  const notify = () => {
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        console.error('[replaykit] a status listener threw', error);
      }
    }
  };

  const optedOut = () => optedOutInMemory || isOptedOut();

  const holdReason = (): 'minimum_duration' | 'trigger' | undefined => {
    if (needsTrigger && !triggered) {
      return 'trigger';
    }
    if (session && minimumDurationMs > 0 && Date.now() - session.startedAt < minimumDurationMs) {
      return 'minimum_duration';
    }
    return undefined;
  };

  const computeStatus = (): RecorderStatus => {
    if (status === 'error') {
      return 'error';
    }
    if (!startRequested) {
      return 'idle';
    }
    if (optedOut() || sampledOut) {
      return 'disabled';
    }
    if (!stopRecording) {
      return 'idle';
    }
    if (blockedPage || userIdle) {
      return 'paused';
    }
    return holdReason() ? 'buffering' : 'recording';
  };

  const refreshStatus = () => {
    const next = computeStatus();
    if (next !== status) {
      status = next;
      notify();
    }
  };

  const setError = (message: string) => {
    status = 'error';
    lastError = message;
    notify();
  };

  const takeFullSnapshotSoon = () => {
    // Never from inside rrweb's own emit: defer to a task of our own.
    if (snapshotQueued || !stopRecording) {
      return;
    }
    snapshotQueued = true;
    setTimeout(() => {
      snapshotQueued = false;
      if (stopRecording) {
        try {
          record.takeFullSnapshot(true);
        } catch {
          // Not recording any more.
        }
      }
    }, 0);
  };

  // ------------------------------------------------------------ buffering

  const sealBuffer = () => {
    if (flushTimer !== undefined) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
    }
    if (buffer.length === 0 || !session || !delivery || !bufferSessionId) {
      return;
    }
    const batch: OutgoingBatch = {
      sessionId: bufferSessionId,
      windowId: session.currentWindowId,
      seq: session.takeSeq(),
      events: buffer,
      bytes: bufferBytes,
      createdAt: Date.now(),
    };
    buffer = [];
    bufferBytes = 0;
    bufferSessionId = undefined;
    markWindow(session.currentWindowId, Date.now());
    delivery.enqueue(batch, { persist: options.persistQueue !== false });
  };

  const flushNow = (): Promise<void> => {
    sealBuffer();
    return delivery?.drain() ?? Promise.resolve();
  };

  const appendToBuffer = (json: string, sessionId: string) => {
    if (bufferSessionId !== undefined && bufferSessionId !== sessionId) {
      sealBuffer();
    }
    bufferSessionId = sessionId;
    buffer.push(json);
    bufferBytes += json.length;
    if (bufferBytes >= flushSizeBytes) {
      void flushNow();
    } else if (flushTimer === undefined) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        void flushNow();
      }, flushDelayMs);
    }
  };

  const heldBytes = () =>
    held.reduce((total, segment) => total + segment.reduce((sum, json) => sum + json.length, 0), 0);

  const hold = (json: string, event: RecordedEvent, sessionId: string) => {
    if (heldSessionId !== sessionId) {
      held = [];
      heldSessionId = sessionId;
    }
    if (event.type === EventType.Meta || held.length === 0) {
      held.push([]);
    }
    held[held.length - 1]?.push(json);
    const reason = holdReason();
    // Waiting for a trigger keeps the last ~60 s: the segment being written and the one before.
    if (reason === 'trigger' && held.length > 2) {
      held.splice(0, held.length - 2);
    }
    if (held.length > 1 && heldBytes() > maxMemoryBytes) {
      const [dropped = []] = held.splice(0, 1);
      const bytes = dropped.reduce((sum, item) => sum + item.length, 0);
      held[0]?.unshift(
        droppedMarker({ reason: 'buffer_full', count: dropped.length, bytes }, event.timestamp),
      );
    }
    if (reason === 'minimum_duration' && holdTimer === undefined && session) {
      holdTimer = setTimeout(
        () => {
          holdTimer = undefined;
          release();
        },
        Math.max(0, session.startedAt + minimumDurationMs - Date.now()),
      );
    }
  };

  /** Sends what was held back, once nothing holds it any more. */
  const release = () => {
    refreshStatus();
    if (holdReason() || !heldSessionId) {
      return;
    }
    const sessionId = heldSessionId;
    const segments = held;
    held = [];
    heldSessionId = undefined;
    for (const segment of segments) {
      for (const json of segment) {
        appendToBuffer(json, sessionId);
      }
    }
    void flushNow();
  };

  const fireTrigger = () => {
    if (triggered || !session) {
      return;
    }
    triggered = true;
    try {
      localStorage.setItem(TRIGGERED_KEY, session.sessionId);
    } catch {
      // The trigger then lasts for this page only.
    }
    if (checkpointTimer !== undefined) {
      clearInterval(checkpointTimer);
      checkpointTimer = undefined;
    }
    release();
  };

  // ------------------------------------------------------------ events

  const accept = (event: RecordedEvent) => {
    if (!session) {
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(processEvent(event));
    } catch (error) {
      json = droppedMarker(
        { reason: `unserialisable: ${String(error).slice(0, 200)}`, count: 1, eventType: event.type },
        event.timestamp,
      );
    }
    if (json.length > maxEventBytes) {
      json = droppedMarker(
        { reason: 'event_too_large', count: 1, bytes: json.length, eventType: event.type },
        event.timestamp,
      );
    }
    if (holdReason()) {
      hold(json, event, session.sessionId);
    } else {
      appendToBuffer(json, session.sessionId);
    }
  };

  const pushCustom = (tag: string, payload: unknown) => {
    const event = customEvent(tag, payload);
    if (stopRecording && session && !blockedPage) {
      accept(event);
    } else if (!stopRecording && pending.length < PENDING_EVENTS_MAX) {
      pending.push(event);
    }
    if (triggerEvents.has(tag)) {
      fireTrigger();
    }
  };

  /** A page load as a `$navigation` event; the privacy processor redacts its URL. */
  const pushLoadNavigation = () => {
    pushCustom(ReservedEvent.Navigation, { kind: 'load', url: location.href } satisfies NavigationPayload);
  };

  const onSessionChange = () => {
    if (!session) {
      return;
    }
    // Everything buffered so far belongs to the old session.
    sealBuffer();
    held = [];
    heldSessionId = undefined;
    consoleEntries = 0;
    consoleCapReported = false;
    triggered = readTriggered();
    sampledOut = sampleValue(session.sessionId) >= sampleRate;
    if (sampledOut) {
      stopInternal();
    } else {
      takeFullSnapshotSoon();
      pushLoadNavigation();
    }
    refreshStatus();
    notify();
  };

  const readTriggered = (): boolean => {
    try {
      return !!session && localStorage.getItem(TRIGGERED_KEY) === session.sessionId;
    } catch {
      return false;
    }
  };

  const scheduleIdleCheck = (delay: number) => {
    if (idleTimer !== undefined) {
      return;
    }
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      const quietFor = Date.now() - lastActivityAt;
      if (quietFor >= userIdleTimeoutMs) {
        userIdle = true;
        refreshStatus();
        void flushNow();
      } else {
        scheduleIdleCheck(userIdleTimeoutMs - quietFor);
      }
    }, delay);
  };

  const onActivity = (now: number) => {
    const quietFor = now - lastActivityAt;
    lastActivityAt = now;
    if (!session) {
      return;
    }
    // Shared storage is read at most once a second while the user is busy (other tabs'
    // rotations arrive through the storage event anyway); always after a pause.
    if (
      quietFor < SESSION_CHECK_INTERVAL_MS &&
      !userIdle &&
      now - lastSessionCheck < SESSION_CHECK_INTERVAL_MS
    ) {
      return;
    }
    lastSessionCheck = now;
    const change = session.check(now);
    if (change) {
      onSessionChange();
    } else if (userIdle) {
      // Back from idle: a fresh full snapshot, since the noise in between was not sent.
      takeFullSnapshotSoon();
    }
    if (userIdle) {
      userIdle = false;
      refreshStatus();
    }
    if (now - lastActivityWrite > ACTIVITY_WRITE_INTERVAL_MS) {
      lastActivityWrite = now;
      session.touch(now);
    }
    scheduleIdleCheck(userIdleTimeoutMs);
  };

  let clicks: ClickDetector | undefined;

  let firstSnapshotMarked = false;

  const onRrwebEvent = (event: RecordedEvent) => {
    try {
      if (!firstSnapshotMarked && event.type === EventType.FullSnapshot) {
        firstSnapshotMarked = true;
        // Shows in the browser's performance tools, and lets the benchmark time the first snapshot.
        performance.mark?.('replaykit:first-full-snapshot');
      }
      const activity = isUserActivity(event);
      if (activity) {
        onActivity(Date.now());
      }
      if (!stopRecording) {
        return;
      }
      if (blockedPage) {
        return;
      }
      if (userIdle && event.type === EventType.IncrementalSnapshot && !activity) {
        // Idle: DOM noise (timers, animations) is not worth sending.
        return;
      }
      if (event.type === EventType.IncrementalSnapshot && clicks) {
        const data = event.data as { source?: number; type?: number; id?: number; x?: number; y?: number };
        if (data.source === IncrementalSource.Mutation) {
          clicks.cancelDead();
        } else if (
          data.source === IncrementalSource.MouseInteraction &&
          data.type === MouseInteraction.Click
        ) {
          const node = typeof data.id === 'number' ? record.mirror.getNode(data.id) : null;
          clicks.click(data.x ?? 0, data.y ?? 0, event.timestamp, node instanceof Element ? node : null);
        }
      }
      accept(event);
    } catch (error) {
      // Nothing replaykit does may break the host page.
      lastError = `event handling failed: ${String(error)}`;
    }
  };

  // ------------------------------------------------------------ page lifecycle

  const onPageHide = (event: PageTransitionEvent) => {
    try {
      if (transport) {
        transport.pageHidden = true;
      }
      sealBuffer();
      delivery?.persistPending();
      if (transport && delivery) {
        // Batches still queued (even one in flight) are sent now; the server drops repeats by seq.
        for (const batch of delivery.pending) {
          transport.sendOnPageHide(batch);
        }
      }
      if (session && !event.persisted) {
        session.markClosed();
        markWindow(session.currentWindowId, 0);
      }
    } catch {
      // Best effort: what was not sent is in IndexedDB.
    }
  };

  const onPageShow = () => {
    if (transport) {
      transport.pageHidden = document.visibilityState === 'hidden';
    }
    session?.markOpen();
  };

  const onVisibilityChange = () => {
    if (transport) {
      transport.pageHidden = document.visibilityState === 'hidden';
    }
    if (document.visibilityState === 'hidden') {
      sealBuffer();
      // The page may be closed next: whatever is unsent must be found by the next page.
      delivery?.persistPending();
      void delivery?.drain();
    }
  };

  const onOnline = () => {
    void delivery?.retryNow();
  };

  const onStorage = (event: StorageEvent) => {
    if (event.key === SESSION_KEY && session) {
      if (session.check(Date.now()) === 'other_tab') {
        onSessionChange();
      }
    }
  };

  const onNavigation = (payload: NavigationPayload) => {
    if (options.captureNavigation !== false) {
      pushCustom(ReservedEvent.Navigation, payload);
    }
    clicks?.cancelDead();
    applyUrlRules();
  };

  const applyUrlRules = () => {
    const url = location.href;
    const blocked = matchesUrl(url, options.blockedUrls);
    if (blocked !== blockedPage) {
      blockedPage = blocked;
      if (!blocked) {
        takeFullSnapshotSoon();
      } else {
        void flushNow();
      }
    }
    if (!triggered && matchesUrl(url, triggerUrls)) {
      fireTrigger();
    }
    refreshStatus();
  };

  // ------------------------------------------------------------ start / stop

  const ensurePipeline = () => {
    session ??= new SessionState(Date.now(), {
      idleTimeoutMs: options.sessionIdleTimeoutMs,
      maxDurationMs: options.sessionMaxDurationMs,
    });
    if (!delivery) {
      compressor = createCompressor({ useWorker: options.useWorker });
      // The page's fetch as it is now, before replaykit's own wrapper: our requests never show up in the recording.
      const pageFetch = window.fetch.bind(window);
      transport = new Transport(options.endpoint, options.writeKey, compressor, pageFetch);
      const store = options.persistQueue === false ? undefined : new IndexedDbBatchStore(transport.url);
      const currentSession = session;
      let foreignSeq = 0;
      delivery = new Delivery({
        send: (batch) => (transport as Transport).send(batch),
        store,
        memoryMaxBytes: maxMemoryBytes,
        takeSeq: (windowId) =>
          windowId === currentSession.currentWindowId
            ? currentSession.takeSeq()
            : Date.now() * 1000 + (foreignSeq++ % 1000),
        onDropped: (payload: DroppedPayload) => {
          if (stopRecording) {
            accept(customEvent(ReservedEvent.Dropped, payload));
          }
        },
        onNeedFullSnapshot: takeFullSnapshotSoon,
      });
      if (store) {
        const windowId = session.currentWindowId;
        // In a task of its own: opening IndexedDB is not worth delaying the first snapshot.
        setTimeout(() => {
          void store
            .takeOver(windowId)
            .then((batches) => {
              if (batches.length > 0 && delivery) {
                delivery.restore(batches);
                void delivery.drain();
              }
            })
            .catch(() => undefined);
        }, 0);
      }
    }
    return session;
  };

  const installCaptures = () => {
    const emitError = (payload: ErrorPayload) => pushCustom(ReservedEvent.Error, payload);
    if (options.captureErrors !== false) {
      uninstallCaptures.push(captureErrors(emitError));
    }
    uninstallCaptures.push(captureNavigation(onNavigation));
    if (options.console !== false) {
      const levels = options.console?.levels ?? DEFAULT_CONSOLE_LEVELS;
      uninstallCaptures.push(
        captureConsole(levels, (payload) => {
          if (consoleEntries >= CONSOLE_MAX_ENTRIES) {
            if (!consoleCapReported) {
              consoleCapReported = true;
              pushCustom(ReservedEvent.Dropped, { reason: 'console_cap', count: 1 } satisfies DroppedPayload);
            }
            return;
          }
          consoleEntries++;
          pushCustom(ReservedEvent.Console, payload);
        }),
      );
    }
    if (options.network !== false && (options.network?.enabled ?? true)) {
      uninstallCaptures.push(
        captureNetwork({
          options: options.network || {},
          ownUrlPrefix: (transport as Transport).url.split('?')[0] as string,
          redact,
          emit: (payload) => pushCustom(ReservedEvent.Network, payload),
        }),
      );
    }
    if (options.captureClicks !== false) {
      clicks = new ClickDetector(
        (payload) => pushCustom(ReservedEvent.RageClick, payload),
        (payload) => pushCustom(ReservedEvent.DeadClick, payload),
      );
    }
  };

  const stopInternal = () => {
    stopRecording?.();
    stopRecording = undefined;
    for (const uninstall of uninstallCaptures) {
      try {
        uninstall();
      } catch {
        // Keep uninstalling the rest.
      }
    }
    uninstallCaptures = [];
    clicks?.reset();
    clicks = undefined;
    for (const timer of [flushTimer, holdTimer, idleTimer]) {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    }
    if (checkpointTimer !== undefined) {
      clearInterval(checkpointTimer);
    }
    flushTimer = holdTimer = idleTimer = checkpointTimer = undefined;
    if (activeRecorder === recorder) {
      activeRecorder = undefined;
    }
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('pageshow', onPageShow);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('storage', onStorage);
    document.removeEventListener('visibilitychange', onVisibilityChange);
  };

  const startInternal = () => {
    if (stopRecording) {
      return;
    }
    if (optedOut()) {
      refreshStatus();
      return;
    }
    if (activeRecorder && activeRecorder !== recorder) {
      throw new Error(
        'Another replaykit recorder is already recording on this page, and rrweb supports one per page. ' +
          'Stop it first, or share one recorder (the React <RecordingProvider> does this for you).',
      );
    }
    const current = ensurePipeline();
    const change = current.check(Date.now());
    if (change) {
      held = [];
    }
    sampledOut = sampleValue(current.sessionId) >= sampleRate;
    if (sampledOut) {
      refreshStatus();
      return;
    }
    triggered = readTriggered();
    blockedPage = matchesUrl(location.href, options.blockedUrls);
    if (!triggered && matchesUrl(location.href, triggerUrls)) {
      triggered = true;
    }
    activeRecorder = recorder;
    lastActivityAt = Date.now();
    userIdle = false;
    if (status === 'error') {
      status = 'idle';
    }
    const canvas = options.canvas === true ? {} : options.canvas || undefined;
    try {
      // Set before record() returns: rrweb emits the first full snapshot synchronously.
      stopRecording = () => undefined;
      const stop = record({
        emit: (event) => onRrwebEvent(event as RecordedEvent),
        ...privacy.options,
        checkoutEveryNms: options.checkoutIntervalMs ?? CHECKOUT_INTERVAL_MS,
        recordCanvas: canvas !== undefined,
        ...(canvas
          ? {
              sampling: { canvas: canvas.fps ?? 2 },
              dataURLOptions: { type: 'image/webp', quality: canvas.quality ?? 0.6 },
            }
          : {}),
        collectFonts: false,
        inlineImages: false,
      });
      if (!stop) {
        throw new Error('rrweb did not start recording');
      }
      stopRecording = stop;
    } catch (error) {
      stopRecording = undefined;
      stopInternal();
      setError(`Recording could not start: ${String(error)}`);
      return;
    }
    // After the first snapshot, in the same task: no host code ran in between, so nothing
    // is missed, and the snapshot is not delayed by the wrappers' setup.
    installCaptures();
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    window.addEventListener('online', onOnline);
    window.addEventListener('storage', onStorage);
    document.addEventListener('visibilitychange', onVisibilityChange);
    if (needsTrigger && !triggered) {
      // Keeps the held window near ERROR_BUFFER_MS: a checkpoint starts a new segment.
      checkpointTimer = setInterval(takeFullSnapshotSoon, ERROR_BUFFER_MS);
    }
    scheduleIdleCheck(userIdleTimeoutMs);
    pushLoadNavigation();
    const earlier = pending;
    pending = [];
    for (const event of earlier) {
      accept(event);
    }
    refreshStatus();
    notify();
  };

  const recorder: Recorder & RecorderInternals = {
    start() {
      if (typeof window === 'undefined' || typeof document === 'undefined') {
        throw new Error(
          'recorder.start() needs a browser: call it from an effect, not during server rendering.',
        );
      }
      startRequested = true;
      startInternal();
    },
    stop() {
      startRequested = false;
      if (!stopRecording) {
        refreshStatus();
        return;
      }
      stopInternal();
      // Held data (waiting for a trigger or the minimum duration) is not sent: that is the rule.
      held = [];
      heldSessionId = undefined;
      void flushNow();
      refreshStatus();
    },
    flush() {
      return flushNow();
    },
    capture(name, properties) {
      const problem = checkEventName(name);
      if (problem) {
        throw new Error(`capture(): ${problem}`);
      }
      pushCustom(name, properties ?? {});
    },
    captureError(payload) {
      if (!payload || typeof payload.message !== 'string') {
        throw new Error(
          'captureError(): the payload needs a string `message` (and a `kind`), as in ErrorPayload.',
        );
      }
      pushCustom(ReservedEvent.Error, { ...payload, kind: payload.kind ?? 'captured' });
    },
    identify(userId, traits) {
      if (typeof userId !== 'string' || userId === '') {
        throw new Error('identify(): userId must be a non-empty string, such as your user table id.');
      }
      pushCustom(ReservedEvent.Identify, traits ? { userId, traits } : { userId });
    },
    optOut() {
      optedOutInMemory = true;
      setOptedOut(true);
      if (stopRecording) {
        stopInternal();
      }
      buffer = [];
      bufferBytes = 0;
      held = [];
      pending = [];
      delivery?.clear();
      refreshStatus();
    },
    optIn() {
      optedOutInMemory = false;
      setOptedOut(false);
      if (startRequested) {
        startInternal();
      }
      refreshStatus();
    },
    isOptedOut: optedOut,
    getSessionId: () => session?.sessionId,
    getWindowId: () => session?.currentWindowId,
    getStatus: () => status,
    getLastError: () => lastError,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    compressionMode: () => compressor?.mode,
    pendingBatches: () => delivery?.pending ?? [],
  };
  return recorder;
}
