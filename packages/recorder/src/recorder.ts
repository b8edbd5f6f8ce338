import {
  checkEventName,
  type ErrorPayload,
  EventType,
  IncrementalSource,
  type IngestBatch,
  type RecordedEvent,
  ReservedEvent,
  WIRE_VERSION,
} from '@replaykit/core';
import { record } from '@rrweb/record';
import { createEventProcessor, createPrivacyOptions, type PrivacyConfig } from './privacy';
import { SessionState } from './session';
import { type SendResult, Transport } from './transport';

/** Buffered events are sent this long after the first of them arrived. */
export const FLUSH_DELAY_MS = 2_000;
/** A full snapshot is taken at least this often, so the player can seek cheaply. */
export const CHECKOUT_INTERVAL_MS = 5 * 60 * 1000;
/** First retry delay after a failed delivery; doubles per failure up to the maximum. */
export const RETRY_BASE_DELAY_MS = 1_000;
export const RETRY_MAX_DELAY_MS = 30_000;
/** Custom events captured before the recorder starts are kept, up to this many. */
export const PENDING_EVENTS_MAX = 100;
/** User activity is written to shared storage at most this often. */
const ACTIVITY_WRITE_INTERVAL_MS = 5_000;

/** Where the recorder stands: a finite set, exposed to UIs as is. */
export type RecorderStatus = 'idle' | 'recording' | 'disabled' | 'error';

export interface RecorderOptions {
  /** Base URL of the replaykit server, e.g. `https://replays.example.com`. */
  endpoint: string;
  /** The project's public write key. */
  writeKey: string;
  /** Privacy preset and selectors; defaults to the `balanced` preset. */
  privacy?: PrivacyConfig;
  /** Delay between the first buffered event and its flush. Default {@link FLUSH_DELAY_MS}. */
  flushDelayMs?: number;
}

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
  getSessionId(): string | undefined;
  getWindowId(): string | undefined;
  getStatus(): RecorderStatus;
  /** The last error that put the recorder in the `error` state. */
  getLastError(): string | undefined;
  /** Calls the listener whenever status or session change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

let activeRecorder: Recorder | undefined;

function isUserActivity(event: RecordedEvent): boolean {
  if (event.type !== EventType.IncrementalSnapshot) {
    return false;
  }
  const source = (event.data as { source?: number } | null)?.source;
  return (
    source === IncrementalSource.MouseInteraction ||
    source === IncrementalSource.Input ||
    source === IncrementalSource.Scroll ||
    source === IncrementalSource.TouchMove ||
    source === IncrementalSource.MouseMove
  );
}

function retryDelay(failures: number): number {
  const exponential = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** failures);
  // Full jitter keeps many tabs from retrying in lockstep after an outage.
  return exponential / 2 + Math.random() * (exponential / 2);
}

/** Creates a recorder. Nothing happens until `start()` is called, in a browser. */
export function createRecorder(options: RecorderOptions): Recorder {
  if (!options.endpoint) {
    throw new Error('createRecorder needs `endpoint`, the base URL of your replaykit server.');
  }
  if (!options.writeKey) {
    throw new Error('createRecorder needs `writeKey`, the public write key printed by `replaykit serve`.');
  }
  const flushDelayMs = options.flushDelayMs ?? FLUSH_DELAY_MS;
  const transport = new Transport(options.endpoint, options.writeKey);
  const listeners = new Set<() => void>();
  const processEvent = createEventProcessor(options.privacy);

  let status: RecorderStatus = 'idle';
  let lastError: string | undefined;
  let session: SessionState | undefined;
  let stopRecording: (() => void) | undefined;
  let buffer: RecordedEvent[] = [];
  let pending: RecordedEvent[] = [];
  const queue: IngestBatch[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let draining: Promise<void> | undefined;
  let failures = 0;
  let lastActivityWrite = 0;

  const notify = () => {
    for (const listener of listeners) {
      listener();
    }
  };

  const setStatus = (next: RecorderStatus, error?: string) => {
    if (status !== next || error !== lastError) {
      status = next;
      lastError = error;
      notify();
    }
  };

  const sealBuffer = () => {
    if (flushTimer !== undefined) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
    }
    if (buffer.length === 0 || !session) {
      return;
    }
    queue.push({
      v: WIRE_VERSION,
      sessionId: session.sessionId,
      windowId: session.currentWindowId,
      seq: session.takeSeq(),
      events: buffer,
    });
    buffer = [];
  };

  const handle = (result: SendResult): boolean => {
    switch (result.kind) {
      case 'sent':
        queue.shift();
        failures = 0;
        return true;
      case 'rejected':
        // A 4xx other than 408/429 will not get better by retrying: drop the batch, say why.
        queue.shift();
        console.warn(`[replaykit] the server refused a batch (${result.status}): ${result.reason}`);
        return true;
      case 'retry': {
        const delay = result.afterMs ?? retryDelay(failures);
        failures++;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          void drain();
        }, delay);
        return false;
      }
      default:
        return result satisfies never;
    }
  };

  const drain = (): Promise<void> => {
    if (draining) {
      return draining;
    }
    if (retryTimer !== undefined) {
      return Promise.resolve();
    }
    draining = (async () => {
      try {
        while (queue.length > 0) {
          const head = queue[0];
          if (!head) {
            break;
          }
          // One request in flight per window keeps the server's view in order.
          if (!handle(await transport.send(head))) {
            break;
          }
        }
      } finally {
        draining = undefined;
      }
    })();
    return draining;
  };

  const onEvent = (event: RecordedEvent) => {
    buffer.push(processEvent(event));
    if (
      isUserActivity(event) &&
      session &&
      event.timestamp - lastActivityWrite > ACTIVITY_WRITE_INTERVAL_MS
    ) {
      lastActivityWrite = event.timestamp;
      session.touch(event.timestamp);
    }
    if (flushTimer === undefined) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        sealBuffer();
        void drain();
      }, flushDelayMs);
    }
  };

  const onPageHide = () => {
    sealBuffer();
    // Batches still queued (even one in flight) are resent: the server drops repeats by seq.
    for (const batch of queue) {
      transport.sendOnPageHide(batch);
    }
  };

  const onVisibilityChange = () => {
    if (document.visibilityState === 'hidden') {
      onPageHide();
    }
  };

  const pushCustom = (tag: string, payload: unknown) => {
    if (status === 'recording' && stopRecording) {
      try {
        record.addCustomEvent(tag, payload);
        return;
      } catch {
        // rrweb throws when it is not recording; fall through and buffer it ourselves.
      }
    }
    const event: RecordedEvent = { type: EventType.Custom, data: { tag, payload }, timestamp: Date.now() };
    if (status === 'recording') {
      onEvent(event);
    } else if (pending.length < PENDING_EVENTS_MAX) {
      pending.push(event);
    }
  };

  const recorder: Recorder = {
    start() {
      if (status === 'recording') {
        return;
      }
      if (typeof window === 'undefined' || typeof document === 'undefined') {
        throw new Error(
          'recorder.start() needs a browser: call it from an effect, not during server rendering.',
        );
      }
      if (activeRecorder && activeRecorder !== recorder) {
        throw new Error(
          'Another replaykit recorder is already recording on this page, and rrweb supports one per page. ' +
            'Stop it first, or share one recorder (the React <RecordingProvider> does this for you).',
        );
      }
      session ??= new SessionState();
      activeRecorder = recorder;
      try {
        const stop = record({
          emit: (event) => onEvent(event as RecordedEvent),
          ...createPrivacyOptions(options.privacy),
          checkoutEveryNms: CHECKOUT_INTERVAL_MS,
          recordCanvas: false,
          collectFonts: false,
          inlineImages: false,
        });
        if (!stop) {
          throw new Error('rrweb did not start recording');
        }
        stopRecording = stop;
      } catch (error) {
        activeRecorder = undefined;
        setStatus('error', `Recording could not start: ${String(error)}`);
        return;
      }
      window.addEventListener('pagehide', onPageHide);
      document.addEventListener('visibilitychange', onVisibilityChange);
      setStatus('recording');
      const earlier = pending;
      pending = [];
      for (const event of earlier) {
        onEvent(event);
      }
    },
    stop() {
      if (status !== 'recording') {
        return;
      }
      stopRecording?.();
      stopRecording = undefined;
      if (activeRecorder === recorder) {
        activeRecorder = undefined;
      }
      window.removeEventListener('pagehide', onPageHide);
      document.removeEventListener('visibilitychange', onVisibilityChange);
      setStatus('idle');
      sealBuffer();
      void drain();
    },
    flush() {
      sealBuffer();
      return drain();
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
        throw new Error('captureError(): the payload needs a string `message` (and a `kind`), as in ErrorPayload.');
      }
      pushCustom(ReservedEvent.Error, payload);
    },
    identify(userId, traits) {
      if (typeof userId !== 'string' || userId === '') {
        throw new Error('identify(): userId must be a non-empty string, such as your user table id.');
      }
      pushCustom(ReservedEvent.Identify, traits ? { userId, traits } : { userId });
    },
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
  };
  return recorder;
}
