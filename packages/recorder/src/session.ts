import { createUuidV7 } from '@replaykit/core';

/** A session ends after this long without user activity. */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** A session never lasts longer than this. */
export const SESSION_MAX_DURATION_MS = 24 * 60 * 60 * 1000;

const SESSION_KEY = 'replaykit:session';
const WINDOW_KEY = 'replaykit:window';
const SEQ_KEY_PREFIX = 'replaykit:seq:';

interface StoredSession {
  id: string;
  startedAt: number;
  lastActivityAt: number;
}

/** Storage that may be missing or throw (private mode, sandboxed frames, quota). */
function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    const storage = globalThis[kind];
    return storage ?? undefined;
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

/**
 * The ids that label every batch: a session shared by the tabs of an origin
 * (localStorage), a window id per tab (sessionStorage) and a sequence number per window
 * that survives reloads, so the server can drop repeats and order batches.
 */
export class SessionState {
  private session: StoredSession;
  private readonly windowId: string;
  private nextSeq: number;
  private readonly local = safeStorage('localStorage');
  private readonly perTab = safeStorage('sessionStorage');

  constructor(now: number = Date.now()) {
    this.session = this.loadOrCreateSession(now);
    const storedWindow = readJson<{ id: string }>(this.perTab, WINDOW_KEY);
    this.windowId = storedWindow?.id ?? createUuidV7(now);
    writeJson(this.perTab, WINDOW_KEY, { id: this.windowId });
    this.nextSeq = readJson<number>(this.perTab, SEQ_KEY_PREFIX + this.windowId) ?? 0;
  }

  private loadOrCreateSession(now: number): StoredSession {
    const stored = readJson<StoredSession>(this.local, SESSION_KEY);
    if (
      stored &&
      typeof stored.id === 'string' &&
      now - stored.lastActivityAt < SESSION_IDLE_TIMEOUT_MS &&
      now - stored.startedAt < SESSION_MAX_DURATION_MS
    ) {
      return stored;
    }
    const fresh = { id: createUuidV7(now), startedAt: now, lastActivityAt: now };
    writeJson(this.local, SESSION_KEY, fresh);
    return fresh;
  }

  get sessionId(): string {
    return this.session.id;
  }

  get currentWindowId(): string {
    return this.windowId;
  }

  /** Records user activity, which keeps the session alive across tabs. */
  touch(now: number = Date.now()): void {
    this.session = { ...this.session, lastActivityAt: now };
    writeJson(this.local, SESSION_KEY, this.session);
  }

  /** Takes the next sequence number for this window and persists the counter. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = seq + 1;
    writeJson(this.perTab, SEQ_KEY_PREFIX + this.windowId, this.nextSeq);
    return seq;
  }
}
