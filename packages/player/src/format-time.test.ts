import { describe, expect, it } from 'vitest';
import { formatTime } from './format-time';

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
