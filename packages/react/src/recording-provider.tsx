'use client';

import type { PrivacyConfig, PrivacyPreset, Recorder, RecorderOptions } from '@replaykit/recorder';
import {
  type ReactNode,
  type RefObject,
  useContext,
  useEffect,
  useInsertionEffect,
  useLayoutEffect,
  useRef,
  useState,
  useSyncExternalStore,
  version,
} from 'react';
import { RecordingContext } from './context';
import {
  acquireRecorder,
  expectProvider,
  forgetProvider,
  optionsKey,
  releaseRecorder,
} from './recorder-registry';
import { RecordingHandle, type RecordingSnapshot, SERVER_SNAPSHOT } from './recording-handle';

/** The recorder's options other than those the provider takes as its own props. */
export type RecordingProviderRecorderOptions = Omit<RecorderOptions, 'endpoint' | 'writeKey' | 'privacy'>;

/** A preset name (`'strict'`, `'balanced'`, `'relaxed'`) or a full privacy configuration. */
export type PrivacyProp = PrivacyPreset | PrivacyConfig;

function toPrivacyConfig(privacy: PrivacyProp | undefined): PrivacyConfig | undefined {
  return typeof privacy === 'string' ? { preset: privacy } : privacy;
}

export interface RecordingUser {
  id: string;
  traits?: Record<string, unknown>;
}

export interface RecordingProviderProps {
  /** Base URL of your replaykit server, e.g. `https://replays.example.com`. */
  endpoint: string;
  /** The project's public write key (safe to ship in the browser). */
  projectKey: string;
  /** A preset name or a privacy configuration; the `balanced` preset by default. */
  privacy?: PrivacyProp;
  /** Set to false to not record (for example until the user consents). Default true. */
  enabled?: boolean;
  /** Identifies the session's user whenever the id changes. */
  user?: RecordingUser;
  /** Delay between the first buffered event and its delivery, in ms. */
  flushDelayMs?: number;
  /** Any other recorder option (sampling, limits…), passed through to `createRecorder`. */
  recorderOptions?: RecordingProviderRecorderOptions;
  children?: ReactNode;
}

/**
 * Records the page with rrweb and sends it to your replaykit server. Mount it once near
 * the root; a provider inside another joins the outer one's recording, and remounted
 * providers share the page's single recorder. On the server it renders its children
 * untouched and records nothing.
 */
export function RecordingProvider(props: RecordingProviderProps) {
  const outer = useContext(RecordingContext);
  return outer ? <NestedProvider {...props} outer={outer} /> : <RootProvider {...props} />;
}

/** The provider's props that decide what is recorded, as text: for a nested provider to compare. */
function providerKey(contentKey: string, enabled: boolean, user: RecordingUser | undefined): string {
  return `${contentKey} enabled=${enabled} user=${JSON.stringify(user ?? null)}`;
}

function recorderOptionsOf({
  endpoint,
  projectKey,
  privacy,
  flushDelayMs,
  recorderOptions,
}: RecordingProviderProps): RecorderOptions {
  return {
    ...recorderOptions,
    ...(flushDelayMs === undefined ? {} : { flushDelayMs }),
    endpoint,
    writeKey: projectKey,
    privacy: toPrivacyConfig(privacy),
  };
}

/**
 * A provider inside another: the outer one decides consent, options and user (an inner
 * `enabled` must not record a page the user has not consented to, nor an inner preset loosen
 * the root's), so the inner one only passes the outer's recording down, and says so when its
 * own props would have asked for something else.
 */
function NestedProvider({ outer, ...props }: RecordingProviderProps & { outer: RecordingHandle }) {
  const key = providerKey(optionsKey(recorderOptionsOf(props)), props.enabled ?? true, props.user);
  /** The props last warned about: StrictMode runs the effect twice, and one mistake is one warning. */
  const warned = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (key !== outer.providerKey && key !== warned.current) {
      warned.current = key;
      console.warn(
        '[replaykit] A <RecordingProvider> inside another <RecordingProvider> joins the outer one’s recording; its ' +
          'own props (endpoint, projectKey, privacy, enabled, user, recorderOptions) are ignored. Set them on ' +
          'the outer provider and remove the inner one.',
      );
    }
  }, [key, outer]);
  return props.children;
}

function RootProvider(props: RecordingProviderProps) {
  const { enabled = true, user, children } = props;
  const [handle] = useState(() => new RecordingHandle(!enabled));
  const options = recorderOptionsOf(props);
  // Inline objects are new on every render: the recorder is only replaced when the options'
  // content changes, and the latest options (functions included) are read from a ref.
  const contentKey = optionsKey(options);
  const latestOptions = useRef(options);
  latestOptions.current = options;
  handle.providerKey = providerKey(contentKey, enabled, user);

  const userId = user?.id;
  const userTraits = JSON.stringify(user?.traits ?? null);
  useEffect(() => {
    handle.identifyProviderUser(userId, userTraits);
  }, [handle, userId, userTraits]);

  return (
    <RecordingContext.Provider value={handle}>
      {children}
      <RecorderAttachment
        handle={handle}
        contentKey={contentKey}
        enabled={enabled}
        latestOptions={latestOptions}
      />
    </RecordingContext.Provider>
  );
}

/**
 * Where a provider announces that its effects are about to connect. React 19 runs layout
 * effects when a tree mounts and again when `<Activity>` reveals it, but not in a tree mounted
 * hidden, whose passive effects will not run until it is shown. React 18 has no Activity, and
 * its server renderer warns about every layout effect: there, an insertion effect, which runs
 * once per mount (StrictMode does not run it again) and which the server ignores silently.
 */
const useArrivalEffect = Number.parseInt(version, 10) >= 19 ? useLayoutEffect : useInsertionEffect;

interface RecorderAttachmentProps {
  handle: RecordingHandle;
  /** The options' content as text: a change restarts the recording. */
  contentKey: string;
  enabled: boolean;
  latestOptions: RefObject<RecorderOptions>;
}

/**
 * Attaches the page's recorder to the provider's handle. It renders nothing, after the
 * provider's children: React runs a removed tree's effect cleanups in tree order, so what the
 * children capture or flush as they unmount reaches the recorder before this lets go of it,
 * and mount effects children first, so what they capture on mount is kept until it attaches.
 */
function RecorderAttachment({ handle, contentKey, enabled, latestOptions }: RecorderAttachmentProps) {
  // Runs as the commit is applied, before any passive effect (or cleanup) of it: a provider
  // that this commit removes or hides sees that this one will acquire the recorder.
  const effectsConnected = useRef(false);
  useArrivalEffect(() => {
    // A Suspense boundary that shows again the content it hid runs its layout effects again,
    // but its passive effects stayed connected: that provider is not arriving.
    if (!effectsConnected.current) {
      expectProvider(handle);
    }
    return () => forgetProvider(handle);
  }, [handle]);
  useEffect(() => {
    effectsConnected.current = true;
    forgetProvider(handle);
    return () => {
      effectsConnected.current = false;
    };
  }, [handle]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: contentKey stands for the options' content, read through the ref.
  useEffect(() => {
    handle.setDisabled(!enabled);
    if (!enabled) {
      return;
    }
    let recorder: Recorder;
    try {
      recorder = acquireRecorder(latestOptions.current, () => latestOptions.current);
    } catch (error) {
      // An error thrown from an effect unmounts the whole app (no boundary sits above the
      // provider): a bad option, such as a missing endpoint, would blank the host's page.
      // The recording fails instead, saying what to fix, and the hooks read `error`.
      console.error('[replaykit] <RecordingProvider> records nothing: its options are not valid.', error);
      handle.fail();
      return;
    }
    handle.attach(recorder);
    // StrictMode's simulated unmount runs the cleanup, then this effect again, in the same run
    // of effects as this one: no microtask comes in between.
    let mountedInThisRun = true;
    queueMicrotask(() => {
      mountedInThisRun = false;
    });
    return () => {
      handle.detach();
      releaseRecorder(recorder, mountedInThisRun);
    };
  }, [handle, contentKey, enabled]);
  return null;
}

/** The provider's handle, or an error naming the hook (or part) and the provider it needs. */
export function useHandle(hookName: string): RecordingHandle {
  const handle = useContext(RecordingContext);
  if (!handle) {
    throw new Error(
      `${hookName} must be used within <RecordingProvider>. Wrap your app in ` +
        '<RecordingProvider endpoint="…" projectKey="…"> (from @replaykit/react) above this component.',
    );
  }
  return handle;
}

function useSnapshot(handle: RecordingHandle): RecordingSnapshot {
  return useSyncExternalStore(handle.subscribe, handle.getSnapshot, () => SERVER_SNAPSHOT);
}

/** The recording's state and controls. */
export interface RecordingApi extends RecordingSnapshot {
  start: () => void;
  stop: () => void;
  /** Stops recording and remembers the choice across reloads (consent withdrawn). */
  optOut: () => void;
  /** Lifts an opt-out and records again. */
  optIn: () => void;
  capture: (name: string, properties?: Record<string, unknown>) => void;
  identify: (userId: string, traits?: Record<string, unknown>) => void;
  flush: () => Promise<void>;
}

/** Status, session id and controls of the page's recording. */
export function useRecording(): RecordingApi {
  const handle = useHandle('useRecording()');
  const snapshot = useSnapshot(handle);
  return {
    ...snapshot,
    start: handle.start,
    stop: handle.stop,
    optOut: handle.optOut,
    optIn: handle.optIn,
    capture: handle.capture,
    identify: handle.identify,
    flush: handle.flush,
  };
}

/** The current session id, or undefined until recording starts (and on the server). */
export function useSessionId(): string | undefined {
  const handle = useHandle('useSessionId()');
  return useSnapshot(handle).sessionId;
}

/** A stable `capture(name, properties)` function for custom events. */
export function useCapture(): RecordingApi['capture'] {
  return useHandle('useCapture()').capture;
}
