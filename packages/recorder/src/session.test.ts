import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isOptedOut, setOptedOut } from './consent';
import { BATCH_SEQ_STRIDE, SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } from './limits';
import { createSessionState, SESSION_KEY, type SessionState } from './session';

const T0 = Date.UTC(2026, 0, 1, 12);
const MINUTE = 60_000;

/** A new page of this tab: a fresh copy of the module, as the browser loads one for each page. */
async function nextPage(): Promise<typeof createSessionState> {
  vi.resetModules();
  return (await import('./session')).createSessionState;
}

/** A reload: the old page's pagehide clears the open flag, then a new page starts. */
async function reload(now: number): Promise<SessionState> {
  window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
  return (await nextPage())(now);
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionState', () => {
  it('creates a UUIDv7 session and window, and keeps both (and the seq) across a reload', async () => {
    const first = createSessionState(T0);
    expect(first.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(first.takeSeq()).toBe(BATCH_SEQ_STRIDE);
    expect(first.takeSeq()).toBe(2 * BATCH_SEQ_STRIDE);
    const second = await reload(T0 + MINUTE);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.currentWindowId).toBe(first.currentWindowId);
    expect(second.takeSeq()).toBe(3 * BATCH_SEQ_STRIDE);
  });

  it('shares the session with another tab but gives that tab its own window and seq', () => {
    const first = createSessionState(T0);
    first.takeSeq();
    // Another tab: same localStorage, empty sessionStorage.
    sessionStorage.clear();
    const other = createSessionState(T0 + 1_000);
    expect(other.sessionId).toBe(first.sessionId);
    expect(other.currentWindowId).not.toBe(first.currentWindowId);
    expect(other.takeSeq()).toBe(BATCH_SEQ_STRIDE);
  });

  it('gives a duplicated tab (sessionStorage copied while the original is open) a new window id', async () => {
    const original = createSessionState(T0);
    const copy = (await nextPage())(T0 + 1_000);
    expect(copy.currentWindowId).not.toBe(original.currentWindowId);
    expect(copy.sessionId).toBe(original.sessionId);
    expect(copy.takeSeq()).toBe(BATCH_SEQ_STRIDE);
  });

  it('keeps the window and shares its seq with a later recorder of the same page', () => {
    // A React provider remounted, or given new options, makes a new recorder on the same page.
    const first = createSessionState(T0);
    expect(first.takeSeq()).toBe(BATCH_SEQ_STRIDE);
    expect(first.takeSeq()).toBe(2 * BATCH_SEQ_STRIDE);
    const later = createSessionState(T0 + 1_000);
    expect(later.currentWindowId).toBe(first.currentWindowId);
    expect(later.sessionId).toBe(first.sessionId);
    expect(later.takeSeq()).toBe(3 * BATCH_SEQ_STRIDE);
    // The first one may still take one (it seals what it has buffered when it stops).
    expect(first.takeSeq()).toBe(4 * BATCH_SEQ_STRIDE);
    expect(later.takeSeq()).toBe(5 * BATCH_SEQ_STRIDE);
  });

  it('goes on after the counter the previous release left, above the seqs below the stride it numbered batches with', () => {
    // The previous release numbered a window's batches 0, 1, 2… and kept the next in the same place.
    const first = createSessionState(T0);
    sessionStorage.setItem(`replaykit:seq:${first.currentWindowId}`, '7');
    const upgraded = createSessionState(T0 + 1_000);
    expect(upgraded.currentWindowId).toBe(first.currentWindowId);
    expect(upgraded.takeSeq()).toBe(8 * BATCH_SEQ_STRIDE);
  });

  it('rotates after 30 minutes without activity, not before, and activity keeps it alive', () => {
    const state = createSessionState(T0);
    const id = state.sessionId;
    state.touch(T0 + 20 * MINUTE);
    expect(state.check(T0 + 20 * MINUTE + SESSION_IDLE_TIMEOUT_MS - 1)).toBeUndefined();
    expect(state.sessionId).toBe(id);
    expect(state.check(T0 + 20 * MINUTE + SESSION_IDLE_TIMEOUT_MS)).toBe('idle_timeout');
    expect(state.sessionId).not.toBe(id);
    expect(JSON.parse(localStorage.getItem(SESSION_KEY) ?? '{}').id).toBe(state.sessionId);
  });

  it('rotates at 24 hours even while the user stays active', () => {
    const state = createSessionState(T0);
    const id = state.sessionId;
    for (let at = T0; at < T0 + SESSION_MAX_DURATION_MS; at += 10 * MINUTE) {
      state.touch(at);
      expect(state.check(at)).toBeUndefined();
    }
    expect(state.sessionId).toBe(id);
    expect(state.check(T0 + SESSION_MAX_DURATION_MS)).toBe('max_duration');
    expect(state.sessionId).not.toBe(id);
  });

  it('adopts the session another tab rotated to instead of starting its own', () => {
    const mine = createSessionState(T0);
    sessionStorage.clear();
    const theirs = createSessionState(T0);
    const later = T0 + SESSION_IDLE_TIMEOUT_MS + MINUTE;
    expect(theirs.check(later)).toBe('idle_timeout');
    expect(mine.check(later + 1_000)).toBe('other_tab');
    expect(mine.sessionId).toBe(theirs.sessionId);
  });

  it('starts a fresh session on load when the stored one expired', async () => {
    const first = createSessionState(T0);
    const next = await reload(T0 + SESSION_IDLE_TIMEOUT_MS);
    expect(next.sessionId).not.toBe(first.sessionId);
  });

  it('persists the opt-out choice', () => {
    expect(isOptedOut()).toBe(false);
    setOptedOut(true);
    expect(isOptedOut()).toBe(true);
    setOptedOut(false);
    expect(isOptedOut()).toBe(false);
  });
});
