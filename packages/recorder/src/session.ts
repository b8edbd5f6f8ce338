import { createUuidV7 } from '@replaykit/core';
import { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } from './limits';

export { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS };

/** localStorage key of the session shared by the tabs of an origin. */
export const SESSION_KEY = 'replaykit:session';
/** localStorage key of the persisted opt-out. */
export const OPT_OUT_KEY = 'replaykit:opt-out';
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

/** Storage that may be missing or throw (private mode, sandboxed frames, quota). */
export function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return globalThis[kind] ?? undefined;
  } catch {
    return undefined;
  }
}

function readJson<T>(storage: Storage | undefined, key: string): T | undefined {
  try {
    const raw = storage?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

function writeJson(storage: Storage | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or forbidden: the ids still live in memory for this page.
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
export class SessionState {
  private session: StoredSession;
  private windowIdValue: string;
  private nextSeq: number;
  private readonly local = safeStorage('localStorage');
  private readonly perTab = safeStorage('sessionStorage');
  private readonly idleTimeoutMs: number;
  private readonly maxDurationMs: number;

  constructor(now: number = Date.now(), options: SessionOptions = {}) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS;
    this.maxDurationMs = options.maxDurationMs ?? SESSION_MAX_DURATION_MS;
    this.session = this.loadOrCreate(now);
    const storedWindow = readJson<{ id: string }>(this.perTab, WINDOW_KEY);
    const duplicated = readJson<number>(this.perTab, WINDOW_OPEN_KEY) !== undefined;
    // A duplicated tab copies sessionStorage, including the open flag its original set.
    this.windowIdValue = storedWindow && !duplicated ? storedWindow.id : createUuidV7(now);
    writeJson(this.perTab, WINDOW_KEY, { id: this.windowIdValue });
    this.nextSeq = readJson<number>(this.perTab, SEQ_KEY_PREFIX + this.windowIdValue) ?? 0;
    this.markOpen();
  }

  /** Marks this tab's window as open; cleared on page hide so a reload keeps the window id. */
  markOpen(): void {
    writeJson(this.perTab, WINDOW_OPEN_KEY, 1);
  }

  markClosed(): void {
    try {
      this.perTab?.removeItem(WINDOW_OPEN_KEY);
    } catch {
      // Nothing to clean.
    }
  }

  private expired(session: StoredSession, now: number): SessionChange | undefined {
    if (now - session.startedAt >= this.maxDurationMs) {
      return 'max_duration';
    }
    if (now - session.lastActivityAt >= this.idleTimeoutMs) {
      return 'idle_timeout';
    }
    return undefined;
  }

  private loadOrCreate(now: number): StoredSession {
    const stored = readJson<unknown>(this.local, SESSION_KEY);
    if (isStoredSession(stored) && !this.expired(stored, now)) {
      return stored;
    }
    return this.create(now);
  }

  private create(now: number): StoredSession {
    const fresh = { id: createUuidV7(now), startedAt: now, lastActivityAt: now };
    writeJson(this.local, SESSION_KEY, fresh);
    return fresh;
  }

  get sessionId(): string {
    return this.session.id;
  }

  get currentWindowId(): string {
    return this.windowIdValue;
  }

  get startedAt(): number {
    return this.session.startedAt;
  }

  /**
   * Brings this tab in line with shared storage: adopts a session another tab started, or
   * starts a new one when the current one ran out. Returns why the id changed, if it did.
   */
  check(now: number = Date.now()): SessionChange | undefined {
    const stored = readJson<unknown>(this.local, SESSION_KEY);
    if (isStoredSession(stored) && stored.id !== this.session.id && !this.expired(stored, now)) {
      this.session = stored;
      return 'other_tab';
    }
    const current = isStoredSession(stored) && stored.id === this.session.id ? stored : this.session;
    const reason = this.expired(current, now);
    if (reason) {
      this.session = this.create(now);
      return reason;
    }
    this.session = current;
    return undefined;
  }

  /** Records user activity, which keeps the session alive across tabs. */
  touch(now: number = Date.now()): void {
    this.session = { ...this.session, lastActivityAt: Math.max(now, this.session.lastActivityAt) };
    writeJson(this.local, SESSION_KEY, this.session);
  }

  /** Ends the shared session now, so every tab moves to a new one on its next check. */
  reset(now: number = Date.now()): void {
    this.session = this.create(now);
  }

  /** Takes the next sequence number for this window and persists the counter. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = seq + 1;
    writeJson(this.perTab, SEQ_KEY_PREFIX + this.windowIdValue, this.nextSeq);
    return seq;
  }
}

/** True when the user opted out of recording on this origin. */
export function isOptedOut(): boolean {
  try {
    return safeStorage('localStorage')?.getItem(OPT_OUT_KEY) === '1';
  } catch {
    return false;
  }
}

/** Persists the opt-out choice for the origin. */
export function setOptedOut(optedOut: boolean): void {
  try {
    const storage = safeStorage('localStorage');
    if (optedOut) {
      storage?.setItem(OPT_OUT_KEY, '1');
    } else {
      storage?.removeItem(OPT_OUT_KEY);
    }
  } catch {
    // Without storage the choice lasts for this page only (the recorder keeps it in memory).
  }
}
