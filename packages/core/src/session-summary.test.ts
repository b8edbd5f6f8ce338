import { describe, expect, it } from 'vitest';
import { EventType, IncrementalSource, MouseInteraction, type RecordedEvent } from './events';
import {
  activeMsOf,
  emptySessionSummary,
  INACTIVITY_THRESHOLD_MS,
  mergeActivity,
  SUMMARY_LIST_MAX,
  summarizeBatch,
} from './session-summary';

const T0 = 1_800_000_000_000;

const incremental = (timestamp: number, source: number, extra: object = {}): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  data: { source, ...extra },
  timestamp,
});
const custom = (timestamp: number, tag: string, payload: unknown = {}): RecordedEvent => ({
  type: EventType.Custom,
  data: { tag, payload },
  timestamp,
});
const meta = (timestamp: number, href: string): RecordedEvent => ({
  type: EventType.Meta,
  data: { href, width: 1, height: 1 },
  timestamp,
});

describe('summarizeBatch', () => {
  it('counts keypresses, console errors and warnings, rage and dead clicks, failed requests and errors', () => {
    const summary = summarizeBatch([
      incremental(T0, IncrementalSource.Input, { id: 1, text: 'a' }),
      incremental(T0 + 1, IncrementalSource.Input, { id: 1, text: 'ab' }),
      incremental(T0 + 2, IncrementalSource.MouseInteraction, { type: MouseInteraction.Click, id: 1 }),
      custom(T0 + 3, '$console', { level: 'error', args: ['x'] }),
      custom(T0 + 4, '$console', { level: 'warn', args: ['x'] }),
      custom(T0 + 5, '$console', { level: 'warn', args: ['x'] }),
      custom(T0 + 6, '$console', { level: 'log', args: ['x'] }),
      custom(T0 + 7, '$rage_click', { x: 1, y: 1, clicks: 4 }),
      custom(T0 + 8, '$dead_click', { x: 1, y: 1 }),
      custom(T0 + 9, '$network', { status: 0 }),
      custom(T0 + 10, '$network', { status: 404 }),
      custom(T0 + 11, '$network', { status: 500 }),
      custom(T0 + 12, '$network', { status: 200 }),
      custom(T0 + 13, '$network', { status: 399 }),
      custom(T0 + 14, '$error', { message: 'boom', kind: 'error' }),
    ]);
    expect(summary).toMatchObject({
      keypressCount: 2,
      clickCount: 1,
      consoleErrorCount: 1,
      consoleWarnCount: 2,
      rageClickCount: 1,
      deadClickCount: 1,
      failedRequestCount: 3,
      errorCount: 1,
      customEventNames: [],
    });
  });

  it('collects distinct URLs from page loads and navigations, capped, and the earliest as first URL', () => {
    const events = [
      meta(T0 + 10, 'https://a.test/second'),
      meta(T0, 'https://a.test/'),
      custom(T0 + 20, '$navigation', { url: 'https://a.test/second', kind: 'pushState' }),
      custom(T0 + 30, '$navigation', { url: 'https://a.test/third', kind: 'pushState' }),
      ...Array.from({ length: SUMMARY_LIST_MAX + 5 }, (_, index) =>
        custom(T0 + 40 + index, '$navigation', { url: `https://a.test/p${index}`, kind: 'pushState' }),
      ),
    ];
    const summary = summarizeBatch(events);
    expect(summary.firstUrl).toBe('https://a.test/');
    expect(summary.urls.slice(0, 3)).toEqual([
      'https://a.test/second',
      'https://a.test/',
      'https://a.test/third',
    ]);
    expect(summary.urls).toHaveLength(SUMMARY_LIST_MAX);
  });

  it('keeps the latest identify: user id and traits', () => {
    const summary = summarizeBatch([
      custom(T0 + 5, '$identify', { userId: 'late', traits: { plan: 'pro' } }),
      custom(T0, '$identify', { userId: 'early', traits: { plan: 'free' } }),
    ]);
    expect(summary.userId).toBe('late');
    expect(summary.userTraits).toEqual({ plan: 'pro' });
    expect(summary.identifiedAt).toBe(T0 + 5);
    expect(summarizeBatch([custom(T0, '$identify', { userId: 'u' })]).userTraits).toBeNull();
  });

  it('measures active time from user activity with a 5 s inactivity threshold', () => {
    const move = (time: number) => incremental(time, IncrementalSource.MouseMove, { positions: [] });
    const summary = summarizeBatch([
      move(T0),
      incremental(T0 + 2_000, IncrementalSource.Scroll, { id: 1, x: 0, y: 10 }),
      incremental(T0 + 4_000, IncrementalSource.Input, { id: 1, text: 'a' }),
      // 20 s idle: not counted.
      incremental(T0 + 24_000, IncrementalSource.TouchMove, { positions: [] }),
      incremental(T0 + 24_000 + INACTIVITY_THRESHOLD_MS, IncrementalSource.MouseInteraction, {
        type: 0,
        id: 1,
      }),
      // Mutations are not user activity.
      incremental(T0 + 30_000, IncrementalSource.Mutation, { adds: [] }),
    ]);
    expect(summary.activity).toEqual([
      [T0, T0 + 4_000],
      [T0 + 24_000, T0 + 24_000 + INACTIVITY_THRESHOLD_MS],
    ]);
    expect(activeMsOf(summary.activity)).toBe(4_000 + INACTIVITY_THRESHOLD_MS);
  });
});

describe('mergeActivity', () => {
  it('gives the same active time whatever order the batches arrive in', () => {
    const a: Array<[number, number]> = [[0, 1_000]];
    const b: Array<[number, number]> = [[4_000, 6_000]];
    const c: Array<[number, number]> = [[20_000, 21_000]];
    expect(activeMsOf(mergeActivity(mergeActivity(a, b), c))).toBe(7_000);
    expect(activeMsOf(mergeActivity(mergeActivity(c, b), a))).toBe(7_000);
    expect(mergeActivity(c, mergeActivity(b, a))).toEqual([
      [0, 6_000],
      [20_000, 21_000],
    ]);
  });
});

describe('emptySessionSummary', () => {
  it('counts nothing and spans from start to end (the start when no end is given)', () => {
    const empty = emptySessionSummary('s1', T0);
    expect(empty).toMatchObject({ id: 's1', startedAt: T0, endedAt: T0, durationMs: 0, eventCount: 0 });
    expect(empty.urls).toEqual([]);
    expect(empty.hasFullSnapshot).toBe(false);
    expect(emptySessionSummary('s1', T0, T0 + 5).endedAt).toBe(T0 + 5);
  });

  it('returns fresh lists each call, so one summary never shares state with another', () => {
    const a = emptySessionSummary('a', T0);
    a.urls.push('https://shop.test/');
    expect(emptySessionSummary('b', T0).urls).toEqual([]);
  });
});
