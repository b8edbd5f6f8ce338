import { describe, expect, it } from 'vitest';
import { formatDuration, formatTime } from './format-time';

describe('formatTime', () => {
  it('formats minutes and zero-padded seconds, rounding down', () => {
    expect(formatTime(0)).toBe('0:00');
    expect(formatTime(999)).toBe('0:00');
    expect(formatTime(12_345)).toBe('0:12');
    expect(formatTime(59_999)).toBe('0:59');
    expect(formatTime(65_000)).toBe('1:05');
    expect(formatTime(59 * 60_000 + 59_000)).toBe('59:59');
  });

  it('adds hours from one hour up', () => {
    expect(formatTime(3_600_000)).toBe('1:00:00');
    expect(formatTime(3_725_000)).toBe('1:02:05');
  });

  it('reads 0:00 for negative or non-finite input', () => {
    expect(formatTime(-5_000)).toBe('0:00');
    expect(formatTime(Number.NaN)).toBe('0:00');
    expect(formatTime(Number.POSITIVE_INFINITY)).toBe('0:00');
  });
});

describe('formatDuration', () => {
  it('reads whole ms under a second', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(849.6)).toBe('850 ms');
    expect(formatDuration(999.4)).toBe('999 ms');
  });

  it('reads seconds, minutes and hours to a tenth, without a trailing .0', () => {
    expect(formatDuration(999.5)).toBe('1 s');
    expect(formatDuration(1_234)).toBe('1.2 s');
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(59_940)).toBe('59.9 s');
    expect(formatDuration(126_000)).toBe('2.1 min');
    expect(formatDuration(5_400_000)).toBe('1.5 h');
    expect(formatDuration(100 * 3_600_000)).toBe('100 h');
  });

  it('moves to the next unit when rounding reaches 60', () => {
    expect(formatDuration(59_960)).toBe('1 min');
    expect(formatDuration(60 * 60_000 - 1_000)).toBe('1 h');
  });

  it('reads 0 ms for negative or non-finite input', () => {
    expect(formatDuration(-5)).toBe('0 ms');
    expect(formatDuration(Number.NaN)).toBe('0 ms');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('0 ms');
  });
});
