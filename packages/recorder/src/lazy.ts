import { checkEventName, type ErrorPayload } from '@replaykit/core';
import { isOptedOut, PENDING_EVENTS_MAX, setOptedOut } from './consent';
import { type RecorderOptions, validateOptions } from './options';
import type { Recorder, RecorderEngine, RecorderStatus } from './recorder';

/** The facade that has started on this page, to keep rrweb's one-recorder-per-page rule synchronous. */
let startedFacade: Recorder | undefined;

/**
 * Creates a recorder. This is the small part a host imports up front: rrweb and the
 * capture pipeline load with a dynamic import on the first `start()`, and calls made
 * meanwhile are kept (up to `PENDING_EVENTS_MAX`) and replayed in order. Every argument is
 * checked here, synchronously, so the pipeline itself does not check again.
 */
export function createRecorder(options: RecorderOptions): Recorder {
  validateOptions(options);
  const listeners = new Set<() => void>();
  let engine: RecorderEngine | undefined;
  let loading: Promise<void> | undefined;
  let loadError: string | undefined;
  let started = false;
  let calls: Array<(target: RecorderEngine) => void> = [];

  const notify = () => {
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        // One failing listener must not stop the others, nor the recorder.
        console.error('[replaykit] a status listener threw', error);
      }
    }
  };

  const call = (action: (target: RecorderEngine) => void) => {
    if (engine) {
      action(engine);
    } else if (calls.length < PENDING_EVENTS_MAX) {
      calls.push(action);
    }
  };

  const load = (): Promise<void> =>
    (loading ??= import('./recorder').then(
      (module) => {
        const loaded = module.createRecorder(options, notify);
        // Queued calls first (custom events are held by the engine until it starts), then
        // start if this facade is still started: a start/stop pair made while loading never
        // touches rrweb, and only the started facade's engine ever records.
        for (const action of calls) {
          try {
            action(loaded);
          } catch (error) {
            loadError = String(error);
          }
        }
        calls = [];
        engine = loaded;
        if (started) {
          loaded.start();
        }
        notify();
      },
      (error: unknown) => {
        loadError = `The recorder could not load (${String(error)}); check that the page may load its script chunks.`;
        notify();
      },
    ));

  const facade: Recorder = {
    start() {
      if (typeof window === 'undefined' || typeof document === 'undefined') {
        throw new Error(
          'recorder.start() needs a browser: call it from an effect, not during server rendering.',
        );
      }
      if (startedFacade && startedFacade !== facade) {
        throw new Error(
          'Another replaykit recorder is already recording on this page, and rrweb supports one per page. ' +
            'Stop it first, or share one recorder (the React <RecordingProvider> does this for you).',
        );
      }
      startedFacade = facade;
      started = true;
      engine?.start();
      void load();
      notify();
    },
    stop() {
      if (startedFacade === facade) {
        startedFacade = undefined;
      }
      started = false;
      engine?.stop();
      notify();
    },
    flush() {
      if (engine) {
        return engine.flush();
      }
      return loading ? loading.then(() => engine?.flush()) : Promise.resolve();
    },
    capture(name, properties) {
      const problem = checkEventName(name);
      if (problem) {
        throw new Error(`capture(): ${problem}`);
      }
      call((target) => target.capture(name, properties));
    },
    identify(userId, traits) {
      if (typeof userId !== 'string' || userId === '') {
        throw new Error('identify(): userId must be a non-empty string, such as your user table id.');
      }
      call((target) => target.identify(userId, traits));
    },
    captureError(payload: ErrorPayload) {
      if (!payload || typeof payload.message !== 'string') {
        throw new Error(
          'captureError(): the payload needs a string `message` (and a `kind`), as in ErrorPayload.',
        );
      }
      call((target) => target.captureError(payload));
    },
    optOut() {
      setOptedOut(true);
      call((target) => target.optOut());
      notify();
    },
    optIn() {
      setOptedOut(false);
      call((target) => target.optIn());
      notify();
    },
    isOptedOut: () => engine?.isOptedOut() ?? isOptedOut(),
    getSessionId: () => engine?.getSessionId(),
    getWindowId: () => engine?.getWindowId(),
    getStatus(): RecorderStatus {
      if (engine) {
        return engine.getStatus();
      }
      if (loadError) {
        return 'error';
      }
      return started && isOptedOut() ? 'disabled' : 'idle';
    },
    getLastError: () => engine?.getLastError() ?? loadError,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return facade;
}
