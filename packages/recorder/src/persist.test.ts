import { afterEach, describe, expect, it, vi } from 'vitest';
import { markWindow, WINDOW_STALE_MS } from './persist';

const WINDOWS_KEY = 'replaykit:windows';
const T0 = 1_800_000_000_000;

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
});

describe('markWindow', () => {
  it('writes a window mark once per quarter of WINDOW_STALE_MS, a new window or a close at once', () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    markWindow('w-a', T0);
    markWindow('w-a', T0 + 1_000);
    markWindow('w-a', T0 + WINDOW_STALE_MS / 4 - 1);
    expect(setItem).toHaveBeenCalledTimes(1);
    expect(JSON.parse(localStorage.getItem(WINDOWS_KEY) ?? '{}')).toEqual({ 'w-a': T0 });

    markWindow('w-a', T0 + WINDOW_STALE_MS / 4);
    expect(setItem).toHaveBeenCalledTimes(2);
    markWindow('w-b', T0 + WINDOW_STALE_MS / 4 + 1);
    expect(setItem).toHaveBeenCalledTimes(3);

    markWindow('w-b', 0);
    expect(setItem).toHaveBeenCalledTimes(4);
    expect(JSON.parse(localStorage.getItem(WINDOWS_KEY) ?? '{}')).not.toHaveProperty('w-b');
    // After a close (a page hidden, then shown from the back/forward cache), the next mark is written.
    markWindow('w-b', T0 + WINDOW_STALE_MS / 4 + 2);
    expect(setItem).toHaveBeenCalledTimes(5);
  });
});
