import { createUuidV7 } from '@replaykit/core';
import { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } from './limits';

export { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS };

/** localStorage key of the session shared by the tabs of an origin. */
export const SESSION_KEY = 'replaykit:session';
const WINDOW_KEY = 'replaykit:window';
/** Set while a page of this tab is open; found already set on start, it means the tab was duplicated. */
const WINDOW_OPEN_KEY = 'replaykit:window-open';
const SEQ_KEY_PREFIX = 'replaykit:seq:';

interface StoredSession {
  id: string;
  startedAt: number;
  lastActivityAt: number;
}

/** Why the session changed under a running recorder. */
export type SessionChange = 'idle_timeout' | 'max_duration' | 'other_tab';

type StorageKind = 'localStorage' | 'sessionStorage';

/** Reads JSON from storage that may be missing or throw (private mode, sandboxed frames). */
export function readStored<T>(kind: StorageKind, key: string): T | undefined {
  try {
    return JSON.parse(globalThis[kind].getItem(key) as string) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Writes JSON to storage, ignoring a missing, full or forbidden one. */
export function writeStored(kind: StorageKind, key: string, value: unknown): void {
  try {
    globalThis[kind].setItem(key, JSON.stringify(value));
  } catch {
    // The ids still live in memory for this page.
  }
}

function isStoredSession(value: unknown): value is StoredSession {
  const session = value as StoredSession | undefined;
  return (
    typeof session?.id === 'string' &&
    typeof session.startedAt === 'number' &&
    typeof session.lastActivityAt === 'number'
  );
}

export interface SessionOptions {
  idleTimeoutMs?: number;
  maxDurationMs?: number;
}

/**
 * The ids that label every batch: a session shared by the tabs of an origin
 * (localStorage; other tabs hear of changes through the `storage` event), a window id per
 * tab (sessionStorage, renewed when the tab was duplicated) and a sequence number per
 * window that survives reloads.
 */
export interface SessionState {
  readonly sessionId: string;
  readonly currentWindowId: string;
  readonly startedAt: number;
  /**
   * Brings this tab in line with shared storage: adopts a session another tab started, or
   * starts a new one when the current one ran out. Returns why the id changed, if it did.
   */
  check(now?: number): SessionChange | undefined;
  /** Records user activity, which keeps the session alive across tabs. */
  touch(now?: number): void;
  /** Takes the next sequence number for this window and persists the counter. */
  takeSeq(): number;
  /** Marks this tab's window as open; cleared on page hide so a reload keeps the window id. */
  markOpen(): void;
  markClosed(): void;
}

/** Loads (or starts) the session of this origin and the window of this tab. */
export function createSessionState(now: number = Date.now(), options: SessionOptions = {}): SessionState {
  const idleTimeoutMs = options.idleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS;
  const maxDurationMs = options.maxDurationMs ?? SESSION_MAX_DURATION_MS;

  const expired = (candidate: StoredSession, at: number): SessionChange | undefined =>
    at - candidate.startedAt >= maxDurationMs
      ? 'max_duration'
      : at - candidate.lastActivityAt >= idleTimeoutMs
        ? 'idle_timeout'
        : undefined;

  const create = (at: number): StoredSession => {
    const fresh = { id: createUuidV7(at), startedAt: at, lastActivityAt: at };
    writeStored('localStorage', SESSION_KEY, fresh);
    return fresh;
  };

  const stored = readStored<unknown>('localStorage', SESSION_KEY);
  let session = isStoredSession(stored) && !expired(stored, now) ? stored : create(now);
  const storedWindow = readStored<{ id: string }>('sessionStorage', WINDOW_KEY);
  // A duplicated tab copies sessionStorage, including the open flag its original set.
  const duplicated = readStored('sessionStorage', WINDOW_OPEN_KEY) !== undefined;
  const windowId = storedWindow && !duplicated ? storedWindow.id : createUuidV7(now);
  const seqKey = SEQ_KEY_PREFIX + windowId;
  writeStored('sessionStorage', WINDOW_KEY, { id: windowId });
  let nextSeq = readStored<number>('sessionStorage', seqKey) ?? 0;

  const state: SessionState = {
    get sessionId() {
      return session.id;
    },
    currentWindowId: windowId,
    get startedAt() {
      return session.startedAt;
    },
    check(at = Date.now()) {
      const latest = readStored<unknown>('localStorage', SESSION_KEY);
      const valid = isStoredSession(latest);
      if (valid && latest.id !== session.id && !expired(latest, at)) {
        session = latest;
        return 'other_tab';
      }
      if (valid && latest.id === session.id) {
        session = latest;
      }
      const reason = expired(session, at);
      if (reason) {
        session = create(at);
      }
      return reason;
    },
    touch(at = Date.now()) {
      session = { ...session, lastActivityAt: Math.max(at, session.lastActivityAt) };
      writeStored('localStorage', SESSION_KEY, session);
    },
    takeSeq() {
      writeStored('sessionStorage', seqKey, nextSeq + 1);
      return nextSeq++;
    },
    markOpen() {
      writeStored('sessionStorage', WINDOW_OPEN_KEY, 1);
    },
    markClosed() {
      try {
        sessionStorage.removeItem(WINDOW_OPEN_KEY);
      } catch {
        // Nothing to clean.
      }
    },
  };
  state.markOpen();
  return state;
}
