import { describe, expect, it } from 'vitest';
import { EVENT_NAME_MAX_LENGTH } from './custom-events';
import { EventType, IncrementalSource, MouseInteraction, type RecordedEvent } from './events';
import {
  activeMsOf,
  boundUserTraits,
  createFirstSeenList,
  DROPPED_TRAITS_KEY,
  emptySessionSummary,
  INACTIVITY_THRESHOLD_MS,
  mergeActivity,
  SUMMARY_LIST_MAX,
  SUMMARY_URL_MAX_LENGTH,
  SUMMARY_USER_ID_MAX_LENGTH,
  summarizeBatch,
  USER_TRAIT_KEY_MAX_LENGTH,
  USER_TRAIT_VALUE_MAX_LENGTH,
  USER_TRAITS_MAX_KEYS,
} from './session-summary';
import { TRUNCATION_MARKER } from './text';

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
    // By first-seen time, not by position in the batch.
    expect(summary.urls.slice(0, 3)).toEqual([
      'https://a.test/',
      'https://a.test/second',
      'https://a.test/third',
    ]);
    expect(summary.urlsAt.slice(0, 3)).toEqual([T0, T0 + 10, T0 + 30]);
    expect(summary.urls).toHaveLength(SUMMARY_LIST_MAX);
    expect(summary.urlsAt).toHaveLength(SUMMARY_LIST_MAX);
  });

  it('keeps the URLs and custom event names seen first when a batch has more than the cap, whatever their order in it', () => {
    const count = SUMMARY_LIST_MAX + 10;
    // Newest first: the order in the batch must not decide which are kept.
    const events = Array.from({ length: count }, (_, index) => {
      const at = T0 + (count - index) * 10;
      return [
        custom(at, '$navigation', { url: `https://a.test/p${count - index}`, kind: 'pushState' }),
        custom(at + 1, `name_${count - index}`),
      ];
    }).flat();
    const summary = summarizeBatch(events);
    const first = Array.from({ length: SUMMARY_LIST_MAX }, (_, index) => index + 1);
    expect(summary.urls).toEqual(first.map((n) => `https://a.test/p${n}`));
    expect(summary.urlsAt).toEqual(first.map((n) => T0 + n * 10));
    expect(summary.customEventNames).toEqual(first.map((n) => `name_${n}`));
    expect(summary.customEventNamesAt).toEqual(first.map((n) => T0 + n * 10 + 1));
  });

  it('keeps the earliest time of a URL or name seen more than once', () => {
    const summary = summarizeBatch([
      custom(T0 + 50, 'signup'),
      meta(T0 + 40, 'https://a.test/b'),
      custom(T0 + 5, 'signup'),
      meta(T0 + 10, 'https://a.test/a'),
      custom(T0 + 20, '$navigation', { url: 'https://a.test/b', kind: 'pushState' }),
    ]);
    expect(summary.urls).toEqual(['https://a.test/a', 'https://a.test/b']);
    expect(summary.urlsAt).toEqual([T0 + 10, T0 + 20]);
    expect(summary.customEventNames).toEqual(['signup']);
    expect(summary.customEventNamesAt).toEqual([T0 + 5]);
  });

  it('keeps the latest identify: user id and traits', () => {
    const summary = summarizeBatch([
      custom(T0 + 5, '$identify', { userId: 'late', traits: { plan: 'pro' } }),
      custom(T0, '$identify', { userId: 'early', traits: { plan: 'free' } }),
    ]);
    expect(summary.userId).toBe('late');
    expect(summary.userTraits).toEqual({ plan: 'pro' });
    expect(summary.identifiedAt).toBe(T0 + 5);
    expect(summary.traitsAt).toBe(T0 + 5);
    const bare = summarizeBatch([custom(T0, '$identify', { userId: 'u' })]);
    expect(bare.userTraits).toBeNull();
    expect(bare.traitsAt).toBeNull();
  });

  it('times the user id and the traits apart: a later identify without traits keeps the earlier traits', () => {
    const summary = summarizeBatch([
      custom(T0, '$identify', { userId: 'u1', traits: { plan: 'pro' } }),
      custom(T0 + 5, '$identify', { userId: 'u2' }),
    ]);
    expect(summary).toMatchObject({
      userId: 'u2',
      identifiedAt: T0 + 5,
      userTraits: { plan: 'pro' },
      traitsAt: T0,
    });
    // Traits without a user id give no user id and no identify time.
    const traitsOnly = summarizeBatch([custom(T0, '$identify', { traits: { plan: 'free' } })]);
    expect(traitsOnly).toMatchObject({ userId: null, identifiedAt: null, traitsAt: T0 });
  });

  it('bounds the traits, URLs, user id and event names it keeps, and leaves small ones as they are', () => {
    const avatar = `data:image/png;base64,${'A'.repeat(200_000)}`;
    const longUrl = `https://shop.test/search?state=${'x'.repeat(5_000)}`;
    const manyTraits = Object.fromEntries(
      Array.from({ length: USER_TRAITS_MAX_KEYS + 10 }, (_, index) => [`trait${index}`, index]),
    );
    const summary = summarizeBatch([
      meta(T0, longUrl),
      custom(T0 + 1, '$identify', {
        userId: 'u'.repeat(SUMMARY_USER_ID_MAX_LENGTH + 1),
        traits: {
          plan: 'pro',
          avatar,
          settings: { blob: 'b'.repeat(USER_TRAIT_VALUE_MAX_LENGTH) },
          ['k'.repeat(USER_TRAIT_KEY_MAX_LENGTH + 1)]: 1,
          ...manyTraits,
        },
      }),
      custom(T0 + 2, 'n'.repeat(EVENT_NAME_MAX_LENGTH + 1)),
      custom(T0 + 3, 'n'.repeat(EVENT_NAME_MAX_LENGTH)),
    ]);
    const traits = summary.userTraits as Record<string, unknown>;
    expect(Object.keys(traits)).toHaveLength(USER_TRAITS_MAX_KEYS);
    expect(traits.plan).toBe('pro');
    expect(traits.avatar).toBe(`${avatar.slice(0, USER_TRAIT_VALUE_MAX_LENGTH - 1)}${TRUNCATION_MARKER}`);
    expect(traits.settings).toBeUndefined();
    // settings, the long name, and 13 of the numbered traits (47 fit beside plan, avatar and the note).
    expect(traits[DROPPED_TRAITS_KEY]).toBe(15);
    expect(traits.trait46).toBe(46);
    expect(traits.trait47).toBeUndefined();
    expect(summary.firstUrl).toHaveLength(SUMMARY_URL_MAX_LENGTH);
    expect(summary.urls).toEqual([summary.firstUrl]);
    expect(summary.firstUrl?.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(summary.userId).toHaveLength(SUMMARY_USER_ID_MAX_LENGTH);
    expect(summary.customEventNames).toEqual(['n'.repeat(EVENT_NAME_MAX_LENGTH)]);
    // Bounded traits come back as they are, and so do small ones.
    expect(boundUserTraits(traits)).toEqual(traits);
    const small = { plan: 'pro', tags: ['a', 'b'], beta: true, seats: 3, manager: null };
    expect(boundUserTraits(small)).toEqual(small);
  });

  it('keeps a trait named __proto__ as a trait, not as the prototype of the traits', () => {
    const traits = boundUserTraits(JSON.parse('{"__proto__": {"admin": true}, "plan": "pro"}'));
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(Object.keys(traits)).toEqual(['__proto__', 'plan']);
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

describe('createFirstSeenList', () => {
  const listOf = (notes: ReadonlyArray<[string, number]>, max: number) => {
    const list = createFirstSeenList(max);
    for (const [item, time] of notes) {
      list.note(item, time);
    }
    return { items: list.items(), times: list.times() };
  };

  it('keeps the items seen first, by time and then by item, whatever order they are noted in', () => {
    const notes: Array<[string, number]> = [
      ['d', 3],
      ['b', 1],
      ['c', 1],
      ['a', 2],
    ];
    const forward = listOf(notes, 3);
    expect(forward).toEqual({ items: ['b', 'c', 'a'], times: [1, 1, 2] });
    expect(listOf([...notes].reverse(), 3)).toEqual(forward);
    expect(listOf(notes, 10).items).toEqual(['b', 'c', 'a', 'd']);
    expect(listOf(notes, 0).items).toEqual([]);
  });

  it('keeps each item at its earliest time, and takes back a dropped item noted again earlier', () => {
    // 'a' is dropped at time 9 (two items before it), then noted at time 0.
    expect(
      listOf(
        [
          ['a', 9],
          ['b', 5],
          ['c', 6],
          ['a', 0],
          ['b', 7],
        ],
        2,
      ),
    ).toEqual({ items: ['a', 'b'], times: [0, 5] });
  });

  it('gives the first items of a sort of all notes, for random notes with repeats and ties', () => {
    let seed = 7;
    const random = (below: number) => {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      return seed % below;
    };
    for (let round = 0; round < 200; round++) {
      const notes = Array.from({ length: random(120) }, (): [string, number] => [
        `i${random(70)}`,
        random(40),
      ]);
      const earliest = new Map<string, number>();
      for (const [item, time] of notes) {
        earliest.set(item, Math.min(time, earliest.get(item) ?? time));
      }
      const sorted = [...earliest].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const max = 1 + random(60);
      expect(listOf(notes, max)).toEqual({
        items: sorted.slice(0, max).map((entry) => entry[0]),
        times: sorted.slice(0, max).map((entry) => entry[1]),
      });
    }
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
