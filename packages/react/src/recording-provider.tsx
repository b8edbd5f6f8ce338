'use client';

import type { PrivacyConfig } from '@replaykit/recorder';
import { createContext, type ReactNode, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { acquireRecorder, releaseRecorder } from './recorder-registry';
import { RecordingHandle, type RecordingSnapshot, SERVER_SNAPSHOT } from './recording-handle';

const RecordingContext = createContext<RecordingHandle | null>(null);

export interface RecordingUser {
  id: string;
  traits?: Record<string, unknown>;
}

export interface RecordingProviderProps {
  /** Base URL of your replaykit server, e.g. `https://replays.example.com`. */
  endpoint: string;
  /** The project's public write key (safe to ship in the browser). */
  projectKey: string;
  /** Privacy preset and extra selectors; the `balanced` preset by default. */
  privacy?: PrivacyConfig;
  /** Set to false to not record (for example until the user consents). Default true. */
  enabled?: boolean;
  /** Identifies the session's user whenever the id changes. */
  user?: RecordingUser;
  /** Delay between the first buffered event and its delivery, in ms. */
  flushDelayMs?: number;
  children?: ReactNode;
}

/**
 * Records the page with rrweb and sends it to your replaykit server. Mount it once near
 * the root; nested or remounted providers share the page's single recorder. On the server
 * it renders its children untouched and records nothing.
 */
export function RecordingProvider({
  endpoint,
  projectKey,
  privacy,
  enabled = true,
  user,
  flushDelayMs,
  children,
}: RecordingProviderProps) {
  const [handle] = useState(() => new RecordingHandle());
  const privacyKey = JSON.stringify(privacy ?? null);

  useEffect(() => {
    if (!enabled) {
      return;
    }
    const recorder = acquireRecorder({
      endpoint,
      writeKey: projectKey,
      privacy: JSON.parse(privacyKey) ?? undefined,
      flushDelayMs,
    });
    handle.attach(recorder);
    return () => {
      handle.detach();
      releaseRecorder(recorder);
    };
  }, [handle, endpoint, projectKey, privacyKey, enabled, flushDelayMs]);

  const userId = user?.id;
  const userTraits = JSON.stringify(user?.traits ?? null);
  useEffect(() => {
    if (userId) {
      handle.identify(userId, JSON.parse(userTraits) ?? undefined);
    }
  }, [handle, userId, userTraits]);

  return <RecordingContext.Provider value={handle}>{children}</RecordingContext.Provider>;
}

function useHandle(hookName: string): RecordingHandle {
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
