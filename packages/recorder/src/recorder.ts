import {
  type ConsoleLevel,
  type DroppedPayload,
  type ErrorPayload,
  isUserActivity,
  type NavigationPayload,
  type RecordedEvent,
  ReservedEvent,
  redactUrl,
} from '@replaykit/core';
import {
  captureCanvas,
  captureConsole,
  captureErrors,
  captureNavigation,
  captureNetwork,
  listen,
  matchesUrl,
} from './capture';
import { type ClickDetector, createClickDetector } from './clicks';
import { createCompressor } from './compress';
import { isOptedOut, PENDING_EVENTS_MAX, setOptedOut } from './consent';
import { createDelivery, type Delivery, droppedMarker, sumLengths } from './delivery';
import {
  ACTIVITY_WRITE_INTERVAL_MS,
  CANVAS_FPS,
  CANVAS_QUALITY,
  CHECKOUT_INTERVAL_MS,
  CONSOLE_MAX_ENTRIES,
  ERROR_BUFFER_MS,
  EVENT_MAX_BYTES,
  FLUSH_DELAY_MS,
  FLUSH_SIZE_BYTES,
  MEMORY_MAX_BYTES,
  USER_IDLE_TIMEOUT_MS,
} from './limits';
import type { RecorderOptions } from './options';
import { createBatchStore, markWindow } from './persist';
import { createPrivacy, elementOf } from './privacy';
import { createSessionState, readStored, SESSION_KEY, type SessionState, writeStored } from './session';
import { createTransport, ingestUrl, type Transport } from './transport';
import { record } from './vendor/rrweb-record.js';

export type { RecorderOptions };

/** rrweb's default `blockClass`, which replaykit leaves as it is. */
const RRWEB_BLOCK_CLASS = 'rr-block';

/**
 * Where the recorder stands, a finite set exposed to UIs as is:
 * - `idle`: not started (or stopped);
 * - `recording`: recording and sending;
 * - `buffering`: recording, but holding events back (minimum duration, waiting for a
 *   trigger, or buffer-until-error);
 * - `paused`: on a blocked URL, or the user has been idle (nothing is sent meanwhile);
 * - `disabled`: opted out, or this session is sampled out;
 * - `error`: recording could not start, or the server refused the write key, origin or endpoint
 *   (see `getLastError()`).
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

/** Shared session state is checked at most this often during continuous activity, in ms. */
const SESSION_CHECK_INTERVAL_MS = 1_000;

const DEFAULT_CONSOLE_LEVELS: ConsoleLevel[] = ['log', 'info', 'warn', 'error'];

/** localStorage key: the session (by id) in which a trigger fired, so every page of it records. */
const TRIGGERED_KEY = 'replaykit:triggered';

// rrweb's wire values (core's EventType, IncrementalSource, MouseInteraction) as plain
// numbers, which the minifier inlines.
const FULL_SNAPSHOT = 2;
const INCREMENTAL_SNAPSHOT = 3;
const META = 4;
const CUSTOM = 5;
const SOURCE_MUTATION = 0;
const SOURCE_MOUSE_INTERACTION = 2;
const MOUSE_CLICK = 2;

/**
 * The page's last stopped recorder, which still has batches to send: it hands them to the next
 * recorder that records with the same endpoint and key (a React provider mounted again makes a
 * new one), which sends them, on page hide too, and drops its own page-hide listener.
 */
let stoppedWithBatches: ((taker: Delivery, url: string) => void) | undefined;

/** A stable number in [0, 1) from a session id, so every tab samples a session the same way. */
export function sampleValue(sessionId: string): number {
  // FNV-1a: tiny, and evenly spread enough for a sampling decision.
  let hash = 0x811c9dc5;
  for (let index = 0; index < sessionId.length; index++) {
    hash = Math.imul(hash ^ sessionId.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}

/** The recording pipeline: a {@link Recorder} whose one listener is given at creation. */
export type RecorderEngine = Omit<Recorder, 'subscribe'>;

/**
 * Creates the recording pipeline behind the facade (`createRecorder` in `lazy.ts`), which
 * checks every argument first and owns the listeners; `onChange` is called whenever status
 * or session change. Nothing happens until `start()` is called, in a browser.
 */
export function createRecorder(
  options: RecorderOptions,
  onChange: () => void = () => undefined,
): RecorderEngine {
  const flushDelayMs = options.flushDelayMs ?? FLUSH_DELAY_MS;
  const flushSizeBytes = options.flushSizeBytes ?? FLUSH_SIZE_BYTES;
  const maxEventBytes = options.maxEventBytes ?? EVENT_MAX_BYTES;
  const canvas = options.canvas === true ? {} : options.canvas || undefined;
  const canvasQuality = canvas?.quality ?? CANVAS_QUALITY;
  const maxMemoryBytes = options.maxMemoryBytes ?? MEMORY_MAX_BYTES;
  const userIdleTimeoutMs = options.userIdleTimeoutMs ?? USER_IDLE_TIMEOUT_MS;
  const sampleRate = options.sampleRate ?? 1;
  const minimumDurationMs = options.minimumDurationMs ?? 0;
  const persistQueue = options.persistQueue !== false;
  const { bufferUntilError, blockedUrls } = options;
  const triggerUrls = options.triggers?.urls ?? [];
  const triggerEvents = new Set([
    ...(options.triggers?.events ?? []),
    ...(bufferUntilError
      ? [ReservedEvent.Error, ...((bufferUntilError !== true && bufferUntilError.events) || [])]
      : []),
  ]);
  const needsTrigger = triggerUrls.length > 0 || triggerEvents.size > 0;
  const privacy = createPrivacy(options.privacy);

  let status: RecorderStatus = 'idle';
  let lastError: string | undefined;
  let startRequested = false;
  let optedOutInMemory = false;
  let session: SessionState | undefined;
  let delivery: Delivery | undefined;
  let transport: Transport | undefined;
  /** The page's fetch as it was before replaykit's wrapper: the transport's, so our requests never show up in the recording. */
  let pageFetch: typeof fetch | undefined;
  let recording = false;
  let stopRrweb: (() => void) | undefined;
  const uninstall: Array<() => void> = [];
  /** stop()'s page-hide send, kept while anything stop() left is unsent (and not handed over). */
  const leftover: Array<() => void> = [];
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
  let snapshotQueued = false;
  let firstSnapshotMarked = false;
  let clicks: ClickDetector | undefined;

  const notify = onChange;

  const optedOut = () => optedOutInMemory || isOptedOut();

  /**
   * When opted out (here or in another tab): stops recording and discards what is unsent, in
   * memory and IndexedDB (but the batch in flight). True when it did.
   */
  const honourOptOut = (): boolean => {
    const out = optedOut();
    if (out) {
      stopInternal();
      buffer = [];
      bufferBytes = 0;
      held = [];
      pending = [];
      delivery?.clear();
      refreshStatus();
    }
    return out;
  };

  const holdReason = (): 'minimum_duration' | 'trigger' | undefined =>
    needsTrigger && !triggered
      ? 'trigger'
      : session && minimumDurationMs > 0 && Date.now() - session.startedAt < minimumDurationMs
        ? 'minimum_duration'
        : undefined;

  const refreshStatus = () => {
    const next: RecorderStatus =
      status === 'error'
        ? 'error'
        : !startRequested
          ? 'idle'
          : optedOut() || sampledOut
            ? 'disabled'
            : !recording
              ? 'idle'
              : blockedPage || userIdle
                ? 'paused'
                : holdReason()
                  ? 'buffering'
                  : 'recording';
    if (next !== status) {
      status = next;
      notify();
    }
  };

  const takeFullSnapshotSoon = () => {
    // Never from inside rrweb's own emit: defer to a task of our own.
    if (!snapshotQueued && recording) {
      snapshotQueued = true;
      setTimeout(() => {
        snapshotQueued = false;
        try {
          if (recording) {
            record.takeFullSnapshot(true);
          }
        } catch {
          // Not recording any more.
        }
      });
    }
  };

  // ------------------------------------------------------------ buffering

  const sealBuffer = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (buffer.length > 0 && session && bufferSessionId) {
      const windowId = session.currentWindowId;
      deliveryFor(session).enqueue({
        sessionId: bufferSessionId,
        windowId,
        seq: session.takeSeq(),
        events: buffer,
        bytes: bufferBytes,
        createdAt: Date.now(),
      });
      buffer = [];
      bufferBytes = 0;
      bufferSessionId = undefined;
      markWindow(windowId, Date.now());
    }
  };

  const flushNow = (): Promise<void> => {
    sealBuffer();
    return delivery?.drain() ?? Promise.resolve();
  };

  const appendToBuffer = (json: string, sessionId: string) => {
    if (bufferSessionId !== sessionId) {
      sealBuffer();
    }
    bufferSessionId = sessionId;
    buffer.push(json);
    bufferBytes += json.length;
    if (bufferBytes >= flushSizeBytes) {
      void flushNow();
    } else {
      flushTimer ??= setTimeout(flushNow, flushDelayMs);
    }
  };

  const hold = (json: string, event: RecordedEvent, sessionId: string) => {
    if (heldSessionId !== sessionId) {
      held = [];
      heldSessionId = sessionId;
    }
    if (event.type === META || held.length === 0) {
      held.push([]);
    }
    held[held.length - 1]?.push(json);
    const reason = holdReason();
    // Waiting for a trigger keeps the last ~60 s: the segment being written and the one before.
    if (reason === 'trigger' && held.length > 2) {
      held.splice(0, held.length - 2);
    }
    if (held.length > 1 && sumLengths(held.flat()) > maxMemoryBytes) {
      const [dropped = []] = held.splice(0, 1);
      held[0]?.unshift(
        droppedMarker(
          { reason: 'buffer_full', count: dropped.length, bytes: sumLengths(dropped) },
          event.timestamp,
        ),
      );
    }
    if (reason === 'minimum_duration' && holdTimer === undefined && session) {
      holdTimer = setTimeout(
        () => {
          holdTimer = undefined;
          release();
        },
        session.startedAt + minimumDurationMs - Date.now(),
      );
    }
  };

  /** Sends what was held back, once nothing holds it any more. */
  const release = () => {
    refreshStatus();
    const sessionId = heldSessionId;
    const events = held.flat();
    if (!holdReason() && sessionId) {
      dropHeld();
      for (const json of events) {
        appendToBuffer(json, sessionId);
      }
      void flushNow();
    }
  };

  const dropHeld = () => {
    held = [];
    heldSessionId = undefined;
  };

  const fireTrigger = () => {
    if (!triggered && session) {
      triggered = true;
      // Without storage, the trigger lasts for this page only.
      writeStored('localStorage', TRIGGERED_KEY, session.sessionId);
      clearInterval(checkpointTimer);
      checkpointTimer = undefined;
      release();
    }
  };

  // ------------------------------------------------------------ events

  const accept = (event: RecordedEvent) => {
    if (!session) {
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(privacy.processEvent(event));
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
    const event: RecordedEvent = { type: CUSTOM, data: { tag, payload }, timestamp: Date.now() };
    if (!recording) {
      if (pending.length < PENDING_EVENTS_MAX) {
        pending.push(event);
      }
    } else if (!blockedPage) {
      accept(event);
    }
    if (triggerEvents.has(tag)) {
      fireTrigger();
    }
  };

  /** A page load as a `$navigation` event; the privacy processor redacts its URL. */
  const pushLoadNavigation = () => {
    pushCustom(ReservedEvent.Navigation, { kind: 'load', url: location.href } satisfies NavigationPayload);
  };

  /** Reads a session's trigger and sampling decisions; true when it is sampled out. */
  const adoptSession = (sessionId: string): boolean => {
    triggered = readStored('localStorage', TRIGGERED_KEY) === sessionId;
    sampledOut = sampleValue(sessionId) >= sampleRate;
    return sampledOut;
  };

  const onSessionChange = () => {
    if (!session) {
      return;
    }
    // Everything buffered so far belongs to the old session.
    sealBuffer();
    dropHeld();
    consoleEntries = 0;
    if (adoptSession(session.sessionId)) {
      stopInternal();
    } else {
      takeFullSnapshotSoon();
      pushLoadNavigation();
    }
    refreshStatus();
    notify();
  };

  const scheduleIdleCheck = (delay: number) => {
    idleTimer ??= setTimeout(() => {
      idleTimer = undefined;
      const quietFor = Date.now() - lastActivityAt;
      if (quietFor < userIdleTimeoutMs) {
        scheduleIdleCheck(userIdleTimeoutMs - quietFor);
      } else {
        userIdle = true;
        refreshStatus();
        void flushNow();
      }
    }, delay);
  };

  const onActivity = (now: number) => {
    const quietFor = now - lastActivityAt;
    lastActivityAt = now;
    // Shared storage is read at most once a second while the user is busy (other tabs'
    // rotations arrive through the storage event anyway); always after a pause.
    if (
      !session ||
      (quietFor < SESSION_CHECK_INTERVAL_MS &&
        !userIdle &&
        now - lastSessionCheck < SESSION_CHECK_INTERVAL_MS)
    ) {
      return;
    }
    lastSessionCheck = now;
    if (session.check(now)) {
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

  const onRrwebEvent = (event: RecordedEvent) => {
    try {
      const { type } = event;
      if (!firstSnapshotMarked && type === FULL_SNAPSHOT) {
        firstSnapshotMarked = true;
        // Shows in the browser's performance tools, and lets the benchmark time the first snapshot.
        performance.mark?.('replaykit:first-full-snapshot');
      }
      const activity = isUserActivity(event);
      if (activity) {
        onActivity(Date.now());
      }
      // Idle: DOM noise (timers, animations) is not worth sending.
      if (!recording || blockedPage || (userIdle && type === INCREMENTAL_SNAPSHOT && !activity)) {
        return;
      }
      if (type === INCREMENTAL_SNAPSHOT && clicks) {
        const data = event.data as { source?: number; type?: number; id?: number; x?: number; y?: number };
        if (data.source === SOURCE_MUTATION) {
          clicks.cancelDead();
        } else if (data.source === SOURCE_MOUSE_INTERACTION && data.type === MOUSE_CLICK) {
          clicks.click(data.x ?? 0, data.y ?? 0, event.timestamp, elementOf(data.id));
        }
      }
      accept(event);
    } catch (error) {
      // Nothing replaykit does may break the host page.
      lastError = `event handling failed: ${String(error)}`;
    }
  };

  // ------------------------------------------------------------ page lifecycle

  const syncHidden = () => {
    if (transport) {
      transport.pageHidden = document.visibilityState === 'hidden';
    }
  };

  /** Seals the buffer and writes what is unsent to IndexedDB: the page may be closed next. */
  const secure = () => {
    sealBuffer();
    delivery?.persistPending();
  };

  const onPageHide = (event: PageTransitionEvent) => {
    try {
      // A stopped recorder (its storage listener gone) learns of another tab's opt-out here.
      if (honourOptOut()) {
        return;
      }
      // Sealing makes the transport if the page goes away before the first snapshot; it sends nothing itself.
      secure();
      if (transport) {
        transport.pageHidden = true;
      }
      // Batches still queued (even one in flight) are sent now; the server drops repeats by seq.
      for (const batch of delivery?.pending ?? []) {
        transport?.sendOnPageHide(batch);
      }
      if (session && !event.persisted) {
        markWindow(session.currentWindowId, 0);
      }
    } catch {
      // Best effort: what was not sent is in IndexedDB.
    }
  };

  const onNavigation = (payload: NavigationPayload) => {
    if (options.captureNavigation !== false) {
      pushCustom(ReservedEvent.Navigation, payload);
    }
    clicks?.cancelDead();
    const url = location.href;
    const blocked = matchesUrl(url, blockedUrls);
    if (blocked !== blockedPage) {
      blockedPage = blocked;
      if (blocked) {
        void flushNow();
      } else {
        takeFullSnapshotSoon();
      }
    }
    if (matchesUrl(url, triggerUrls)) {
      fireTrigger();
    }
    refreshStatus();
  };

  // ------------------------------------------------------------ start / stop

  const ensureSession = (): SessionState => {
    session ??= createSessionState(Date.now(), {
      idleTimeoutMs: options.sessionIdleTimeoutMs,
      maxDurationMs: options.sessionMaxDurationMs,
    });
    return session;
  };

  /**
   * Compression, transport, delivery and the IndexedDB queue, made on first need: the first
   * flush needs them, the first snapshot does not.
   */
  const deliveryFor = (current: SessionState): Delivery => {
    if (!delivery) {
      const pageTransport = createTransport(
        options.endpoint,
        options.writeKey,
        createCompressor({ useWorker: options.useWorker }),
        pageFetch ?? window.fetch.bind(window),
      );
      pageTransport.pageHidden = document.visibilityState === 'hidden';
      const store = persistQueue ? createBatchStore(pageTransport.url) : undefined;
      const queue = createDelivery({
        // Checked before each send: a stopped recorder hears no storage event, and another tab's
        // opt-out must still stop its retries. The batch in flight, kept by `clear()`, then goes
        // as if it had landed: out of the queue and out of IndexedDB.
        send: (batch) => (honourOptOut() ? Promise.resolve({ kind: 'sent' }) : pageTransport.send(batch)),
        store,
        memoryMaxBytes: maxMemoryBytes,
        onDropped: (payload: DroppedPayload) => {
          if (recording) {
            accept({ type: CUSTOM, data: { tag: ReservedEvent.Dropped, payload }, timestamp: Date.now() });
          }
        },
        onNeedFullSnapshot: takeFullSnapshotSoon,
        // Everything acknowledged: a stopped recorder's page-hide send has nothing left to do.
        onIdle: () => runAll(leftover),
        onRefused: (refusal) => {
          // Every batch would be refused: recording on would only fill memory and storage.
          stopInternal();
          secure();
          status = 'error';
          lastError = `Recording stopped: ${refusal}. Check writeKey and endpoint; unsent batches are kept.`;
          notify();
        },
      });
      transport = pageTransport;
      delivery = queue;
      // Only a recorder that records has a page-hide send to take them over with.
      if (recording) {
        stoppedWithBatches?.(queue, pageTransport.url);
      }
      if (store) {
        // In a task of its own: opening IndexedDB is not worth delaying the first snapshot.
        setTimeout(() => {
          store
            .takeOver(current.currentWindowId)
            .then((batches) => {
              // After an opt-out, the first send discards them, from IndexedDB too.
              queue.restore(batches);
              void queue.drain();
            })
            .catch(() => undefined);
        });
      }
    }
    return delivery;
  };

  const installCaptures = () => {
    const add = (undo: () => void) => uninstall.push(undo);
    if (options.captureErrors !== false) {
      add(captureErrors((payload) => pushCustom(ReservedEvent.Error, payload)));
    }
    add(captureNavigation(onNavigation));
    if (options.console !== false) {
      add(
        captureConsole(options.console?.levels ?? DEFAULT_CONSOLE_LEVELS, (payload) => {
          consoleEntries++;
          if (consoleEntries <= CONSOLE_MAX_ENTRIES) {
            pushCustom(ReservedEvent.Console, payload);
          } else if (consoleEntries === CONSOLE_MAX_ENTRIES + 1) {
            // One marker says the cap was reached; later calls are not recorded.
            pushCustom(ReservedEvent.Dropped, { reason: 'console_cap', count: 1 } satisfies DroppedPayload);
          }
        }),
      );
    }
    const network = options.network;
    if (network !== false && network?.enabled !== false) {
      add(
        captureNetwork({
          options: network || {},
          ownUrlPrefix: ingestUrl(options.endpoint, options.writeKey).split('?')[0] as string,
          redact: (url) => redactUrl(url, options.privacy?.sensitiveQueryParams),
          emit: (payload) => pushCustom(ReservedEvent.Network, payload),
        }),
      );
    }
    if (canvas) {
      add(
        captureCanvas({
          fps: canvas.fps ?? CANVAS_FPS,
          quality: canvasQuality,
          idOf: (node) => record.mirror.getId(node),
          // rrweb also blocks its default class (rr-block): such a canvas is a placeholder in
          // the snapshot, and its image must not be recorded either.
          blockSelector: `${privacy.options.blockSelector}, .${RRWEB_BLOCK_CLASS}`,
          emit: (data, timestamp) => onRrwebEvent({ type: INCREMENTAL_SNAPSHOT, data, timestamp }),
        }),
      );
    }
    if (options.captureClicks !== false) {
      clicks = createClickDetector(
        (payload) => pushCustom(ReservedEvent.RageClick, payload),
        (payload) => pushCustom(ReservedEvent.DeadClick, payload),
      );
    }
    listen(uninstall, window, {
      pagehide: onPageHide,
      pageshow: syncHidden,
      online: () => {
        void delivery?.retryNow();
      },
      storage: (event: StorageEvent) => {
        // An opt-out in another tab: recording stops and nothing unsent leaves, from here either.
        if (!honourOptOut() && event.key === SESSION_KEY && session?.check(Date.now()) === 'other_tab') {
          onSessionChange();
        }
      },
    });
    listen(uninstall, document, {
      visibilitychange: () => {
        syncHidden();
        if (document.visibilityState === 'hidden') {
          // The page may be closed next: whatever is unsent must be found by the next page.
          secure();
          void delivery?.drain();
        }
      },
    });
  };

  const runAll = (undo: Array<() => void>) => {
    for (const step of undo.splice(0)) {
      try {
        step();
      } catch {
        // Keep uninstalling the rest.
      }
    }
  };

  const stopInternal = () => {
    stopRrweb?.();
    stopRrweb = undefined;
    recording = false;
    runAll(uninstall);
    clicks?.reset();
    clicks = undefined;
    [flushTimer, holdTimer, idleTimer].forEach(clearTimeout);
    clearInterval(checkpointTimer);
    flushTimer = holdTimer = idleTimer = checkpointTimer = undefined;
  };

  const startInternal = () => {
    if (recording) {
      return;
    }
    if (optedOut()) {
      refreshStatus();
      return;
    }
    const current = ensureSession();
    if (current.check(Date.now())) {
      held = [];
    }
    if (adoptSession(current.sessionId)) {
      // Not recorded, but what earlier pages left unsent in IndexedDB still goes out.
      deliveryFor(current);
      refreshStatus();
      return;
    }
    const url = location.href;
    triggered ||= matchesUrl(url, triggerUrls);
    blockedPage = matchesUrl(url, blockedUrls);
    lastActivityAt = Date.now();
    userIdle = false;
    if (status === 'error') {
      status = 'idle';
    }
    // Before record(): a first snapshot over the size threshold is sent from inside it.
    pageFetch ??= window.fetch.bind(window);
    try {
      // Set before record() returns: rrweb emits the first full snapshot synchronously.
      recording = true;
      stopRrweb = record({
        emit: onRrwebEvent as (event: unknown) => void,
        ...privacy.options,
        checkoutEveryNms: options.checkoutIntervalMs ?? CHECKOUT_INTERVAL_MS,
        // Started while the page is still loading, rrweb waits for `load` (every image) by
        // default before its first snapshot and records nothing until then; the DOM is
        // complete at DOMContentLoaded, and stylesheets loading later are added as they load.
        recordAfter: 'DOMContentLoaded',
        // Full snapshots carry each canvas's image; captureCanvas records the changes.
        recordCanvas: !!canvas,
        dataURLOptions: { type: 'image/webp', quality: canvasQuality },
        // collectFonts and inlineImages stay off (rrweb's defaults): fonts and image bytes
        // would multiply what is sent.
      });
      if (!stopRrweb) {
        throw new Error('rrweb did not start recording');
      }
    } catch (error) {
      stopInternal();
      status = 'error';
      lastError = `Recording could not start: ${String(error)}`;
      notify();
      return;
    }
    if (document.readyState === 'loading') {
      // rrweb snapshots at DOMContentLoaded: delivery (and opening IndexedDB, which resends
      // what earlier pages left) waits until right after it, in a listener registered after
      // rrweb's. A flush or page hide before then makes it at once.
      // Not after an opt-out meanwhile: the IndexedDB queue would resend what earlier pages left.
      document.addEventListener(
        'DOMContentLoaded',
        () => {
          if (!optedOut()) {
            deliveryFor(current);
          }
        },
        { capture: true, once: true },
      );
    } else {
      deliveryFor(current);
    }
    // After the first snapshot when the page had loaded, in the same task: no host code ran
    // in between, so nothing is missed. While it loads, the captures start now: host code
    // that runs before DOMContentLoaded is recorded.
    // Only now that it records: the page-hide handler a stop() left goes, for the one recording
    // installs (two would send every batch twice). A start that ends before (opted out, sampled
    // out, rrweb failing) removed it too, and what stop() left unsent no longer went out on page hide.
    runAll(leftover);
    installCaptures();
    if (needsTrigger && !triggered) {
      // Keeps the held window near ERROR_BUFFER_MS: a checkpoint starts a new segment.
      checkpointTimer = setInterval(takeFullSnapshotSoon, ERROR_BUFFER_MS);
    }
    scheduleIdleCheck(userIdleTimeoutMs);
    pushLoadNavigation();
    const earlier = pending;
    pending = [];
    earlier.forEach(accept);
    refreshStatus();
    notify();
  };

  const recorder: RecorderEngine = {
    start() {
      startRequested = true;
      startInternal();
    },
    stop() {
      startRequested = false;
      if (recording) {
        stopInternal();
        // Held data (waiting for a trigger or the minimum duration) is not sent: that is the rule.
        dropHeld();
        // The page may go away before what is left lands (a React provider unmounts on a route
        // change, then the tab is closed): it waits in IndexedDB until acknowledged, for the
        // next page to resend, and page hide still sends it, as while recording (a plain
        // request is cut off by the page going, and IndexedDB may be off or not written yet).
        secure();
        // Until nothing is left (onIdle) or it is handed over: one listener (and recorder) kept
        // for good per stop() piled up on a page that mounts its provider again and again.
        if (delivery) {
          const own = delivery;
          const url = transport?.url;
          listen(leftover, window, { pagehide: onPageHide });
          stoppedWithBatches = (taker, takerUrl) => {
            if (takerUrl === url && !recording) {
              stoppedWithBatches = undefined;
              // A batch in flight stays here too (`clear()` keeps it): the server drops the repeat.
              own.pending.forEach(taker.enqueue);
              // `clear()` deletes the copies this one kept in IndexedDB: the taker writes them
              // again (a crash must not lose them), and sends them now, not at its next flush.
              own.clear();
              taker.persistPending();
              void taker.drain();
              runAll(leftover);
            }
          };
          void own.drain();
        }
      }
      refreshStatus();
    },
    flush: flushNow,
    capture(name, properties) {
      pushCustom(name, properties ?? {});
    },
    captureError(payload) {
      pushCustom(ReservedEvent.Error, { ...payload, kind: payload.kind ?? 'captured' });
    },
    identify(userId, traits) {
      pushCustom(ReservedEvent.Identify, traits ? { userId, traits } : { userId });
    },
    optOut() {
      optedOutInMemory = true;
      setOptedOut(true);
      honourOptOut();
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
  };
  return recorder;
}
