/**
 * The session list over real HTTP, on both stores: what a client sends in a query string
 * finds the same sessions on SQLite and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  API_PATHS,
  type SessionListQuery,
  type SessionListResponse,
  sessionListSearchParams,
} from '@replaykit/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReplayServer } from './app';
import { EVENT_FILTER_ROWS_MAX } from './ingest';
import { type NodeServerHandle, startNodeServer } from './node';
import { createPostgresStore } from './postgres-store';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import {
  batch,
  click,
  custom,
  expectError,
  ingestRequest,
  meta,
  OTHER_READ_KEY,
  OTHER_WRITE_KEY,
  readRequest,
  T0,
  TEST_PROJECTS,
} from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-read-api-http-'));
/** Started by the PostgreSQL cases only, so that the SQLite cases run without PostgreSQL. */
let postgres: TestPostgres | undefined;

afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

let databases = 0;

describe.each([
  ['SQLite', async () => createSqliteStore({ filename: join(directory, `read-${databases++}.db`) })],
  [
    'PostgreSQL',
    async () => {
      postgres ??= await startTestPostgres();
      return createPostgresStore({ connectionString: await postgres.createDatabase() });
    },
  ],
])('the session list over HTTP on %s', (_, openStore: () => Promise<Store>) => {
  let store: Store;
  let replayServer: ReturnType<typeof createReplayServer>;
  let node: NodeServerHandle;

  beforeEach(async () => {
    store = await openStore();
    replayServer = createReplayServer({
      store,
      projects: TEST_PROJECTS,
      onError: () => {},
      retention: { sweepIntervalMs: 0 },
    });
    node = await startNodeServer({ server: replayServer, port: 0 });
  });

  afterEach(async () => {
    replayServer.close();
    await node.close();
    await store.close();
  });

  async function ingest(body: object, key?: string) {
    const response = await fetch(ingestRequest(body, { baseUrl: node.url, ...(key ? { key } : {}) }));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  }

  function list(query: SessionListQuery, key?: string): Promise<Response> {
    return fetch(
      readRequest(`${API_PATHS.sessions}?${sessionListSearchParams(query)}`, {
        baseUrl: node.url,
        ...(key ? { key } : {}),
      }),
    );
  }

  async function listIds(query: SessionListQuery): Promise<string[]> {
    const response = await list(query);
    expect(response.status).toBe(200);
    return ((await response.json()) as SessionListResponse).sessions.map((session) => session.id);
  }

  it("pages each sort through sessions that tie on it, each once, and refuses the cursor for another project's list", async () => {
    // Same start, duration and error count: only the id tells them apart.
    const shop = ['s1', 's2', 's3', 's4', 's5'];
    for (const id of shop) {
      await ingest(batch(id, [meta(T0), click(T0 + 1_000)]));
    }
    // The other project's sessions are newer than any of the shop's.
    for (const id of ['b1', 'b2', 'b3']) {
      await ingest(batch(id, [meta(T0 + 60_000), click(T0 + 61_000)]), OTHER_WRITE_KEY);
    }
    for (const sort of ['newest', 'longest', 'most_errors'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await list({ sort, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(response.status).toBe(200);
        const page = (await response.json()) as SessionListResponse;
        seen.push(...page.sessions.map((session) => session.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen, sort).toEqual([...shop].reverse());
    }

    const first = (await (await list({ limit: 2 })).json()) as SessionListResponse;
    const cursor = first.nextCursor ?? '';
    // Before, the other project's list went on from the shop's position: its newer sessions
    // were skipped, and the page said there were none.
    const { error } = await expectError(
      await list({ limit: 2, cursor }, OTHER_READ_KEY),
      400,
      'invalid_cursor',
    );
    expect(error.message).toContain('with the same read key and sort');
    await expectError(await list({ limit: 2, cursor, sort: 'longest' }), 400, 'invalid_cursor');
    expect(await listIds({ limit: 2, cursor })).toEqual(['s3', 's2']);
  });

  it('tells a client holding a cursor of an earlier release to start the list again, not to pass it unchanged', async () => {
    for (const id of ['s1', 's2', 's3']) {
      await ingest(batch(id, [meta(T0), click(T0 + 1_000)]));
    }
    // As earlier releases encoded them: [project, sort, keys, id] before cursors carried their
    // filters, [sort, keys, id] before they named their project, and before sorts [startedAt, id].
    const earlier = (position: unknown[]) =>
      btoa(JSON.stringify(position)).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
    for (const cursor of [
      earlier(['shop', 'newest', [T0], 's3']),
      earlier(['newest', [T0], 's3']),
      earlier([T0, 's3']),
    ]) {
      const { error } = await expectError(await list({ limit: 2, cursor }), 400, 'invalid_cursor');
      // The client did pass it unchanged: it was told to do what it had done.
      expect(error.message).toContain('made by an earlier release');
      expect(error.message).toContain('start the list again from its first page');
      expect(error.message).not.toContain('unchanged');
    }
    // A cursor that is no cursor at all is still told what a cursor is.
    const { error } = await expectError(await list({ limit: 2, cursor: 'garbage' }), 400, 'invalid_cursor');
    expect(error.message).toContain('pass the nextCursor of the previous page unchanged');
    expect(await listIds({ limit: 2 })).toEqual(['s3', 's2']);
  });

  /** Six sessions, s1 … s6 a minute apart (newest first: s6 … s1); the even ones have an error and visit /checkout. */
  async function ingestCheckoutSessions() {
    for (let index = 1; index <= 6; index++) {
      const even = index % 2 === 0;
      const start = T0 + index * 60_000;
      await ingest(
        batch(`s${index}`, [
          meta(start, even ? 'https://shop.example/checkout' : 'https://shop.example/'),
          click(start + 1_000),
          ...(even ? [custom(start + 2_000, '$error', { message: 'failed' })] : []),
        ]),
      );
    }
  }

  /** The session ids a query string written by hand finds, as a client may order and spell it. */
  async function listIdsOf(search: string): Promise<string[]> {
    const response = await fetch(readRequest(`${API_PATHS.sessions}?${search}`, { baseUrl: node.url }));
    expect(response.status, search).toBe(200);
    return ((await response.json()) as SessionListResponse).sessions.map((session) => session.id);
  }

  it('refuses a cursor used with other filters than the list it was made for, on every filter', async () => {
    await ingestCheckoutSessions();
    const filtered: SessionListQuery = { hasErrors: true, limit: 1 };
    const first = (await (await list(filtered)).json()) as SessionListResponse;
    expect(first.sessions.map((session) => session.id)).toEqual(['s6']);
    const cursor = first.nextCursor ?? '';
    // Before, each of these answered a page cut at s6's position in a list it never was
    // in: without the filter, s5 and s4 as if they followed s6 among the sessions with errors.
    for (const other of [
      {},
      { hasErrors: false },
      { urlContains: 'checkout' },
      { hasErrors: true, userId: 'someone' },
      { hasErrors: true, minDurationMs: 1_000 },
      { hasErrors: true, event: 'add_to_cart', eventProperty: 'sku=1' },
    ] satisfies SessionListQuery[]) {
      const { error } = await expectError(await list({ ...other, limit: 2, cursor }), 400, 'invalid_cursor');
      expect(error.message, JSON.stringify(other)).toContain('made for this list with other filters');
      expect(error.message).toContain('start the list again from its first page');
    }
    // The same filters go on where the page ended, whatever the page size.
    expect(await listIds({ ...filtered, limit: 5, cursor })).toEqual(['s4', 's2']);
  });

  it('goes on with a cursor passed with a date window that moved, as "the last 7 days" does at each request', async () => {
    await ingestCheckoutSessions();
    // s1 … s6 started a minute apart from T0 + 1 min; this window holds s2 … s6.
    const first = (await (await list({ from: T0 + 90_000, limit: 2 })).json()) as SessionListResponse;
    expect(first.sessions.map((session) => session.id)).toEqual(['s6', 's5']);
    const cursor = first.nextCursor ?? '';
    // Before, each was refused as other filters: a client that computes its window from the
    // clock at each request could not reach page 2. The window moved a minute and a half on:
    // the page goes on after s5, and s2, now before the window, is left out.
    expect(await listIds({ from: T0 + 180_000, limit: 5, cursor })).toEqual(['s4', 's3']);
    // Its end moves as well: s4 started at `to`, which is outside the window.
    expect(await listIds({ from: T0 + 180_000, to: T0 + 240_000, limit: 5, cursor })).toEqual(['s3']);
    // The other filters still belong to the cursor, whatever the window.
    const { error } = await expectError(
      await list({ from: T0 + 180_000, hasErrors: true, limit: 5, cursor }),
      400,
      'invalid_cursor',
    );
    expect(error.message).toContain('made for this list with other filters');
    // A cursor given out before the window left the digest, for a list without dates, still
    // goes on: s6's position among the sessions with errors, with that release's digest.
    const before = btoa(JSON.stringify(['shop', 'newest', '1brnyk0', [T0 + 360_000], 's6']))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replaceAll('=', '');
    expect(await listIds({ hasErrors: true, limit: 5, cursor: before })).toEqual(['s4', 's2']);
  });

  it('refuses a cursor passed with a date window that starts earlier, whose sessions would rank before it unseen', async () => {
    await ingestCheckoutSessions();
    // Before the window below: the longest session of all (10 s; the others take 1 or 2 s).
    await ingest(batch('s0', [meta(T0, 'https://shop.example/'), click(T0 + 10_000)]));
    const first = (await (
      await list({ sort: 'longest', from: T0 + 30_000, limit: 1 })
    ).json()) as SessionListResponse;
    expect(first.sessions.map((session) => session.id)).toEqual(['s6']);
    const cursor = first.nextCursor ?? '';
    // Before, each was answered with the page after s6 in the wider list, without s0, which
    // ranks before s6 and so on no page after it.
    for (const earlier of [{ from: T0 }, {}] satisfies SessionListQuery[]) {
      const { error } = await expectError(
        await list({ ...earlier, sort: 'longest', limit: 5, cursor }),
        400,
        'invalid_cursor',
      );
      expect(error.message, JSON.stringify(earlier)).toContain('whose date window started later (from)');
      expect(error.message).toContain('start the list again from its first page');
    }
    // The same start, or a later one, goes on; the end may move either way.
    expect(await listIds({ sort: 'longest', from: T0 + 30_000, limit: 5, cursor })).toEqual([
      's4',
      's2',
      's5',
      's3',
      's1',
    ]);
    expect(
      await listIds({ sort: 'longest', from: T0 + 150_000, to: T0 + 330_000, limit: 5, cursor }),
    ).toEqual(['s4', 's5', 's3']);
  });

  it('goes on with a cursor passed with filters written differently that find the same sessions', async () => {
    await ingestCheckoutSessions();
    const first = (await (
      await list({ urlContains: 'Checkout', hasErrors: true, minDurationMs: 1_000, limit: 1 })
    ).json()) as SessionListResponse;
    expect(first.sessions.map((session) => session.id)).toEqual(['s6']);
    const cursor = encodeURIComponent(first.nextCursor ?? '');
    // Before, each was refused as other filters: urlContains is matched in any case, yet its
    // digest was of the text as typed.
    for (const search of [
      // The same text in another case, the parameters in another order, another page size.
      `hasErrors=true&minDurationMs=1000&urlContains=CHECKOUT&limit=5&cursor=${cursor}`,
      // An empty parameter counts as not given; a number with a leading zero is the same number.
      `cursor=${cursor}&userId=&urlContains=checkout&minDurationMs=01000&hasErrors=true`,
      // The default sort, spelled out.
      `sort=newest&urlContains=cHeCkOuT&hasErrors=true&minDurationMs=1000&cursor=${cursor}`,
    ]) {
      expect(await listIdsOf(search), search).toEqual(['s4', 's2']);
    }
    // What finds other sessions is still another list: other text (a space is not trimmed),
    // and hasErrors=false, which finds the sessions without errors, not all of them.
    for (const search of [
      `urlContains=Checkout%20&hasErrors=true&minDurationMs=1000&cursor=${cursor}`,
      `urlContains=Checkou&hasErrors=true&minDurationMs=1000&cursor=${cursor}`,
      `urlContains=Checkout&hasErrors=false&minDurationMs=1000&cursor=${cursor}`,
      `urlContains=Checkout&minDurationMs=1000&cursor=${cursor}`,
    ]) {
      const response = await fetch(readRequest(`${API_PATHS.sessions}?${search}`, { baseUrl: node.url }));
      const { error } = await expectError(response, 400, 'invalid_cursor');
      expect(error.message, search).toContain('made for this list with other filters');
    }
  });

  it('goes on with a cursor passed with or without minDurationMs=0 and minActiveMs=0, which exclude no session', async () => {
    await ingestCheckoutSessions();
    const plain = (await (await list({ hasErrors: true, limit: 1 })).json()) as SessionListResponse;
    const zeros = (await (
      await list({ hasErrors: true, minDurationMs: 0, minActiveMs: 0, limit: 1 })
    ).json()) as SessionListResponse;
    expect(plain.sessions.map((session) => session.id)).toEqual(['s6']);
    expect(zeros.sessions.map((session) => session.id)).toEqual(['s6']);
    const withoutZeros = encodeURIComponent(plain.nextCursor ?? '');
    const withZeros = encodeURIComponent(zeros.nextCursor ?? '');
    // Before, each was refused as other filters: a duration or active time is never below 0,
    // so a list form that sends its empty minimum as 0 finds the same sessions as one that
    // leaves it out, yet its digest held the 0.
    for (const search of [
      `hasErrors=true&minDurationMs=0&cursor=${withoutZeros}`,
      `hasErrors=true&minActiveMs=0&cursor=${withoutZeros}`,
      `hasErrors=true&minDurationMs=00&minActiveMs=0&cursor=${withoutZeros}`,
      `hasErrors=true&cursor=${withZeros}`,
      `hasErrors=true&minActiveMs=0&cursor=${withZeros}`,
    ]) {
      expect(await listIdsOf(search), search).toEqual(['s4', 's2']);
    }
    // A minimum of 1 ms is a filter: it leaves out sessions of a single event.
    for (const search of [
      `hasErrors=true&minDurationMs=1&cursor=${withoutZeros}`,
      `hasErrors=true&minActiveMs=1&cursor=${withZeros}`,
    ]) {
      const response = await fetch(readRequest(`${API_PATHS.sessions}?${search}`, { baseUrl: node.url }));
      const { error } = await expectError(response, 400, 'invalid_cursor');
      expect(error.message, search).toContain('made for this list with other filters');
    }
  });

  it('finds every event of a batch by its name, however many property rows the events before it fill', async () => {
    // An error storm: each $error has its own message, filling the batch's event index rows.
    const storm = Array.from({ length: EVENT_FILTER_ROWS_MAX }, (_, index) =>
      custom(T0 + 1 + index, '$error', { message: `Cannot read properties of undefined (item ${index})` }),
    );
    await ingest(
      batch('storm', [meta(T0), ...storm, custom(T0 + 5_000, 'checkout_failed', { step: 'payment' })]),
    );
    expect(await listIds({ event: 'checkout_failed' })).toEqual(['storm']);
    expect(await listIds({ event: '$error' })).toEqual(['storm']);
    expect(
      await listIds({
        event: '$error',
        eventProperty: 'message=Cannot read properties of undefined (item 0)',
      }),
    ).toEqual(['storm']);
  });

  /**
   * Stores a session of 100 batches that each inflate to 400 KB of events: its stream (40 MB)
   * cannot all be on its way before the client reads it, while the bodies stored stay small.
   */
  async function storeLargeSession(sessionId: string) {
    const text = 'x'.repeat(400_000);
    for (let seq = 0; seq < 100; seq++) {
      const body = gzipSync(JSON.stringify(batch(sessionId, [custom(T0 + seq, 'blob', { text })], { seq })));
      const response = await fetch(ingestRequest(body, { baseUrl: node.url }));
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
  }

  it('breaks the chunk stream of a session deleted while it is read, rather than end it as if whole', async () => {
    await storeLargeSession('doomed');
    const stream = await fetch(readRequest(API_PATHS.sessionChunks('doomed'), { baseUrl: node.url }));
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);
    const deleted = await fetch(
      readRequest(API_PATHS.session('doomed'), { baseUrl: node.url, method: 'DELETE' }),
    );
    expect(deleted.status).toBe(204);
    // Before, the stream ended as a whole one does, with the batches read so far: a player or
    // an export could not tell it from the whole recording.
    const drain = async () => {
      while (!(await reader.read()).done) {
        // Reads on until the stream ends or breaks.
      }
    };
    await expect(drain()).rejects.toThrow();
    // Resuming, as the player does after a broken stream, says why.
    const resumed = await fetch(
      readRequest(`${API_PATHS.sessionChunks('doomed')}?windowId=window-1&fromSeq=1`, { baseUrl: node.url }),
    );
    await expectError(resumed, 404, 'session_not_found');
  });

  it('breaks the chunk stream when the store fails midway, rather than end it after an "Error:" line', async () => {
    await storeLargeSession('failing');
    // The store fails at the sixth batch, as when PostgreSQL ends the connection.
    const failing: Store = {
      ...store,
      async *readBatches(projectId, sessionId, options) {
        for await (const stored of store.readBatches(projectId, sessionId, options)) {
          if (stored.seq === 5) {
            throw new Error('Connection terminated unexpectedly');
          }
          yield stored;
        }
      },
    };
    const errors: unknown[] = [];
    const failingServer = createReplayServer({
      store: failing,
      projects: TEST_PROJECTS,
      onError: (error) => errors.push(error),
      retention: { sweepIntervalMs: 0 },
    });
    const failingNode = await startNodeServer({ server: failingServer, port: 0 });
    try {
      const stream = await fetch(
        readRequest(API_PATHS.sessionChunks('failing'), { baseUrl: failingNode.url }),
      );
      expect(stream.status).toBe(200);
      // Before, Node's adapter wrote "Error: The session stream failed…" after the fifth line
      // and ended the answer as a whole one: the player gave up on a line that is not JSON
      // instead of resuming, and other clients kept five batches as the session.
      await expect(stream.text()).rejects.toThrow();
      expect(errors).toHaveLength(1);
    } finally {
      failingServer.close();
      await failingNode.close();
    }
  });

  it.each(['onError', 'onAnswerBroken'] as const)(
    'closes the store reader of a chunk stream that breaks when %s throws, and logs that throw once',
    async (hook) => {
      await storeLargeSession('damaged');
      // The real store's reader, counted: its finally runs when the server closes it.
      let opened = 0;
      let closed = 0;
      const damaged: Store = {
        ...store,
        async *readBatches(projectId, sessionId, options) {
          opened++;
          try {
            for await (const stored of store.readBatches(projectId, sessionId, options)) {
              // The sixth body as if damaged on disk: the server fails to decode it, not the store.
              yield stored.seq === 5 ? { ...stored, body: new Uint8Array([1, 2, 3]) } : stored;
            }
          } finally {
            closed++;
          }
        },
      };
      const hookFailure = new Error(`the ${hook} of the application failed`);
      const throwing = () => {
        throw hookFailure;
      };
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      const damagedServer = createReplayServer({
        store: damaged,
        projects: TEST_PROJECTS,
        onError: hook === 'onError' ? throwing : () => {},
        retention: { sweepIntervalMs: 0 },
      });
      const damagedNode = await startNodeServer({
        server: damagedServer,
        port: 0,
        onAnswerBroken: hook === 'onAnswerBroken' ? throwing : () => {},
      });
      try {
        const stream = await fetch(
          readRequest(API_PATHS.sessionChunks('damaged'), { baseUrl: damagedNode.url }),
        );
        expect(stream.status).toBe(200);
        await expect(stream.text()).rejects.toThrow();
        // Before, the hook's throw skipped the reader's return(): it stayed open for good (with a
        // store that holds a connection or a statement per reader, that was never given back).
        await vi.waitFor(() => expect(closed).toBe(1));
        expect(opened).toBe(1);
        const hookLines = logged.mock.calls.filter((call) => call.includes(hookFailure));
        expect(hookLines).toHaveLength(1);
        expect(String(hookLines[0]?.[0])).toContain(`the ${hook} hook threw`);
      } finally {
        logged.mockRestore();
        damagedServer.close();
        await damagedNode.close();
      }
    },
  );

  it('finds URLs by their non-ASCII text as read and as browsers send it, percent-encoded', async () => {
    // location.href, as the recorder reports it, holds non-ASCII text percent-encoded.
    await ingest(
      batch('cafe', [meta(T0, 'https://shop.test/Caf%C3%A9/cr%C3%A8me-br%C3%BBl%C3%A9e?q=%E2%82%AC')]),
    );
    await ingest(batch('upper', [meta(T0 + 1, 'https://shop.test/CAF%C3%89')]));
    // Latin-1 bytes, not UTF-8: only found as sent.
    await ingest(batch('latin', [meta(T0 + 2, 'https://shop.test/caf%E9')]));
    await ingest(batch('plain', [meta(T0 + 3, 'https://shop.test/cafe')]));

    expect(await listIds({ urlContains: 'café' })).toEqual(['upper', 'cafe']);
    expect(await listIds({ urlContains: 'CAFÉ' })).toEqual(['upper', 'cafe']);
    expect(await listIds({ urlContains: '/crème-brûlée?q=€' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'caf%c3%a9' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'CAF%C3%A9' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'caf%e9' })).toEqual(['latin']);
    expect(await listIds({ urlContains: 'cafe' })).toEqual(['plain']);
  });
});
