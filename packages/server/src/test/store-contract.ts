/**
 * The behaviour every {@link Store} must have, as one suite that each store's test file
 * runs against a real database (SQLite in a temp file, PostgreSQL on a throwaway server).
 */
import {
  EVENT_NAME_MAX_LENGTH,
  type SessionSummary,
  SUMMARY_LIST_MAX,
  sessionListSearchParams,
  summarizeBatch,
} from '@replaykit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { batchMarkers, EVENT_FILTER_PROPERTY_MAX_LENGTH, eventProperties } from '../ingest';
import {
  InvalidCursorError,
  type ListSessionsOptions,
  type PutBatchInput,
  SESSION_WINDOWS_MAX,
  type Store,
  type StoredBatch,
  USER_ID_COLUMN_MAX_LENGTH,
} from '../store';
import { seededRandom } from './seeded-random';
import { generateSession, onePass, shuffled, timedFields } from './session-gen';
import { click, custom, fullSnapshot, meta, T0 } from './support';

/** Builds a putBatch input the way the ingest route does (summary, markers, event properties). */
export function batchInput(
  sessionId: string,
  events: Parameters<typeof summarizeBatch>[0],
  options: {
    windowId?: string;
    seq?: number;
    projectId?: string;
    encoding?: 'gzip' | 'identity';
    body?: Uint8Array;
    receivedAt?: number;
  } = {},
): PutBatchInput {
  const windowId = options.windowId ?? 'w1';
  const seq = options.seq ?? 0;
  const body =
    options.body ?? new TextEncoder().encode(JSON.stringify({ v: 1, sessionId, windowId, seq, events }));
  return {
    projectId: options.projectId ?? 'shop',
    sessionId,
    windowId,
    seq,
    receivedAt: options.receivedAt ?? Date.now(),
    body,
    encoding: options.encoding ?? 'identity',
    summary: summarizeBatch(events),
    byteCount: body.byteLength,
    markersJson: JSON.stringify(batchMarkers(events, windowId, seq)),
    eventProperties: eventProperties(events),
  };
}

/**
 * Stores batches of two sessions with distinct, increasing arrival times (as the server gives
 * them). The first batch of each session in `storedFirst` is stored before the rest arrive
 * (by default only `old-session`'s); in `grouped` the rest arrive at once, so several batches
 * of one session share a group commit; in `sequential` one at a time. Both should then hold
 * the same rows.
 */
export async function putGroupedAndSequential(
  grouped: Store,
  sequential: Store,
  storedFirst: readonly string[] = ['old-session'],
): Promise<void> {
  const inputs = ['new-session', 'old-session'].flatMap((sessionId) =>
    Array.from({ length: 4 }, (_, seq) => ({
      ...batchInput(
        sessionId,
        [
          meta(T0 + seq * 1_000, `https://shop.test/p${seq}`),
          click(T0 + seq * 1_000 + 5),
          custom(T0 + seq * 1_000 + 9, 'step', { n: `${seq}` }),
        ],
        { seq, windowId: seq % 2 === 0 ? 'w1' : 'w2' },
      ),
      receivedAt: T0 + 10_000 + seq * 100 + (sessionId === 'old-session' ? 50 : 0),
    })),
  );
  const first = inputs.filter((input) => storedFirst.includes(input.sessionId) && input.seq === 0);
  const rest = inputs.filter((input) => !first.includes(input));
  for (const store of [grouped, sequential]) {
    for (const input of first) {
      await store.putBatch(input);
    }
  }
  await Promise.all(rest.map((input) => grouped.putBatch(input)));
  for (const input of rest) {
    await sequential.putBatch(input);
  }
}

/** Reads a whole iterable of batches. */
export async function collect(iterable: AsyncIterable<StoredBatch>): Promise<StoredBatch[]> {
  const batches: StoredBatch[] = [];
  for await (const batch of iterable) {
    batches.push(batch);
  }
  return batches;
}

/** The ids of every page of `shop`'s session list, following each page's cursor (at most 10 pages). */
export async function pageIds(
  store: Store,
  options: Partial<ListSessionsOptions> & { limit: number },
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await store.listSessions('shop', { ...options, cursor });
    seen.push(...result.sessions.map((session) => session.id));
    cursor = result.nextCursor;
    if (cursor === null) {
      break;
    }
  }
  return seen;
}

/** Registers the contract tests for a store; `open` gives a fresh, empty store each time. */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) {
        await store.close();
      }
    });

    async function ids(store: Store, options: Partial<ListSessionsOptions>): Promise<string[]> {
      const page = await store.listSessions('shop', { limit: 50, ...options });
      return page.sessions.map((session) => session.id);
    }

    it('stores a batch once: a repeat is a duplicate and changes nothing', async () => {
      const store = await fresh();
      expect(await store.putBatch(batchInput('s1', [meta(T0), click(T0 + 1)]))).toEqual({
        duplicate: false,
        created: true,
      });
      expect(await store.putBatch(batchInput('s1', [meta(T0), click(T0 + 1)]))).toEqual({
        duplicate: true,
        created: false,
      });
      expect(await store.putBatch(batchInput('s1', [click(T0 + 2)], { seq: 1 }))).toEqual({
        duplicate: false,
        created: false,
      });
      const session = await store.getSession('shop', 's1');
      expect(session?.eventCount).toBe(3);
      expect(await collect(store.readBatches('shop', 's1'))).toHaveLength(2);
    });

    it('tells whether a batch is stored by its whole key, in its project only', async () => {
      const store = await fresh();
      await store.putBatch(batchInput('s1', [meta(T0)], { windowId: 'w1', seq: 3 }));
      expect(await store.hasBatch('shop', 's1', 'w1', 3)).toBe(true);
      for (const [projectId, sessionId, windowId, seq] of [
        ['shop', 's1', 'w1', 2],
        ['shop', 's1', 'w2', 3],
        ['shop', 's2', 'w1', 3],
        ['blog', 's1', 'w1', 3],
      ] as const) {
        expect(await store.hasBatch(projectId, sessionId, windowId, seq)).toBe(false);
      }
      await store.deleteSession('shop', 's1');
      expect(await store.hasBatch('shop', 's1', 'w1', 3)).toBe(false);
    });

    it(`lists at most ${SESSION_WINDOWS_MAX} windows of a session, and keeps the batches of the others`, async () => {
      const store = await fresh();
      const windows = Array.from({ length: SESSION_WINDOWS_MAX + 2 }, (_, index) => `w${index}`);
      await Promise.all(
        windows.map((windowId, index) =>
          store.putBatch(batchInput('tabs', [meta(T0 + index)], { windowId })),
        ),
      );
      const session = await store.getSession('shop', 'tabs');
      expect(session?.windowIds).toHaveLength(SESSION_WINDOWS_MAX);
      expect(session?.eventCount).toBe(SESSION_WINDOWS_MAX + 2);
      const unlisted = windows.filter((windowId) => !session?.windowIds.includes(windowId));
      expect(unlisted).toHaveLength(2);
      for (const windowId of unlisted) {
        expect(await collect(store.readBatches('shop', 'tabs', { windowId }))).toHaveLength(1);
      }
    });

    it('stores bodies byte for byte, with their encoding', async () => {
      const store = await fresh();
      const body = new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 0, 255]);
      await store.putBatch(batchInput('s1', [meta(T0)], { body, encoding: 'gzip' }));
      const [stored] = await collect(store.readBatches('shop', 's1'));
      expect(stored?.encoding).toBe('gzip');
      expect([...(stored?.body ?? [])]).toEqual([...body]);
      expect(stored?.timestampOffsetMs).toBe(0);
    });

    it('merges batches in any order: earliest URL, latest user, summed counts, capped names', async () => {
      const store = await fresh();
      const manyNames = Array.from({ length: SUMMARY_LIST_MAX + 10 }, (_, index) =>
        custom(T0 + 300, `event_${index}`),
      );
      await store.putBatch(
        batchInput(
          's1',
          [
            meta(T0 + 200, 'https://shop.test/late'),
            custom(T0 + 201, '$identify', { userId: 'late', traits: { a: 1 } }),
          ],
          { seq: 2 },
        ),
      );
      await store.putBatch(
        batchInput('s1', [
          meta(T0, 'https://shop.test/first'),
          custom(T0 + 1, '$identify', { userId: 'early' }),
        ]),
      );
      await store.putBatch(
        batchInput('s1', [click(T0 + 50), fullSnapshot(T0 + 51), ...manyNames], { windowId: 'w2' }),
      );
      const session = await store.getSession('shop', 's1');
      expect(session).toMatchObject({
        startedAt: T0,
        endedAt: T0 + 300,
        durationMs: 300,
        firstUrl: 'https://shop.test/first',
        // In order of first appearance, not of arrival.
        urls: ['https://shop.test/first', 'https://shop.test/late'],
        userId: 'late',
        userTraits: { a: 1 },
        clickCount: 1,
        eventCount: 4 + 2 + manyNames.length,
        windowIds: ['w1', 'w2'],
        hasFullSnapshot: true,
      });
      expect(session?.customEventNames).toHaveLength(SUMMARY_LIST_MAX);
    });

    it('gives one pass in time order for user, traits, URLs and names, whatever order batches arrive in', async () => {
      const store = await fresh();
      const random = seededRandom(20_240);
      const sessions = Array.from({ length: 6 }, (_, index) => ({
        id: `random-${index}`,
        // Half the sessions pass the cap of URLs and names.
        batches: generateSession(random, {
          start: T0,
          pool: index % 2 === 0 ? 4 : SUMMARY_LIST_MAX + 30,
          events: 150,
        }),
      }));
      for (const { id, batches } of sessions) {
        const inputs = shuffled(random, batches).map((batch) =>
          batchInput(id, batch.events, { windowId: batch.windowId, seq: batch.seq }),
        );
        // Some one at a time, the rest at once (several in one group commit).
        const half = Math.floor(inputs.length / 2);
        for (const input of inputs.slice(0, half)) {
          await store.putBatch(input);
        }
        await Promise.all(inputs.slice(half).map((input) => store.putBatch(input)));
      }
      for (const { id, batches } of sessions) {
        const session = await store.getSession('shop', id);
        const expected = onePass(batches);
        expect(timedFields(session as SessionSummary)).toEqual(expected);
        const landing = expected.urls[0] as string;
        expect(await ids(store, { urlContains: landing })).toContain(id);
      }
    });

    it('reads batches by window then seq, or merged by time, from a sequence number', async () => {
      const store = await fresh();
      // Sent in reverse, in two windows whose batches interleave in time.
      for (let seq = 39; seq >= 0; seq--) {
        const windowId = seq % 2 === 0 ? 'w-b' : 'w-a';
        await store.putBatch(batchInput('s1', [click(T0 + seq * 10)], { windowId, seq }));
      }
      const byWindow = (await collect(store.readBatches('shop', 's1'))).map(
        (batch) => `${batch.windowId}:${batch.seq}`,
      );
      expect(byWindow).toEqual([
        ...Array.from({ length: 20 }, (_, index) => `w-a:${index * 2 + 1}`),
        ...Array.from({ length: 20 }, (_, index) => `w-b:${index * 2}`),
      ]);
      const byTime = (await collect(store.readBatches('shop', 's1', { order: 'time' }))).map(
        (batch) => batch.seq,
      );
      expect(byTime).toEqual(Array.from({ length: 40 }, (_, index) => index));
      const resumed = await collect(
        store.readBatches('shop', 's1', { windowId: 'w-b', fromSeq: 30, order: 'time' }),
      );
      expect(resumed.map((batch) => batch.seq)).toEqual([30, 32, 34, 36, 38]);
    });

    it('lets other writes run while a session is being read', async () => {
      const store = await fresh();
      for (let seq = 0; seq < 40; seq++) {
        await store.putBatch(batchInput('s1', [click(T0 + seq)], { seq }));
      }
      let read = 0;
      for await (const _batch of store.readBatches('shop', 's1')) {
        read++;
        if (read === 1) {
          await store.putBatch(batchInput('s2', [meta(T0)]));
        }
      }
      expect(read).toBe(40);
      expect(await store.getSession('shop', 's2')).toBeDefined();
    });

    it('keeps the markers of every batch, ids unique, sorted by time', async () => {
      const store = await fresh();
      await store.putBatch(
        batchInput('s1', [custom(T0 + 20, 'paid'), custom(T0 + 21, '$error', { message: 'x' })], { seq: 1 }),
      );
      await store.putBatch(batchInput('s1', [custom(T0 + 10, 'cart')], { seq: 0 }));
      const markers = await store.getMarkers('shop', 's1');
      expect(markers.map((marker) => [marker.kind, marker.label])).toEqual([
        ['custom', 'cart'],
        ['custom', 'paid'],
        ['error', 'x'],
      ]);
      expect(new Set(markers.map((marker) => marker.id)).size).toBe(3);
      expect(await store.getMarkers('other', 's1')).toEqual([]);
    });

    it('filters the list by user, event and property, URL, dates, duration, activity and errors', async () => {
      const store = await fresh();
      const move = (time: number) => ({ type: 3, data: { source: 1, positions: [] }, timestamp: time });
      await store.putBatch(
        batchInput('a', [
          meta(T0, 'https://shop.test/Checkout?step=1'),
          custom(T0 + 1, '$identify', { userId: 'u1' }),
          custom(T0 + 2, 'checkout_error', { code: 'E1', retry: true }),
          custom(T0 + 3, '$error', { message: 'boom' }),
          move(T0 + 4),
          move(T0 + 3_004),
          click(T0 + 60_000),
        ]),
      );
      await store.putBatch(
        batchInput('b', [
          meta(T0 + 100_000, 'https://shop.test/home'),
          custom(T0 + 100_001, '$identify', { userId: 'u2' }),
          custom(T0 + 100_002, 'checkout_error', { code: 'E2' }),
          click(T0 + 101_000),
        ]),
      );
      await store.putBatch(batchInput('c', [meta(T0 + 200_000, 'https://blog.test/100%_off')]));
      await store.putBatch(
        batchInput('z', [meta(T0), custom(T0 + 1, 'checkout_error', { code: 'E1' })], { projectId: 'other' }),
      );

      expect(await ids(store, {})).toEqual(['c', 'b', 'a']);
      expect(await ids(store, { userId: 'u1' })).toEqual(['a']);
      expect(await ids(store, { event: 'checkout_error' })).toEqual(['b', 'a']);
      expect(
        await ids(store, { event: 'checkout_error', eventProperty: { name: 'code', value: 'E1' } }),
      ).toEqual(['a']);
      expect(
        await ids(store, { event: 'checkout_error', eventProperty: { name: 'retry', value: 'true' } }),
      ).toEqual(['a']);
      expect(
        await ids(store, { event: 'checkout_error', eventProperty: { name: 'code', value: 'E9' } }),
      ).toEqual([]);
      expect(await ids(store, { urlContains: 'CHECKOUT' })).toEqual(['a']);
      expect(await ids(store, { urlContains: 'shop.test' })).toEqual(['b', 'a']);
      // LIKE wildcards in the text match literally.
      expect(await ids(store, { urlContains: '100%_' })).toEqual(['c']);
      expect(await ids(store, { urlContains: '%' })).toEqual(['c']);
      expect(await ids(store, { from: T0 + 100_000 })).toEqual(['c', 'b']);
      expect(await ids(store, { to: T0 + 100_000 })).toEqual(['a']);
      expect(await ids(store, { minDurationMs: 10_000 })).toEqual(['a']);
      expect(await ids(store, { maxDurationMs: 1_000 })).toEqual(['c', 'b']);
      expect(await ids(store, { minActiveMs: 3_000 })).toEqual(['a']);
      expect(await ids(store, { hasErrors: true })).toEqual(['a']);
      expect(await ids(store, { hasErrors: false })).toEqual(['c', 'b']);
      expect(await ids(store, { userId: 'u2', urlContains: 'home', event: 'checkout_error' })).toEqual(['b']);
    });

    it('sorts by newest, longest and most errors, and pages each with its own cursor', async () => {
      const store = await fresh();
      const sessions: Array<[string, number, number, number]> = [
        // id, start, duration, errors
        ['a', T0, 5_000, 0],
        ['b', T0 + 10, 1_000, 2],
        ['c', T0 + 10, 5_000, 2],
        ['d', T0 + 20, 3_000, 1],
        ['e', T0 + 30, 9_000, 0],
      ];
      for (const [id, start, duration, errors] of sessions) {
        const errorEvents = Array.from({ length: errors }, (_, index) =>
          custom(start + 1 + index, '$error', { message: 'x' }),
        );
        await store.putBatch(batchInput(id, [meta(start), ...errorEvents, click(start + duration)]));
      }
      const all = (sort: 'newest' | 'longest' | 'most_errors') => pageIds(store, { limit: 2, sort });
      expect(await all('newest')).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect(await all('longest')).toEqual(['e', 'c', 'a', 'd', 'b']);
      expect(await all('most_errors')).toEqual(['c', 'b', 'd', 'e', 'a']);
      const first = await store.listSessions('shop', { limit: 2, sort: 'newest' });
      await expect(
        store.listSessions('shop', { limit: 2, sort: 'longest', cursor: first.nextCursor }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.listSessions('shop', { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });

    it('pages through sessions whose times have fractions of a millisecond, each once, in every sort', async () => {
      const store = await fresh();
      for (const [sessionId, fraction] of [
        ['a', 0.3],
        ['b', 0.4],
        ['c', 0.6],
        ['d', 0.7],
      ] as const) {
        await store.putBatch(batchInput(sessionId, [meta(T0 + fraction), click(T0 + 1_000.5)]));
      }
      for (const sort of ['newest', 'longest', 'most_errors'] as const) {
        expect((await pageIds(store, { limit: 1, sort })).sort(), sort).toEqual(['a', 'b', 'c', 'd']);
      }
      // Cursors carry whole milliseconds, as the columns do: anything else was not made here.
      const made = (await store.listSessions('shop', { limit: 1 })).nextCursor ?? '';
      const [projectId, sort, filters] = JSON.parse(
        atob(made.replaceAll('-', '+').replaceAll('_', '/')),
      ) as unknown[];
      for (const keys of [[T0 + 0.5], [1e21], [Number.MAX_SAFE_INTEGER + 2]]) {
        const cursor = btoa(JSON.stringify([projectId, sort, filters, keys, 'd'])).replaceAll('=', '');
        await expect(store.listSessions('shop', { limit: 1, cursor }), String(keys)).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      }
    });

    it('deletes a session with all its data, only in its project', async () => {
      const store = await fresh();
      await store.putBatch(batchInput('s1', [meta(T0), custom(T0 + 1, 'paid', { plan: 'pro' })]));
      await store.putBatch(
        batchInput('s1', [meta(T0), custom(T0 + 1, 'paid', { plan: 'pro' })], { projectId: 'other' }),
      );
      expect(await store.deleteSession('shop', 's1')).toBe(true);
      expect(await store.deleteSession('shop', 's1')).toBe(false);
      expect(await collect(store.readBatches('shop', 's1'))).toEqual([]);
      expect(await store.getMarkers('shop', 's1')).toEqual([]);
      expect(await ids(store, { event: 'paid' })).toEqual([]);
      expect(await store.getSession('other', 's1')).toBeDefined();
      // The same batch may be stored again: nothing of the old one is left.
      expect((await store.putBatch(batchInput('s1', [meta(T0)]))).duplicate).toBe(false);
    });

    it('deletes sessions that ended before a time, in pages, and reports usage', async () => {
      const store = await fresh();
      // Received when recorded, as with clocks that agree.
      for (let index = 0; index < 5; index++) {
        await store.putBatch(batchInput(`old-${index}`, [meta(T0 + index)], { receivedAt: T0 + index }));
      }
      await store.putBatch(batchInput('new', [meta(T0 + 1_000_000)], { receivedAt: T0 + 1_000_000 }));
      await store.putBatch(batchInput('other-old', [meta(T0)], { projectId: 'other', receivedAt: T0 }));
      const before = await store.usage('shop');
      expect(before.sessions).toBe(6);
      expect(before.bytes).toBeGreaterThan(0);
      expect(await store.deleteSessionsEndedBefore('shop', T0 + 500_000, 3)).toBe(3);
      expect(await store.deleteSessionsEndedBefore('shop', T0 + 500_000, 3)).toBe(2);
      expect(await store.deleteSessionsEndedBefore('shop', T0 + 500_000, 3)).toBe(0);
      expect(await ids(store, {})).toEqual(['new']);
      expect((await store.usage('shop')).sessions).toBe(1);
      expect((await store.usage('other')).sessions).toBe(1);
      expect(await store.usage('nobody')).toEqual({ sessions: 0, bytes: 0 });
    });

    it('keeps a session whose last batch arrived after the cutoff, though its events are older', async () => {
      const store = await fresh();
      // A clock two days slow, or an offline queue: old events, received just now.
      const now = T0 + 3 * 86_400_000;
      await store.putBatch(batchInput('late', [meta(T0)], { receivedAt: now }));
      await store.putBatch(batchInput('expired', [meta(T0)], { receivedAt: T0 }));
      expect(await store.deleteSessionsEndedBefore('shop', now - 86_400_000, 10)).toBe(1);
      expect(await ids(store, {})).toEqual(['late']);
      // Once its last batch is older than the cutoff too, it goes.
      expect(await store.deleteSessionsEndedBefore('shop', now + 1, 10)).toBe(1);
      expect(await ids(store, {})).toEqual([]);
    });

    it('sweeps up to a time with a fraction of a millisecond, and refuses a limit under 1', async () => {
      const store = await fresh();
      await store.putBatch(batchInput('ends-at-t0', [meta(T0)], { receivedAt: T0 }));
      await store.putBatch(batchInput('ends-after', [meta(T0 + 1)], { receivedAt: T0 + 1 }));
      // Strictly before T0 + 0.5: the session that ended at T0, not the one at T0 + 1.
      expect(await store.deleteSessionsEndedBefore('shop', T0 + 0.5, 10)).toBe(1);
      expect(await ids(store, {})).toEqual(['ends-after']);
      // A retention of eons: a time far before any session, out of PostgreSQL's bigint.
      expect(await store.deleteSessionsEndedBefore('shop', -8.64e27, 10)).toBe(0);
      for (const limit of [0, -1, 1.5]) {
        await expect(store.deleteSessionsEndedBefore('shop', T0 + 2, limit)).rejects.toThrow(
          /sweep limit must be a whole number of 1 or more/,
        );
      }
      expect(await ids(store, {})).toEqual(['ends-after']);
    });

    it('stores concurrent batches of one new session without losing any', async () => {
      const store = await fresh();
      await Promise.all(
        Array.from({ length: 12 }, (_, seq) =>
          store.putBatch(batchInput('s1', [click(T0 + seq)], { seq, windowId: `w${seq % 3}` })),
        ),
      );
      const session = await store.getSession('shop', 's1');
      expect(session?.eventCount).toBe(12);
      expect(session?.clickCount).toBe(12);
      expect(session?.windowIds.sort()).toEqual(['w0', 'w1', 'w2']);
      expect(await collect(store.readBatches('shop', 's1'))).toHaveLength(12);
    });

    it('stores a NUL character in custom events and the user id, and filters find it', async () => {
      const store = await fresh();
      await store.putBatch(
        batchInput('nul', [
          meta(T0),
          custom(T0 + 1, 'pa\u0000id', { 'pl\u0000an': 'p\u00001' }),
          custom(T0 + 2, '$identify', { userId: 'u\u00001' }),
        ]),
      );
      expect(await store.getSession('shop', 'nul')).toMatchObject({ eventCount: 3, userId: 'u\u00001' });
      const found = async (options: Partial<ListSessionsOptions>) =>
        (await store.listSessions('shop', { limit: 10, ...options })).sessions.map((session) => session.id);
      expect(await found({ userId: 'u\u00001' })).toEqual(['nul']);
      expect(
        await found({ event: 'pa\u0000id', eventProperty: { name: 'pl\u0000an', value: 'p\u00001' } }),
      ).toEqual(['nul']);
    });

    it('finds a user id and event values holding half of a character by U+FFFD, as a query string sends them', async () => {
      const store = await fresh();
      // A page that cuts a string between the two halves of an emoji sends a lone surrogate.
      await store.putBatch(
        batchInput('half', [
          meta(T0),
          custom(T0 + 1, '$identify', { userId: 'Ann \uD83D' }),
          custom(T0 + 2, 'search', { query: '\uDE00 cats' }),
        ]),
      );
      expect((await store.getSession('shop', 'half'))?.userId).toBe('Ann \uD83D');
      // What `GET /v1/sessions` receives for those values: a query string holds whole characters.
      const received = new URLSearchParams(
        sessionListSearchParams({ userId: 'Ann \uD83D', eventProperty: 'query=\uDE00 cats' }).toString(),
      );
      expect(received.get('userId')).toBe('Ann \uFFFD');
      const found = async (options: Partial<ListSessionsOptions>) =>
        (await store.listSessions('shop', { limit: 10, ...options })).sessions.map((session) => session.id);
      expect(await found({ userId: 'Ann \uFFFD' })).toEqual(['half']);
      expect(
        await found({ event: 'search', eventProperty: { name: 'query', value: '\uFFFD cats' } }),
      ).toEqual(['half']);
    });

    it('finds the URLs of a session after one that holds a NUL character, and the text after it', async () => {
      const store = await fresh();
      await store.putBatch(
        batchInput('nul-url', [
          meta(T0, 'https://shop.test/a\u0000Tail'),
          meta(T0 + 1, 'https://blog.test/'),
        ]),
      );
      const found = async (urlContains: string) =>
        (await store.listSessions('shop', { limit: 10, urlContains })).sessions.map((session) => session.id);
      // SQLite's LIKE stops reading its text at a NUL: these were unsearchable there, though
      // PostgreSQL (which stores a NUL as U+FFFD) found them.
      expect(await found('blog.test')).toEqual(['nul-url']);
      expect(await found('a\uFFFDtail')).toEqual(['nul-url']);
      expect((await store.getSession('shop', 'nul-url'))?.urls).toEqual([
        'https://shop.test/a\u0000Tail',
        'https://blog.test/',
      ]);
    });

    it('stores batches whose event times and clock correction have fractions of a millisecond', async () => {
      const store = await fresh();
      // Alone and then grouped with a repeat, so that every way a store writes is taken.
      await store.putBatch({
        ...batchInput('frac', [meta(T0 + 0.5), click(T0 + 1_000.25)]),
        timestampOffsetMs: -0.75,
      });
      await Promise.all([
        store.putBatch(batchInput('frac', [click(T0 + 2_000.5)], { seq: 1 })),
        store.putBatch(batchInput('frac', [click(T0 + 2_000.5)], { seq: 1 })),
        store.putBatch(batchInput('frac', [click(T0 + 3_000.125)], { seq: 2 })),
      ]);
      expect(await store.getSession('shop', 'frac')).toMatchObject({ eventCount: 4, clickCount: 3 });
      expect(await ids(store, { minDurationMs: 2_500 })).toEqual(['frac']);
      expect(await collect(store.readBatches('shop', 'frac'))).toHaveLength(3);
    });

    it('stores a session whose user id, event names and property names are too long to index, keeping them out of the filters', async () => {
      const store = await fresh();
      // Letters that do not compress, as PostgreSQL would compress repeated ones into an index entry.
      let seed = 12345;
      const letters = (length: number) =>
        Array.from({ length }, () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return String.fromCharCode(97 + (seed % 26));
        }).join('');
      const userId = letters(USER_ID_COLUMN_MAX_LENGTH + 1);
      const longName = letters(EVENT_NAME_MAX_LENGTH + 1);
      const longProperty = letters(EVENT_FILTER_PROPERTY_MAX_LENGTH + 1);
      await store.putBatch(
        batchInput('long', [
          meta(T0),
          custom(T0 + 1, longName, { plan: 'pro' }),
          custom(T0 + 2, 'paid', { [longProperty]: 'v', plan: 'pro' }),
          custom(T0 + 3, '$identify', { userId }),
        ]),
      );
      expect(await store.getSession('shop', 'long')).toMatchObject({ eventCount: 4, userId });
      expect(await ids(store, { userId })).toEqual([]);
      expect(await ids(store, { event: longName })).toEqual([]);
      expect(await ids(store, { event: 'paid', eventProperty: { name: longProperty, value: 'v' } })).toEqual(
        [],
      );
      expect(await ids(store, { event: 'paid', eventProperty: { name: 'plan', value: 'pro' } })).toEqual([
        'long',
      ]);
    });

    it('answers ping while open', async () => {
      const store = await fresh();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
