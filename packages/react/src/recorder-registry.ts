import { createRecorder, type Recorder, type RecorderOptions } from '@replaykit/recorder';

/**
 * One recorder per page, shared by every provider. Providers acquire and release it; the
 * last release stops it at once, so nothing the page does after its provider went is
 * recorded. StrictMode's mount → unmount → mount and a provider remounted in the same commit
 * acquire it again in the same run of React's effects: for them the stop waits for the end of
 * that run (a microtask), and they keep the same recording (no second full snapshot).
 */
interface Entry {
  recorder: Recorder;
  key: string;
  references: number;
  /** Released by its last provider while one was expected back: stopped in a microtask unless acquired again. */
  stopPending: boolean;
  /** The latest options of the provider that last acquired it with these options: whose functions it calls. */
  latest: () => RecorderOptions;
}

let entry: Entry | undefined;

/**
 * Providers committed (or shown again by `<Activity>`) whose passive effects have not run yet.
 * React runs a commit's effect cleanups before its new effects: a provider remounted in one
 * commit (a new `key`, a new parent), or hidden as another is shown, releases the recorder
 * before its successor acquires it. A provider mounted hidden is not one of them.
 */
const arriving = new Set<object>();

/** Says that `provider` was committed or shown and will acquire (or not, if disabled) when its effects run. */
export function expectProvider(provider: object): void {
  arriving.add(provider);
}

/** Its effects have run, or it was removed before they could. */
export function forgetProvider(provider: object): void {
  arriving.delete(provider);
}

/**
 * The options' content as text, to compare two sets of options. Every serialisable option
 * counts, so options the recorder adds later are compared too; a RegExp (a `UrlPattern`),
 * which JSON writes as `{}`, counts by its source and flags. A function counts by being
 * there, not by identity: an inline one is new on every render, and `withLatestFunctions`
 * makes the recorder call the latest.
 */
export function optionsKey(options: RecorderOptions): string {
  return JSON.stringify(options, (_key, value: unknown) =>
    value instanceof RegExp
      ? { RegExp: String(value) }
      : typeof value === 'function'
        ? { function: true }
        : value && typeof value === 'object' && !Array.isArray(value)
          ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
          : value,
  );
}

/**
 * A copy of `options` in which each function (such as `network.transform`) calls the one at
 * the same place in `latest()`: the recorder keeps the options it was created with, and a
 * host's callback would otherwise run with the props of the first render.
 */
function withLatestFunctions(options: RecorderOptions, latest: () => RecorderOptions): RecorderOptions {
  const copy = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'function') {
      return (...args: unknown[]) => {
        let current: unknown = latest();
        for (const key of path) {
          current = (current as Record<string, unknown> | undefined)?.[key];
        }
        // Gone from the latest options: the recorder is being replaced (a function counts by being there).
        return (typeof current === 'function' ? current : value)(...args);
      };
    }
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(value).map(([key, entry]) => [key, copy(entry, [...path, key])]),
      );
    }
    return value;
  };
  return copy(options, []) as RecorderOptions;
}

/**
 * Takes a reference to the page's recorder, creating and starting it on first use. The
 * recorder calls the functions of `latest()` (the acquiring provider's latest render), also
 * when a provider remounted in the same commit takes over the recorder of the one that left.
 */
export function acquireRecorder(options: RecorderOptions, latest: () => RecorderOptions): Recorder {
  const key = optionsKey(options);
  if (entry && entry.key !== key) {
    if (entry.references > 0) {
      console.warn(
        '[replaykit] Two <RecordingProvider>s with different options are mounted; the first one’s recorder is ' +
          'shared. Mount one provider near the root of the app.',
      );
      entry.references++;
      return entry.recorder;
    }
    // The old recorder is only waiting for its deferred stop: replace it now.
    stopEntry(entry);
  }
  if (!entry) {
    const created: Entry = {
      recorder: createRecorder(withLatestFunctions(options, () => created.latest())),
      key,
      references: 0,
      stopPending: false,
      latest,
    };
    entry = created;
  }
  // The provider that left is frozen at its last render: its functions would read stale props.
  entry.latest = latest;
  entry.stopPending = false;
  entry.references++;
  entry.recorder.start();
  return entry.recorder;
}

function stopEntry(current: Entry): void {
  current.stopPending = false;
  current.recorder.stop();
  if (entry === current) {
    entry = undefined;
  }
}

/**
 * Gives back a reference. The last one stops the recorder at once, unless a provider is
 * expected to acquire it again in this run of React's effects: `remountExpected` (StrictMode
 * unmounting a provider whose effect ran in this same run), or a provider committed or shown
 * whose effects have not run yet. Then it stops in a microtask, after that run, if none did.
 */
export function releaseRecorder(recorder: Recorder, remountExpected: boolean): void {
  const current = entry;
  if (!current || current.recorder !== recorder) {
    // Replaced: stopped when it was.
    return;
  }
  current.references = Math.max(0, current.references - 1);
  if (current.references > 0) {
    return;
  }
  if (!remountExpected && arriving.size === 0) {
    stopEntry(current);
    return;
  }
  current.stopPending = true;
  queueMicrotask(() => {
    if (current.stopPending && current.references === 0) {
      stopEntry(current);
    }
  });
}

/** The recorder the page shares, if any provider has created one. */
export function peekRecorder(): Recorder | undefined {
  return entry?.recorder;
}
