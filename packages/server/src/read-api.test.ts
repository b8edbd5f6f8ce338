import {
  API_PATHS,
  type ErrorBody,
  type SessionChunk,
  type SessionEventsResponse,
  type SessionListQuery,
  type SessionListResponse,
  type SessionResponse,
  sessionListSearchParams,
} from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplayServer, type ReplayServer } from './app';
import { EVENT_FILTER_PROPERTY_MAX_LENGTH, EVENT_FILTER_VALUE_MAX_LENGTH } from './ingest';
import { createSqliteStore } from './sqlite-store';
import { type Store, timeMergeComparisonsForTests, USER_ID_COLUMN_MAX_LENGTH } from './store';
import { batchInput } from './test/store-contract';
import {
  batch,
  click,
  custom,
  expectError,
  fullSnapshot,
  ingestRequest,
  meta,
  OTHER_READ_KEY,
  readRequest,
  T0,
  TEST_PROJECTS,
} from './test/support';

let store: Store;
let server: ReplayServer;

beforeEach(() => {
  store = createSqliteStore({ filename: ':memory:' });
  server = createReplayServer({
    store,
    projects: TEST_PROJECTS,
    onError: () => {},
    retention: { sweepIntervalMs: 0 },
  });
});

afterEach(async () => {
  server.close();
  await store.close();
});

async function ingest(body: object) {
  expect((await server.fetch(ingestRequest(body))).status).toBe(200);
}

async function list(query: SessionListQuery | string, key?: string): Promise<Response> {
  const search = typeof query === 'string' ? query : sessionListSearchParams(query).toString();
  return server.fetch(readRequest(`${API_PATHS.sessions}?${search}`, key ? { key } : {}));
}

async function listIds(query: SessionListQuery): Promise<string[]> {
  const response = await list(query);
  expect(response.status).toBe(200);
  return ((await response.json()) as SessionListResponse).sessions.map((session) => session.id);
}

async function seed() {
  await ingest(
    batch('a', [
      meta(T0, 'https://shop.test/checkout'),
      custom(T0 + 1, '$identify', { userId: 'u1' }),
      custom(T0 + 2, 'checkout_error', { code: 'E1' }),
      custom(T0 + 3, '$error', { message: 'boom' }),
      click(T0 + 30_000),
    ]),
  );
  await ingest(batch('b', [meta(T0 + 60_000, 'https://shop.test/'), click(T0 + 61_000)]));
}

describe('GET /v1/sessions filters over HTTP', () => {
  it('applies every SessionListQuery filter and sort', async () => {
    await seed();
    expect(await listIds({})).toEqual(['b', 'a']);
    expect(await listIds({ userId: 'u1' })).toEqual(['a']);
    expect(await listIds({ event: 'checkout_error', eventProperty: 'code=E1' })).toEqual(['a']);
    expect(await listIds({ event: 'checkout_error', eventProperty: 'code=E2' })).toEqual([]);
    expect(await listIds({ event: '$error', eventProperty: 'message=boom' })).toEqual(['a']);
    expect(await listIds({ urlContains: 'Checkout' })).toEqual(['a']);
    expect(await listIds({ from: T0 + 1, to: T0 + 120_000 })).toEqual(['b']);
    expect(await listIds({ minDurationMs: 10_000 })).toEqual(['a']);
    expect(await listIds({ maxDurationMs: 10_000 })).toEqual(['b']);
    expect(await listIds({ hasErrors: true })).toEqual(['a']);
    expect(await listIds({ hasErrors: false })).toEqual(['b']);
    expect(await listIds({ minActiveMs: 0 })).toEqual(['b', 'a']);
    expect(await listIds({ sort: 'longest' })).toEqual(['a', 'b']);
    expect(await listIds({ sort: 'most_errors' })).toEqual(['a', 'b']);
  });

  it.each([
    ['sort=oldest', 'sort must be one of'],
    ['from=yesterday', 'from must be a time in ms'],
    // A whole number of 0 or more, but past the largest that a double holds exactly.
    ['from=1700000000000000000', 'a whole number from 0 to 9007199254740991'],
    ['minDurationMs=-5', 'minDurationMs must be a number of milliseconds'],
    ['hasErrors=yes', 'hasErrors must be true or false'],
    ['eventProperty=code%3DE1', 'pass event too'],
    ['event=x&eventProperty=nonsense', 'name=value'],
    ['from=10&to=5', 'must be before'],
    // In times a person reads, with the fix.
    [
      'from=1795910400000&to=1795824000000',
      'from (1795910400000, 2026-11-29T00:00:00.000Z) must be before to (1795824000000, 2026-11-28T00:00:00.000Z); swap them',
    ],
    ['minDurationMs=10&maxDurationMs=5', 'must not be larger'],
    // No session is active longer than it lasts: this answered an empty list.
    ['minActiveMs=10&maxDurationMs=5', 'a session is active for at most its duration'],
    ['userid=u1', 'Unknown parameter "userid" (did you mean "userId"?)'],
    ['minDuration=5000', 'Unknown parameter "minDuration" (did you mean "minDurationMs"?)'],
    ['urlContain=checkout', 'Unknown parameter "urlContain" (did you mean "urlContains"?)'],
    ['page=2', 'Unknown parameter "page"; the session list understands userId,'],
    ['limit=1&limit=2', 'given 2 times'],
    // A line break could only match across two URLs of a session, and SQLite's LIKE stops
    // reading at a NUL (so it matched every session).
    ['urlContains=checkout%0Ahttps', 'within one URL'],
    ['urlContains=%00', 'within one URL'],
    // Never indexed, so these answered "no session" while every identified session has one.
    ['event=%24identify', 'by userId'],
    ['event=%24navigation', 'by urlContains'],
    ['event=%24console&eventProperty=level%3Derror', 'replaykit does not index'],
  ])('answers 400 with how to fix it for %s', async (query, message) => {
    await seed();
    const response = await list(query);
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(['invalid_query', 'invalid_limit']).toContain(body.error.code);
    expect(body.error.message).toContain(message);
  });

  // Kept in the recording but not indexed, so these answered "no session" for sessions that hold them.
  it.each([
    [
      'user id',
      `userId=${'u'.repeat(USER_ID_COLUMN_MAX_LENGTH + 1)}`,
      'userId is 513 characters long, and only',
    ],
    [
      'property name',
      `event=paid&eventProperty=${'p'.repeat(EVENT_FILTER_PROPERTY_MAX_LENGTH + 1)}%3Dv`,
      'The eventProperty name is 201 characters long, and only those up to 200',
    ],
    [
      'property value',
      `event=paid&eventProperty=plan%3D${'v'.repeat(EVENT_FILTER_VALUE_MAX_LENGTH + 1)}`,
      'The eventProperty value is 201 characters long, and only those up to 200',
    ],
  ])(
    'answers 400 for a %s longer than ingest indexes, which no session could match',
    async (_name, query, message) => {
      const body = await expectError(await list(query), 400, 'invalid_query');
      expect(body.error.message).toContain(message);
      expect(body.error.message).toContain('filter by something else');
    },
  );

  it('finds a session by the longest user id, property name and value that ingest indexes', async () => {
    const userId = 'u'.repeat(USER_ID_COLUMN_MAX_LENGTH);
    const property = 'p'.repeat(EVENT_FILTER_PROPERTY_MAX_LENGTH);
    const value = 'v'.repeat(EVENT_FILTER_VALUE_MAX_LENGTH);
    await ingest(
      batch('long', [
        meta(T0),
        custom(T0 + 1, '$identify', { userId }),
        custom(T0 + 2, 'paid', { [property]: value }),
      ]),
    );
    expect(await listIds({ userId })).toEqual(['long']);
    expect(await listIds({ event: 'paid', eventProperty: `${property}=${value}` })).toEqual(['long']);
  });

  it("never lists or reads another project's sessions", async () => {
    await seed();
    const other = await list({}, OTHER_READ_KEY);
    expect(((await other.json()) as SessionListResponse).sessions).toEqual([]);
    for (const path of [API_PATHS.session('a'), API_PATHS.sessionEvents('a'), API_PATHS.sessionChunks('a')]) {
      const response = await server.fetch(readRequest(path, { key: OTHER_READ_KEY }));
      expect(response.status).toBe(404);
    }
    const deleted = await server.fetch(
      readRequest(API_PATHS.session('a'), { key: OTHER_READ_KEY, method: 'DELETE' }),
    );
    expect(deleted.status).toBe(404);
    expect((await server.fetch(readRequest(API_PATHS.session('a')))).status).toBe(200);
  });
});

describe('query parameters of the session routes', () => {
  async function seedWindows() {
    for (let seq = 0; seq < 4; seq++) {
      await ingest(batch('s', [click(T0 + seq)], { windowId: 'wa', seq }));
      await ingest(batch('s', [click(T0 + seq)], { windowId: 'wb', seq }));
    }
  }

  async function chunkIds(query: string): Promise<string[]> {
    const response = await server.fetch(readRequest(`${API_PATHS.sessionChunks('s')}${query}`));
    expect(response.status).toBe(200);
    return (await response.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const chunk = JSON.parse(line) as SessionChunk;
        return `${chunk.windowId}:${chunk.seq}`;
      });
  }

  it.each([
    // A resuming client that misspells fromSeq would get the whole window again.
    ['chunks', '?windowId=wa&fromseq=3', 'Unknown parameter "fromseq" (did you mean "fromSeq"?)'],
    ['chunks', '?windowid=wa&fromSeq=3', 'Unknown parameter "windowid" (did you mean "windowId"?)'],
    // A misspelling, not only another case, finds the parameter meant.
    ['chunks', '?windowId=wa&fromSq=3', 'Unknown parameter "fromSq" (did you mean "fromSeq"?)'],
    [
      'chunks',
      '?window=wb',
      'Unknown parameter "window" (did you mean "windowId"?); GET /v1/sessions/:id/chunks understands windowId, fromSeq.',
    ],
    [
      'chunks',
      '?session=wb',
      'Unknown parameter "session"; GET /v1/sessions/:id/chunks understands windowId, fromSeq.',
    ],
    ['chunks', '?windowId=wa&windowId=wb', 'windowId is given 2 times; give it once.'],
    ['chunks', '?windowId=wa&fromSeq=3&fromSeq=0', 'fromSeq is given 2 times; give it once.'],
    ['events', '?windowid=wa', 'Unknown parameter "windowid" (did you mean "windowId"?)'],
    [
      'events',
      '?window=wb',
      'Unknown parameter "window" (did you mean "windowId"?); GET /v1/sessions/:id/events understands windowId.',
    ],
    [
      'events',
      '?windowId=wa&fromSeq=2',
      'Unknown parameter "fromSeq"; GET /v1/sessions/:id/events understands windowId.',
    ],
    ['events', '?windowId=wa&windowId=wb', 'windowId is given 2 times; give it once.'],
    ['session', '?windowId=wa', 'Unknown parameter "windowId"; GET /v1/sessions/:id takes no parameters.'],
  ] as const)('%s answers 400 for %s, naming the parameter', async (route, query, message) => {
    await seedWindows();
    const path = {
      chunks: API_PATHS.sessionChunks,
      events: API_PATHS.sessionEvents,
      session: API_PATHS.session,
    }[route]('s');
    const body = await expectError(await server.fetch(readRequest(`${path}${query}`)), 400, 'invalid_query');
    expect(body.error.message).toContain(message);
  });

  it('refuses a parameter on DELETE, which removes the whole session, and deletes nothing', async () => {
    await seedWindows();
    const body = await expectError(
      await server.fetch(readRequest(`${API_PATHS.session('s')}?windowId=wa`, { method: 'DELETE' })),
      400,
      'invalid_query',
    );
    expect(body.error.message).toContain('DELETE /v1/sessions/:id takes no parameters');
    expect(await chunkIds('?windowId=wa')).toEqual(['wa:0', 'wa:1', 'wa:2', 'wa:3']);
  });

  it('still answers the parameters the player sends, and empty ones as not given', async () => {
    await seedWindows();
    expect(await chunkIds('?windowId=wa&fromSeq=3')).toEqual(['wa:3']);
    expect(await chunkIds('?windowId=wb')).toEqual(['wb:0', 'wb:1', 'wb:2', 'wb:3']);
    expect(await chunkIds('?windowId=wa&fromSeq=')).toHaveLength(4);
    expect(await chunkIds('')).toHaveLength(8);
    const events = await server.fetch(readRequest(`${API_PATHS.sessionEvents('s')}?windowId=wb`));
    expect(((await events.json()) as SessionEventsResponse).events).toHaveLength(4);
    expect((await server.fetch(readRequest(API_PATHS.session('s')))).status).toBe(200);
    expect((await server.fetch(readRequest(`${API_PATHS.session('s')}?`))).status).toBe(200);
  });

  it('checks the read key before the query', async () => {
    await seedWindows();
    await expectError(
      await server.fetch(readRequest(`${API_PATHS.sessionChunks('s')}?fromseq=1`, { key: null })),
      401,
      'missing_key',
    );
  });
});

describe('clock correction of event times with fractions of a millisecond', () => {
  it('gives the summary, the markers and the events read back the same corrected times', async () => {
    // A client clock 10 days ahead, past the skew limit: the batch is moved by a whole number of ms.
    const ahead = Date.now() + 10 * 86_400_000;
    await ingest(
      batch('frac', [
        meta(ahead + 0.5),
        custom(ahead + 10.5, '$error', { message: 'x' }),
        click(ahead + 20.5),
      ]),
    );
    const { session, markers } = (await (
      await server.fetch(readRequest(API_PATHS.session('frac')))
    ).json()) as SessionResponse;
    const { events } = (await (await server.fetch(readRequest(API_PATHS.sessionEvents('frac')))).json()) as {
      events: Array<{ timestamp: number }>;
    };
    const times = events.map((event) => event.timestamp);
    expect(times.map((time) => time % 1)).toEqual([0.5, 0.5, 0.5]);
    expect(times[0]).toBeLessThan(ahead - 9 * 86_400_000);
    expect([session.startedAt, session.endedAt]).toEqual([times[0], times[2]]);
    expect(markers.filter((marker) => marker.kind === 'error').map((marker) => marker.timestamp)).toEqual([
      times[1],
    ]);
  });
});

describe('clock correction of a batch whose events disagree', () => {
  it.each([
    ['an event at 0 beside one now', [0, 'now']],
    ['an event at 0 beside one far in the future, which the correction moves below 0', [0, 'far']],
  ] as const)('refuses %s, naming the event, and stores nothing', async (_name, times) => {
    const now = Date.now();
    const at = (time: 0 | 'now' | 'far') => (time === 'now' ? now : time === 'far' ? 2 ** 52 : 0);
    const response = await server.fetch(
      ingestRequest(batch('skewed', [click(at(times[0])), meta(at(times[1]))])),
    );
    const body = await expectError(response, 400, 'invalid_batch');
    expect(body.error.event).toBe(0);
    expect(body.error.message).toContain('before 2000 once the batch');
    expect((await server.fetch(readRequest(API_PATHS.session('skewed')))).status).toBe(404);
  });

  it('still moves a batch whose events are all from a clock stuck in 1970', async () => {
    await ingest(batch('stuck', [meta(1_000), click(2_000)]));
    const { session } = (await (
      await server.fetch(readRequest(API_PATHS.session('stuck')))
    ).json()) as SessionResponse;
    expect(session.durationMs).toBe(1_000);
    expect(session.endedAt).toBeGreaterThan(Date.now() - 60_000);
  });
});

const DAY = 86_400_000;

describe("clock correction by the client's send time (sentAt)", () => {
  const HOUR = 3_600_000;

  /**
   * A phone whose clock is `skew` ms off records 10 minutes offline (a batch every 2 s, two
   * clicks in each), and its queue delivers the 300 batches in a burst on reconnect.
   */
  function queuedRecording(sessionId: string, skew: number, realStart: number) {
    return Array.from({ length: 300 }, (_, i) => {
      const t = realStart + skew + i * 2_000;
      return batch(
        sessionId,
        [...(i === 0 ? [meta(t), fullSnapshot(t)] : []), click(t + 500), click(t + 1_500)],
        {
          seq: i,
        },
      );
    });
  }

  async function sessionOf(id: string) {
    const response = await server.fetch(readRequest(API_PATHS.session(id)));
    expect(response.status).toBe(200);
    return ((await response.json()) as SessionResponse).session;
  }

  it('keeps the spacing and duration of a burst of queued batches from a clock 1 h fast', async () => {
    const realStart = Date.now() - 15 * 60_000;
    // Each batch says when it was sent, by the same fast clock: all of them now.
    for (const item of queuedRecording('burst', HOUR, realStart)) {
      await ingest({ ...item, sentAt: Date.now() + HOUR });
    }
    const session = await sessionOf('burst');
    // One correction for the whole recording: 10 min, all of it active, at its real time.
    expect(session.durationMs).toBeGreaterThan(599_000);
    expect(session.durationMs).toBeLessThan(601_000);
    expect(session.activeMs).toBeGreaterThan(590_000);
    expect(Math.abs(session.startedAt - realStart)).toBeLessThan(10_000);
    // Read back in order, batches do not overlap: the events keep their order and spacing.
    const { events } = (await (await server.fetch(readRequest(API_PATHS.sessionEvents('burst')))).json()) as {
      events: Array<{ timestamp: number }>;
    };
    const times = events.map((event) => event.timestamp);
    expect(times).toHaveLength(602);
    expect(times.every((time, index) => index === 0 || time >= (times[index - 1] as number))).toBe(true);
  });

  it('without sentAt, still moves each batch by its newest event: the same burst collapses', async () => {
    const realStart = Date.now() - 15 * 60_000;
    for (const item of queuedRecording('no-sent-at', HOUR, realStart)) {
      await ingest(item);
    }
    const session = await sessionOf('no-sent-at');
    // What servers did before sentAt, and still do for clients that do not send it.
    expect(session.durationMs).toBeLessThan(60_000);
    expect(session.endedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('keeps times within SENT_AT_TOLERANCE_MS of the send time, and corrects a clock minutes fast or days slow', async () => {
    const now = Date.now();
    // 30 s apart: the upload itself, or a clock close enough. Times kept as sent.
    await ingest({ ...batch('near', [meta(now + 20_000), click(now + 25_000)]), sentAt: now + 30_000 });
    expect((await sessionOf('near')).startedAt).toBe(now + 20_000);
    // 2 min fast and 2 days slow are within the event limits, yet sentAt tells the error:
    // before, neither was corrected, and a page 2 days slow listed its session 2 days back.
    await ingest({ ...batch('fast', [meta(now + 110_000), click(now + 115_000)]), sentAt: now + 120_000 });
    await ingest({
      ...batch('slow', [meta(now - 2 * DAY - 10_000), click(now - 2 * DAY - 5_000)]),
      sentAt: now - 2 * DAY,
    });
    for (const id of ['fast', 'slow']) {
      const session = await sessionOf(id);
      expect(session.startedAt).toBeGreaterThan(now - 30_000);
      expect(session.startedAt).toBeLessThanOrEqual(Date.now());
      expect(session.durationMs).toBe(5_000);
    }
  });

  it('moves a batch by its newest event when sentAt would leave its events in the future', async () => {
    const now = Date.now();
    // sentAt says the clock is right, yet the events are a day ahead of it: not to be trusted.
    await ingest({
      ...batch('inconsistent', [meta(now + 86_400_000), click(now + 86_401_000)]),
      sentAt: now,
    });
    const session = await sessionOf('inconsistent');
    expect(session.durationMs).toBe(1_000);
    expect(session.endedAt).toBeLessThanOrEqual(Date.now());
    expect(session.endedAt).toBeGreaterThan(now - 60_000);
  });

  it('keeps events within the limits when sentAt disagrees with them (sent in seconds, say)', async () => {
    const now = Date.now();
    await ingest({
      ...batch('seconds', [meta(now - 3_000), click(now - 1_000)]),
      sentAt: Math.floor(now / 1_000),
    });
    const session = await sessionOf('seconds');
    // Before, the events were moved to the receive time as if their clock were wrong.
    expect(session.startedAt).toBe(now - 3_000);
    expect(session.endedAt).toBe(now - 1_000);
  });

  it('treats a re-send with a later sentAt as a repeat, and reads back the first correction', async () => {
    const now = Date.now();
    const first = { ...batch('resent', [meta(now + HOUR - 10_000), click(now + HOUR)]), sentAt: now + HOUR };
    await ingest(first);
    const before = await sessionOf('resent');
    const again = await server.fetch(ingestRequest({ ...first, sentAt: now + 3 * HOUR }));
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(await sessionOf('resent')).toEqual(before);
    const { events } = (await (
      await server.fetch(readRequest(API_PATHS.sessionEvents('resent')))
    ).json()) as {
      events: Array<{ timestamp: number }>;
    };
    expect(events.map((event) => event.timestamp)).toEqual([before.startedAt, before.endedAt]);
    expect(Math.abs(before.endedAt - now)).toBeLessThan(10_000);
  });

  it.each([
    ['a string', '1700000000000', /^The batch is not valid: sentAt: sentAt must be a number/],
    ['negative', -1, /^The batch is not valid: sentAt: sentAt must not be negative/],
    ['in nanoseconds', 1.7e18, /^The batch is not valid: sentAt: sentAt must be at most .* not nanoseconds/],
    ['null', null, /^The batch is not valid: sentAt: sentAt must be a number/],
  ])('refuses a sentAt that is %s with 400 invalid_batch naming it', async (_name, sentAt, message) => {
    const response = await server.fetch(ingestRequest({ ...batch('bad-sent-at', [meta(T0)]), sentAt }));
    const body = await expectError(response, 400, 'invalid_batch');
    expect(body.error.message).toMatch(message);
    expect((await server.fetch(readRequest(API_PATHS.session('bad-sent-at')))).status).toBe(404);
  });
});

describe('DELETE /v1/sessions/:id', () => {
  it('removes the session, its chunks, markers and event index; the id can be recorded again', async () => {
    await seed();
    const response = await server.fetch(readRequest(API_PATHS.session('a'), { method: 'DELETE' }));
    expect(response.status).toBe(204);
    expect((await server.fetch(readRequest(API_PATHS.session('a')))).status).toBe(404);
    expect((await server.fetch(readRequest(API_PATHS.sessionChunks('a')))).status).toBe(404);
    expect(await listIds({ event: 'checkout_error' })).toEqual([]);
    await ingest(batch('a', [meta(T0 + 5)]));
    const { session, markers } = (await (
      await server.fetch(readRequest(API_PATHS.session('a')))
    ).json()) as SessionResponse;
    expect(session.eventCount).toBe(1);
    expect(markers).toEqual([]);
  });
});

describe('GET /v1/sessions/:id/chunks of a session with many windows', () => {
  it('merges 20,000 windows by time in O(n log w) comparisons, in time then window id order', async () => {
    // One batch per window, first event times in 97 values, so most windows tie with others
    // and go out by window id ("w10" before "w2").
    const windows = 20_000;
    const startOf = (window: number) => T0 + (window % 97);
    const puts: Promise<unknown>[] = [];
    for (let window = 0; window < windows; window++) {
      puts.push(
        store.putBatch(batchInput('many', [click(startOf(window))], { windowId: `w${window}`, seq: 0 })),
      );
      if (puts.length === 2_000) {
        await Promise.all(puts.splice(0));
      }
    }
    await Promise.all(puts);

    const before = timeMergeComparisonsForTests();
    const response = await server.fetch(readRequest(API_PATHS.sessionChunks('many')));
    expect(response.status).toBe(200);
    const chunks = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SessionChunk);
    const comparisons = timeMergeComparisonsForTests() - before;

    const expected = Array.from({ length: windows }, (_, window) => window)
      .sort((a, b) => startOf(a) - startOf(b) || (`w${a}` < `w${b}` ? -1 : 1))
      .map((window) => `w${window}`);
    expect(chunks.map((chunk) => chunk.windowId)).toEqual(expected);
    // A heap of the windows makes at most about 2 × log2(20,000) ≈ 29 comparisons per batch. The scan
    // of every window for every batch it replaced made about 20,000 per batch (n × w / 2 in
    // all), stalling the process for seconds before the first chunk.
    expect(comparisons).toBeLessThan(40 * windows);
  }, 60_000);
});
