import { createUuidV7 } from '@replaykit/core';
import { BATCH_SEQ_STRIDE, SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } from './limits';

export { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS };

/** localStorage key of the session shared by the tabs of an origin. */
export const SESSION_KEY = 'replaykit:session';
const WINDOW_KEY = 'replaykit:window';
/**
 * Holds the mark of the page of this tab that is open. Found on start with another page's
 * mark, it means the tab was duplicated; with this page's own, an earlier recorder of this
 * page (a React provider remounted, or given new options) made the window, which is kept.
 */
const WINDOW_OPEN_KEY = 'replaykit:window-open';
const SEQ_KEY_PREFIX = 'replaykit:seq:';

/** This page's mark in {@link WINDOW_OPEN_KEY}, made with the page's first session state. */
let pageMark: string | undefined;

/**
 * This page's mark. Made once per page, with the listeners that keep the flag in step with
 * the page whether or not a recorder still runs on it: cleared when the page is unloaded (so
 * a reload keeps the window id), set again when it is shown (back from the back/forward cache).
 */
function thisPage(now: number): string {
  if (pageMark === undefined) {
    const mark = createUuidV7(now);
    pageMark = mark;
    addEventListener('pagehide', (event) => {
      if (!event.persisted && readStored('sessionStorage', WINDOW_OPEN_KEY) === mark) {
        try {
          sessionStorage.removeItem(WINDOW_OPEN_KEY);
        } catch {
          // Nothing to clean.
        }
      }
    });
    addEventListener('pageshow', () => writeStored('sessionStorage', WINDOW_OPEN_KEY, mark));
  }
  return pageMark;
}

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
  /** Takes the seq of this window's next batch (a multiple of `BATCH_SEQ_STRIDE`, from it up) and persists the counter. */
  takeSeq(): number;
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
  const mark = thisPage(now);
  const openMark = readStored('sessionStorage', WINDOW_OPEN_KEY);
  const duplicated = openMark !== undefined && openMark !== mark;
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
      // An earlier recorder of this page shares the window, and may still take one (a 413
      // split): the stored counter is the window's.
      const seq = Math.max(nextSeq, readStored<number>('sessionStorage', seqKey) ?? 0);
      nextSeq = seq + 1;
      writeStored('sessionStorage', seqKey, nextSeq);
      // From the stride up: the seqs below it are the previous release's (one per batch).
      return nextSeq * BATCH_SEQ_STRIDE;
    },
  };
  writeStored('sessionStorage', WINDOW_OPEN_KEY, mark);
  return state;
}
