import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClickDetector } from './clicks';

describe('createClickDetector', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const detector = () => {
    const rage = vi.fn();
    const dead = vi.fn();
    return { rage, dead, clicks: createClickDetector(rage, dead) };
  };

  it('reports 3 clicks within 1 s within 30 px as one rage click', () => {
    const { rage, clicks } = detector();
    clicks.click(100, 100, 0, undefined);
    clicks.click(110, 105, 300, undefined);
    expect(rage).not.toHaveBeenCalled();
    clicks.click(120, 100, 600, undefined);
    expect(rage).toHaveBeenCalledTimes(1);
    expect(rage).toHaveBeenCalledWith(expect.objectContaining({ x: 120, y: 100, clicks: 3 }));
  });

  it('reports a long burst of clicks on one spot once, and the next burst again', () => {
    const { rage, clicks } = detector();
    // Ten seconds of hammering, a click every 400 ms: each click is within 1 s of the last.
    for (let at = 0; at <= 10_000; at += 400) {
      clicks.click(200, 200, at, undefined);
    }
    expect(rage).toHaveBeenCalledTimes(1);
    // A pause longer than the window ends the burst; three more quick clicks are a new one.
    for (const at of [12_000, 12_200, 12_400]) {
      clicks.click(200, 200, at, undefined);
    }
    expect(rage).toHaveBeenCalledTimes(2);
    // Moving away ends it too.
    for (const at of [12_600, 12_700, 12_800]) {
      clicks.click(400, 200, at, undefined);
    }
    expect(rage).toHaveBeenCalledTimes(3);
  });

  it('reports a burst once when one click of it strays further than 30 px', () => {
    const { rage, clicks } = detector();
    for (const [x, at] of [
      [300, 0],
      [302, 100],
      [301, 200],
      // A slip of the hand, then back on the button: still the same burst.
      [345, 300],
      [300, 400],
      [302, 500],
      [301, 600],
    ] as const) {
      clicks.click(x, 300, at, undefined);
    }
    expect(rage).toHaveBeenCalledTimes(1);
  });

  it('reports a rage click on each of two spots clicked in turn, once each', () => {
    const { rage, clicks } = detector();
    // Two buttons 100 px apart, clicked in turn every 100 ms for 2 s: each spot alone is a burst.
    for (let at = 0; at <= 2_000; at += 100) {
      clicks.click(at % 200 === 0 ? 100 : 200, 100, at, undefined);
    }
    expect(rage).toHaveBeenCalledTimes(2);
  });

  it('does not count clicks spread over more than 1 s or further apart than 30 px', () => {
    const { rage, clicks } = detector();
    // Each within 1 s of the one before, but never three within one second.
    for (const at of [0, 900, 1_800, 2_700]) {
      clicks.click(50, 50, at, undefined);
    }
    // Three quick clicks, each 40 px from the last.
    for (const [x, at] of [
      [100, 5_000],
      [140, 5_100],
      [180, 5_200],
    ] as const) {
      clicks.click(x, 50, at, undefined);
    }
    expect(rage).not.toHaveBeenCalled();
  });

  it('reports a click on a button with no DOM change within 2.5 s as dead, unless the DOM changes', () => {
    const { dead, clicks } = detector();
    const button = document.createElement('button');
    button.id = 'pay';
    clicks.click(10, 10, 0, button);
    vi.advanceTimersByTime(2_499);
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledWith(expect.objectContaining({ selector: 'button#pay' }));
    clicks.click(10, 10, 5_000, button);
    clicks.cancelDead();
    vi.advanceTimersByTime(3_000);
    expect(dead).toHaveBeenCalledTimes(1);
  });
});
