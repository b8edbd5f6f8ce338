import {
  DROPPED_TRAITS_KEY,
  EVENT_NAME_MAX_LENGTH,
  type RecordedEvent,
  SUMMARY_LIST_MAX,
  SUMMARY_URL_MAX_LENGTH,
  SUMMARY_USER_ID_MAX_LENGTH,
  summarizeBatch,
  USER_TRAIT_VALUE_MAX_LENGTH,
  USER_TRAITS_MAX_KEYS,
} from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { mergeSessionState, newSessionState, type StoredSessionState, sessionColumns } from './store';
import { randomInt, seededRandom } from './test/seeded-random';
import { type GeneratedBatch, generateSession, onePass, shuffled, timedFields } from './test/session-gen';
import { custom, meta, T0 } from './test/support';

/** Merges batches in the order given, as a store does, one `putBatch` at a time. */
function mergeAll(
  batches: ReadonlyArray<{ windowId?: string; events: RecordedEvent[] }>,
): StoredSessionState {
  let state: StoredSessionState | undefined;
  for (const { windowId = 'w1', events } of batches) {
    const summary = summarizeBatch(events);
    state = state
      ? mergeSessionState(state, windowId, summary, 1)
      : newSessionState('s1', windowId, summary, 1);
  }
  if (!state) {
    throw new Error('no batch');
  }
  return state;
}

/** The state as a store reads it back: through its JSON. */
function roundTrip(state: StoredSessionState): StoredSessionState {
  return JSON.parse(sessionColumns(state).state) as StoredSessionState;
}

const navigation = (time: number, url: string) => custom(time, '$navigation', { kind: 'pushState', url });

describe('mergeSessionState: the fields that depend on event times', () => {
  it('keeps the traits of an earlier identify when a later one without traits arrives first', () => {
    const first = [custom(T0, '$identify', { userId: 'u1', traits: { plan: 'pro' } })];
    const second = [custom(T0 + 5_000, '$identify', { userId: 'u2' })];
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const { summary } = mergeAll(order.map((events) => ({ events })));
      expect(summary.userId).toBe('u2');
      expect(summary.userTraits).toEqual({ plan: 'pro' });
    }
    // A later identify with traits still replaces them, in either order.
    const third = [custom(T0 + 9_000, '$identify', { userId: 'u3', traits: { plan: 'free' } })];
    for (const order of [
      [first, second, third],
      [third, second, first],
      [second, third, first],
    ]) {
      const { summary } = mergeAll(order.map((events) => ({ events })));
      expect(summary).toMatchObject({ userId: 'u3', userTraits: { plan: 'free' } });
    }
  });

  it('keeps the URLs visited first, in visiting order, when more than the cap arrive newest first', () => {
    const count = SUMMARY_LIST_MAX + 10;
    const batches = Array.from({ length: count }, (_, index) => ({
      events: [navigation(T0 + index * 1_000, `https://shop.test/page-${index}`)],
    }));
    const expected = Array.from(
      { length: SUMMARY_LIST_MAX },
      (_, index) => `https://shop.test/page-${index}`,
    );
    for (const order of [batches, [...batches].reverse()]) {
      const state = mergeAll(order);
      expect(state.summary.urls).toEqual(expected);
      // The searchable column follows the list: the landing page can be found.
      expect(sessionColumns(state).urlsText.split('\n')[0]).toBe('https://shop.test/page-0');
    }
  });

  it('keeps the custom event names seen first, in order, when more than the cap arrive newest first', () => {
    const count = SUMMARY_LIST_MAX + 10;
    const batches = Array.from({ length: count }, (_, index) => ({
      events: [custom(T0 + index * 1_000, `event_${index}`)],
    }));
    const expected = Array.from({ length: SUMMARY_LIST_MAX }, (_, index) => `event_${index}`);
    for (const order of [batches, [...batches].reverse()]) {
      expect(mergeAll(order).summary.customEventNames).toEqual(expected);
    }
  });

  it('moves a URL earlier when a batch shows it was seen before the time the state has', () => {
    const state = mergeAll([
      { events: [meta(T0 + 10, 'https://shop.test/a'), navigation(T0 + 20, 'https://shop.test/b')] },
      { events: [navigation(T0 + 5, 'https://shop.test/b')] },
    ]);
    expect(state.summary.urls).toEqual(['https://shop.test/b', 'https://shop.test/a']);
    expect(state.urlsAt).toEqual([T0 + 5, T0 + 10]);
  });

  it('orders URLs and names seen at the same time by their text, whatever order they arrive in', () => {
    const a = { events: [navigation(T0, 'https://shop.test/z'), custom(T0, 'zeta')] };
    const b = { events: [navigation(T0, 'https://shop.test/a'), custom(T0, 'alpha')] };
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const { summary } = mergeAll(order);
      expect(summary.urls).toEqual(['https://shop.test/a', 'https://shop.test/z']);
      expect(summary.customEventNames).toEqual(['alpha', 'zeta']);
    }
  });

  it('bounds the traits, URLs, user id and names of a state written before their limits at its next batch', () => {
    const longUrl = `https://shop.test/?q=${'x'.repeat(SUMMARY_URL_MAX_LENGTH)}`;
    const longName = 'n'.repeat(EVENT_NAME_MAX_LENGTH + 1);
    const state = mergeAll([{ events: [meta(T0, 'https://shop.test/')] }]);
    // What a release without the limits kept: everything as sent.
    const legacy: StoredSessionState = {
      ...state,
      summary: {
        ...state.summary,
        firstUrl: longUrl,
        urls: [longUrl],
        userId: 'u'.repeat(SUMMARY_USER_ID_MAX_LENGTH * 2),
        userTraits: {
          avatar: 'a'.repeat(100_000),
          ...Object.fromEntries(
            Array.from({ length: USER_TRAITS_MAX_KEYS }, (_, index) => [`t${index}`, index]),
          ),
        },
        customEventNames: [longName, 'checkout'],
      },
      urlsAt: [T0],
      customEventNamesAt: [T0, T0],
    };
    const { summary } = mergeSessionState(legacy, 'w1', summarizeBatch([custom(T0 + 10, 'later')]), 1);
    expect(summary.firstUrl).toHaveLength(SUMMARY_URL_MAX_LENGTH);
    expect(summary.urls).toEqual([summary.firstUrl]);
    expect(summary.userId).toHaveLength(SUMMARY_USER_ID_MAX_LENGTH);
    expect(summary.userTraits?.avatar).toHaveLength(USER_TRAIT_VALUE_MAX_LENGTH);
    expect(Object.keys(summary.userTraits ?? {})).toHaveLength(USER_TRAITS_MAX_KEYS);
    expect(summary.userTraits?.[DROPPED_TRAITS_KEY]).toBe(2);
    expect(summary.customEventNames).toEqual(['checkout', 'later']);
  });

  it('reads a state written before traits, URLs and names had their own times, and merges into it', () => {
    const current = mergeAll([
      {
        events: [
          meta(T0 + 100, 'https://shop.test/old-b'),
          navigation(T0 + 200, 'https://shop.test/old-a'),
          custom(T0 + 300, 'old_event'),
          custom(T0 + 400, '$identify', { userId: 'u1', traits: { plan: 'pro' } }),
        ],
      },
    ]);
    // What the previous release wrote: no traitsAt, urlsAt or customEventNamesAt.
    const { traitsAt: _t, urlsAt: _u, customEventNamesAt: _c, ...legacy } = roundTrip(current);
    // A later identify without traits keeps the old traits (they count as given at identifiedAt).
    const identified = mergeSessionState(
      legacy,
      'w1',
      summarizeBatch([custom(T0 + 500, '$identify', { userId: 'u2' })]),
      1,
    );
    expect(identified.summary).toMatchObject({ userId: 'u2', userTraits: { plan: 'pro' } });
    expect(identified.traitsAt).toBe(T0 + 400);
    // An earlier identify with traits does not replace them.
    const earlier = mergeSessionState(
      legacy,
      'w1',
      summarizeBatch([custom(T0 + 50, '$identify', { userId: 'u0', traits: { plan: 'free' } })]),
      1,
    );
    expect(earlier.summary).toMatchObject({ userId: 'u1', userTraits: { plan: 'pro' } });
    // Old URLs and names count as seen at the session's start, before any new one of later times.
    const navigated = mergeSessionState(
      legacy,
      'w1',
      summarizeBatch([navigation(T0 + 600, 'https://shop.test/new'), custom(T0 + 600, 'new_event')]),
      1,
    );
    expect(navigated.summary.urls).toEqual([
      'https://shop.test/old-a',
      'https://shop.test/old-b',
      'https://shop.test/new',
    ]);
    expect(navigated.urlsAt).toEqual([T0 + 100, T0 + 100, T0 + 600]);
    expect(navigated.summary.customEventNames).toEqual(['old_event', 'new_event']);
    expect(navigated.customEventNamesAt).toEqual([T0 + 100, T0 + 600]);
    // A legacy state at the cap keeps all its URLs when later ones arrive.
    const full = {
      ...legacy,
      summary: {
        ...legacy.summary,
        urls: Array.from({ length: SUMMARY_LIST_MAX }, (_, index) => `https://shop.test/old-${index}`),
      },
    };
    const after = mergeSessionState(
      full,
      'w1',
      summarizeBatch([navigation(T0 + 700, 'https://shop.test/new')]),
      1,
    );
    expect(new Set(after.summary.urls)).toEqual(new Set(full.summary.urls));
  });
});

describe('mergeSessionState: any arrival order gives one pass in time order', () => {
  const fields = (batches: readonly GeneratedBatch[]) => timedFields(roundTrip(mergeAll(batches)).summary);

  for (const [label, pool] of [
    ['below the cap', 4],
    [`above the cap of ${SUMMARY_LIST_MAX}`, SUMMARY_LIST_MAX + 30],
  ] as const) {
    it(`user id, traits, URLs and custom event names, ${label}`, () => {
      const random = seededRandom(pool * 7_919);
      for (let session = 0; session < 60; session++) {
        const batches = generateSession(random, { start: T0, pool, events: 40 + randomInt(random, 120) });
        const expected = onePass(batches);
        for (let order = 0; order < 5; order++) {
          // Each merge also goes through the state's JSON, as stores keep it.
          let state: StoredSessionState | undefined;
          for (const batch of shuffled(random, batches)) {
            const summary = summarizeBatch(batch.events);
            state = roundTrip(
              state
                ? mergeSessionState(state, batch.windowId, summary, 1)
                : newSessionState('s1', batch.windowId, summary, 1),
            );
          }
          expect(timedFields((state as StoredSessionState).summary)).toEqual(expected);
        }
      }
    });
  }

  it('gives one result for every order when events share times', () => {
    const random = seededRandom(4_242);
    for (let session = 0; session < 40; session++) {
      const batches = generateSession(random, {
        start: T0,
        pool: SUMMARY_LIST_MAX + 30,
        events: 100,
        ties: true,
      });
      const { userId: _u, userTraits: _t, ...lists } = fields(batches);
      for (let order = 0; order < 4; order++) {
        const { userId: _ou, userTraits: _ot, ...other } = fields(shuffled(random, batches));
        expect(other).toEqual(lists);
      }
    }
  });
});
