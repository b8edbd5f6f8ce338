import { afterEach, beforeEach, vi } from 'vitest';

// Radix's slider measures its thumb with ResizeObserver, which jsdom lacks.
class NoopResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}

/** Registers hooks that stand a no-op ResizeObserver in for jsdom's missing one, and undo every global stub and spy after each test. */
export function stubResizeObserverEachTest(): void {
  beforeEach(() => {
    vi.stubGlobal('ResizeObserver', NoopResizeObserver);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });
}
