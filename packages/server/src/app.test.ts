import { brotliCompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import {
  API_PATHS,
  EventType,
  encodeWireDeltas,
  IncrementalSource,
  type RecordedEvent,
  type SessionChunk,
  type SessionEventsResponse,
  type SessionListResponse,
  type SessionResponse,
} from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplayServer, type ReplayServer, type ReplayServerOptions } from './app';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import {
  batch,
  click,
  custom,
  expectError,
  fullSnapshot,
  ingestRequest,
  meta,
  OTHER_READ_KEY,
  OTHER_WRITE_KEY,
  READ_KEY,
  readRequest,
  T0,
  TEST_PROJECTS,
  WRITE_KEY,
} from './test/support';

let store: Store;
let server: ReplayServer;

function makeServer(options: Partial<ReplayServerOptions> = {}): ReplayServer {
  return createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {}, ...options });
}

beforeEach(() => {
  store = createSqliteStore({ filename: ':memory:' });
  server = makeServer();
});

afterEach(async () => {
  await store.close();
});

async function ingest(body: object, options: Parameters<typeof ingestRequest>[1] = {}) {
  const response = await server.fetch(ingestRequest(body, options));
  expect(response.status).toBe(200);
  return (await response.json()) as { ok: boolean; duplicate: boolean };
}

async function readEvents(sessionId: string, query = '') {
  const response = await server.fetch(readRequest(`${API_PATHS.sessionEvents(sessionId)}${query}`));
  expect(response.status).toBe(200);
  return ((await response.json()) as SessionEventsResponse).events;
}

describe('health', () => {
  it('answers /healthz without a key', async () => {
    const response = await server.fetch(new Request('http://replaykit.test/healthz'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});

describe('ingest', () => {
  it('stores a plain JSON batch and serves its events back', async () => {
    const events = [meta(T0), fullSnapshot(T0 + 1), click(T0 + 2)];
    expect(await ingest(batch('s1', events))).toEqual({ ok: true, duplicate: false });
    expect(await readEvents('s1')).toEqual(events);
  });

  it('stores a gzip batch sent with Content-Encoding: gzip', async () => {
    const events = [meta(T0), fullSnapshot(T0 + 1)];
    const body = gzipSync(JSON.stringify(batch('s1', events)));
    const response = await server.fetch(ingestRequest(body, { headers: { 'content-encoding': 'gzip' } }));
    expect(response.status).toBe(200);
    expect(await readEvents('s1')).toEqual(events);
  });

  it('recognises gzip by its magic bytes when sent as text/plain without an encoding (sendBeacon)', async () => {
    const events = [meta(T0), fullSnapshot(T0 + 1)];
    const body = gzipSync(JSON.stringify(batch('s1', events)));
    const response = await server.fetch(
      ingestRequest(body, {
        key: null,
        query: `?key=${WRITE_KEY}`,
        headers: { 'content-type': 'text/plain' },
      }),
    );
    expect(response.status).toBe(200);
    expect(await readEvents('s1')).toEqual(events);
    const session = (await (
      await server.fetch(readRequest(API_PATHS.session('s1')))
    ).json()) as SessionResponse;
    expect(session.session.byteCount).toBe(body.byteLength);
  });

  it('reads a format 2 body (numbers delta-encoded by the recorder) as the batch it encodes', async () => {
    const events = [
      meta(T0),
      fullSnapshot(T0 + 1),
      click(T0 + 20),
      custom(T0 + 35, 'checkout_error', { code: 'card_declined', id: 77 }),
      click(T0 + 2_000),
    ];
    const body = gzipSync(encodeWireDeltas(JSON.stringify(batch('s1', events))));
    expect(gunzipSync(body).toString()).toMatch(/^\{"v":2,.*"timestamp":19\}/);
    await ingest(body);
    expect(await readEvents('s1')).toEqual(events);
    expect((await readChunks('s1'))[0]?.events).toEqual(events);
    const { session, markers } = (await (
      await server.fetch(readRequest(API_PATHS.session('s1')))
    ).json()) as SessionResponse;
    expect(session).toMatchObject({ startedAt: T0, endedAt: T0 + 2_000, clickCount: 2, eventCount: 5 });
    expect(markers).toEqual([
      expect.objectContaining({ kind: 'custom', label: 'checkout_error', timestamp: T0 + 35 }),
    ]);
    // A repeat of the same batch in format 1 is the same batch.
    expect(await ingest(batch('s1', events))).toEqual({ ok: true, duplicate: true });
  });

  it('refuses a format 2 batch whose timestamps do not add up, and other versions, naming the field', async () => {
    const negative = { ...batch('s1', [meta(T0), click(T0 + 5)]), v: 2 };
    // The second timestamp is a difference: T0 + (-2 * T0) is before 1970.
    negative.events[1] = { ...click(0), timestamp: -2 * T0 };
    const refused = await expectError(await server.fetch(ingestRequest(negative)), 400, 'invalid_batch');
    expect(refused.error.message).toContain('events.1.timestamp');
    const future = await expectError(
      await server.fetch(ingestRequest({ ...batch('s1', [meta(T0)]), v: 3 })),
      400,
      'invalid_batch',
    );
    expect(future.error.message).toContain('v must be 1 or 2');
  });

  it('answers 401 missing_key without a write key', async () => {
    const response = await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { key: null }));
    const body = await expectError(response, 401, 'missing_key');
    expect(body.error.message).toContain('x-replaykit-key');
  });

  it('answers 403 invalid_key for an unknown write key, and for a read key', async () => {
    await expectError(
      await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { key: 'nope' })),
      403,
      'invalid_key',
    );
    await expectError(
      await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { key: READ_KEY })),
      403,
      'invalid_key',
    );
  });

  it('answers 400 invalid_json for malformed JSON and for an empty body', async () => {
    await expectError(await server.fetch(ingestRequest('{"v":1,')), 400, 'invalid_json');
    await expectError(await server.fetch(ingestRequest('')), 400, 'invalid_json');
  });

  it('answers 400 invalid_batch naming the offending field', async () => {
    const response = await server.fetch(ingestRequest({ ...batch('s1', [meta(T0)]), seq: -1 }));
    const body = await expectError(response, 400, 'invalid_batch');
    expect(body.error.message).toContain('seq: seq must not be negative');
    const badEvent = await server.fetch(ingestRequest(batch('s1', [{ type: 9, data: {}, timestamp: T0 }])));
    expect((await expectError(badEvent, 400, 'invalid_batch')).error.message).toContain('events.0.type');
    const nanoseconds = await server.fetch(ingestRequest(batch('s1', [meta(T0), click(T0 * 1_000_000)])));
    expect((await expectError(nanoseconds, 400, 'invalid_batch')).error.message).toContain(
      'events.1.timestamp: event.timestamp must be at most 9007199254740991 (2^53 - 1 ms since 1970): a time in milliseconds, not nanoseconds',
    );
  });

  it('takes gzip however Content-Encoding spells it, and refuses other codings with 415 naming them', async () => {
    for (const [seq, coding] of ['GZIP', 'x-gzip', 'gzip, identity', 'identity'].entries()) {
      const json = JSON.stringify(batch('s1', [meta(T0)], { seq }));
      const body = coding === 'identity' ? json : gzipSync(json);
      const response = await server.fetch(ingestRequest(body, { headers: { 'content-encoding': coding } }));
      expect({ coding, status: response.status }).toEqual({ coding, status: 200 });
    }
    const json = JSON.stringify(batch('s2', [meta(T0)]));
    for (const [coding, body] of [
      ['deflate', deflateSync(json)],
      ['br', brotliCompressSync(json)],
      // Even over gzip bytes: the declared coding is not one the server decodes.
      ['zstd', gzipSync(json)],
    ] as const) {
      const response = await server.fetch(ingestRequest(body, { headers: { 'content-encoding': coding } }));
      const refusal = await expectError(response, 415, 'unsupported_encoding');
      expect(refusal.error.message).toContain(`"${coding}"`);
      expect(response.headers.get('accept-encoding')).toBe('gzip');
    }
  });

  it('answers 400 invalid_encoding for corrupt gzip', async () => {
    const body = gzipSync(JSON.stringify(batch('s1', [meta(T0)])));
    const truncated = body.subarray(0, body.length - 10);
    await expectError(await server.fetch(ingestRequest(truncated)), 400, 'invalid_encoding');
  });

  it('answers 413 body_too_large for a body over the limit, declared or streamed', async () => {
    server = makeServer({ limits: { maxBodyBytes: 1_000 } });
    const big = batch('s1', [custom(T0, 'big', { text: 'x'.repeat(2_000) })]);
    const declared = await server.fetch(ingestRequest(big));
    expect((await expectError(declared, 413, 'body_too_large')).error.message).toContain('1000 bytes');

    // A streamed body has no Content-Length: the limit must hold while it arrives.
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 100) {
          controller.enqueue(bytes.subarray(offset, offset + 100));
        }
        controller.close();
      },
    });
    const streamed = new Request('http://replaykit.test/v1/ingest', {
      method: 'POST',
      headers: { 'x-replaykit-key': WRITE_KEY },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectError(await server.fetch(streamed), 413, 'body_too_large');
    expect(await store.getSession('shop', 's1')).toBeUndefined();
  });

  it('stops inflating a gzip bomb at the decompressed limit: 413 quickly, memory bounded', async () => {
    const decompressedLimitBytes = 1024 * 1024;
    server = makeServer({ limits: { maxDecompressedBytes: decompressedLimitBytes } });
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(100 * 1024);
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    const startedAt = performance.now();
    const response = await server.fetch(ingestRequest(bomb, { headers: { 'content-type': 'text/plain' } }));
    const elapsedMs = performance.now() - startedAt;
    await expectError(response, 413, 'body_too_large');
    // Inflating all 50 MB takes about half a second here and holds 50 MB; stopping at
    // the limit takes a few milliseconds and holds about the limit.
    expect(elapsedMs).toBeLessThan(1_000);
    expect(process.memoryUsage().arrayBuffers - arrayBuffersBefore).toBeLessThan(20 * 1024 * 1024);
  });

  it('acknowledges a repeated batch as a duplicate and stores it once', async () => {
    const sent = batch('s1', [meta(T0), click(T0 + 1)]);
    expect(await ingest(sent)).toEqual({ ok: true, duplicate: false });
    expect(await ingest(sent)).toEqual({ ok: true, duplicate: true });
    expect(await readEvents('s1')).toHaveLength(2);
    const session = await store.getSession('shop', 's1');
    expect(session).toMatchObject({ eventCount: 2, clickCount: 1 });
  });

  it('serves batches that arrived out of order in time order, across windows', async () => {
    await ingest(batch('s1', [click(T0 + 20), click(T0 + 21)], { seq: 2 }));
    await ingest(batch('s1', [meta(T0), fullSnapshot(T0 + 1)], { seq: 0 }));
    await ingest(batch('s1', [click(T0 + 15)], { windowId: 'window-2', seq: 0 }));
    await ingest(batch('s1', [click(T0 + 10)], { seq: 1 }));
    const events = await readEvents('s1');
    expect(events.map((event) => event.timestamp)).toEqual([T0, T0 + 1, T0 + 10, T0 + 15, T0 + 20, T0 + 21]);
    const secondWindow = await readEvents('s1', '?windowId=window-2');
    expect(secondWindow.map((event) => event.timestamp)).toEqual([T0 + 15]);
  });

  it('answers 503 store_unavailable without internals when the store fails', async () => {
    const errors: unknown[] = [];
    const failing: Store = {
      ...store,
      putBatch: async () => {
        throw new Error('SQLITE_FULL: /var/secret/replaykit.db');
      },
    };
    server = makeServer({ store: failing, onError: (error) => errors.push(error) });
    const response = await server.fetch(ingestRequest(batch('s1', [meta(T0)])));
    const body = await expectError(response, 503, 'store_unavailable');
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(response.headers.get('retry-after')).not.toBeNull();
    expect(errors).toHaveLength(1);
  });

  it('answers 405 for other methods on the ingest route and 404 for unknown routes', async () => {
    await expectError(
      await server.fetch(new Request('http://replaykit.test/v1/ingest')),
      405,
      'method_not_allowed',
    );
    await expectError(await server.fetch(new Request('http://replaykit.test/v2/nothing')), 404, 'not_found');
  });

  it('names the routes under the base path when answering 404 outside it', async () => {
    server = makeServer({ basePath: '/replaykit' });
    const outside = await server.fetch(ingestRequest(batch('s1', [meta(T0)])));
    const { message } = (await expectError(outside, 404, 'not_found')).error;
    expect(message).toContain('No route POST /v1/ingest.');
    // It said "The API has POST /v1/ingest", the very route it had just not found.
    expect(message).toContain('The API has POST /replaykit/v1/ingest, GET /replaykit/v1/sessions,');
    expect(message).toContain('GET /replaykit/healthz and GET /replaykit/readyz.');
  });
});

describe('read API', () => {
  it('answers 401 without a read key and 403 for a write key or an unknown key', async () => {
    await ingest(batch('s1', [meta(T0)]));
    await expectError(await server.fetch(readRequest(API_PATHS.sessions, { key: null })), 401, 'missing_key');
    await expectError(
      await server.fetch(
        readRequest(API_PATHS.sessions, { key: null, headers: { authorization: `Basic abc` } }),
      ),
      401,
      'missing_key',
    );
    const withWriteKey = await server.fetch(readRequest(API_PATHS.session('s1'), { key: WRITE_KEY }));
    expect((await expectError(withWriteKey, 403, 'invalid_key')).error.message).toContain('write key');
    await expectError(
      await server.fetch(readRequest(API_PATHS.sessions, { key: 'nope' })),
      403,
      'invalid_key',
    );
  });

  it('summarises a session: first URL, custom events, clicks, errors, user, snapshot, windows', async () => {
    // The later batch arrives first: the first URL must still come from the earliest page.
    await ingest(
      batch(
        's1',
        [
          meta(T0 + 100, 'https://shop.test/checkout'),
          custom(T0 + 100, '$navigation', { url: 'https://shop.test/checkout', kind: 'pushState' }),
          click(T0 + 101),
          custom(T0 + 102, 'checkout_error', { code: 'E1' }),
          custom(T0 + 103, '$error', { message: 'Boom' }),
          custom(T0 + 104, '$identify', { userId: 'user-42' }),
        ],
        { seq: 1 },
      ),
    );
    await ingest(
      batch(
        's1',
        [meta(T0, 'https://shop.test/'), fullSnapshot(T0 + 1), click(T0 + 2), custom(T0 + 3, 'add_to_cart')],
        {
          seq: 0,
        },
      ),
    );
    await ingest(batch('s1', [click(T0 + 50)], { windowId: 'window-2' }));

    const response = await server.fetch(readRequest(API_PATHS.session('s1')));
    expect(response.status).toBe(200);
    const { session, markers } = (await response.json()) as SessionResponse;
    expect(session).toMatchObject({
      id: 's1',
      startedAt: T0,
      endedAt: T0 + 104,
      durationMs: 104,
      eventCount: 11,
      firstUrl: 'https://shop.test/',
      userId: 'user-42',
      clickCount: 3,
      errorCount: 1,
      hasFullSnapshot: true,
    });
    // In order of first appearance (add_to_cart is earlier, though its batch arrived second).
    expect(session.customEventNames).toEqual(['add_to_cart', 'checkout_error']);
    expect(session.windowIds.sort()).toEqual(['window-1', 'window-2']);
    expect(markers.map((marker) => [marker.kind, marker.label])).toEqual([
      ['custom', 'add_to_cart'],
      ['navigation', 'https://shop.test/checkout'],
      ['custom', 'checkout_error'],
      ['error', 'Boom'],
      ['identify', 'Identified as user-42'],
    ]);
  });

  it('lists sessions newest first and pages with an opaque cursor', async () => {
    // Two sessions share a start time: the id breaks the tie, so none is skipped or repeated.
    const starts: Array<[string, number]> = [
      ['a', T0],
      ['b', T0 + 1_000],
      ['c', T0 + 2_000],
      ['d', T0 + 2_000],
      ['e', T0 + 3_000],
    ];
    for (const [id, start] of starts) {
      await ingest(batch(id, [meta(start)]));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await server.fetch(readRequest(`${API_PATHS.sessions}?limit=2${query}`));
      expect(response.status).toBe(200);
      const page = (await response.json()) as SessionListResponse;
      expect(page.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.sessions.map((session) => session.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toBe(3);

    const all = (await (await server.fetch(readRequest(API_PATHS.sessions))).json()) as SessionListResponse;
    expect(all.sessions).toHaveLength(5);
    expect(all.nextCursor).toBeNull();
  });

  it.each(['0', '201', 'ten', '1.5', '-1'])('answers 400 invalid_limit for limit=%s', async (limit) => {
    const response = await server.fetch(readRequest(`${API_PATHS.sessions}?limit=${limit}`));
    expect((await expectError(response, 400, 'invalid_limit')).error.message).toContain('1 to 200');
  });

  it('answers 400 invalid_cursor for a cursor it did not make', async () => {
    const response = await server.fetch(readRequest(`${API_PATHS.sessions}?cursor=not-a-cursor`));
    await expectError(response, 400, 'invalid_cursor');
  });

  it("keeps projects apart: another project's key sees 404 and an empty list", async () => {
    await ingest(batch('s1', [meta(T0)]));
    await expectError(
      await server.fetch(readRequest(API_PATHS.session('s1'), { key: OTHER_READ_KEY })),
      404,
      'session_not_found',
    );
    await expectError(
      await server.fetch(readRequest(API_PATHS.sessionEvents('s1'), { key: OTHER_READ_KEY })),
      404,
      'session_not_found',
    );
    const list = (await (
      await server.fetch(readRequest(API_PATHS.sessions, { key: OTHER_READ_KEY }))
    ).json()) as SessionListResponse;
    expect(list.sessions).toEqual([]);
    await expectError(
      await server.fetch(readRequest(API_PATHS.session('s1'), { key: OTHER_READ_KEY, method: 'DELETE' })),
      404,
      'session_not_found',
    );
    // The same session id in the other project is a different session.
    await ingest(batch('s1', [meta(T0 + 5), click(T0 + 6)]), { key: OTHER_WRITE_KEY });
    expect(await readEvents('s1')).toHaveLength(1);
  });

  it('answers 404 for an unknown session and 400 for an invalid id or windowId', async () => {
    await expectError(
      await server.fetch(readRequest(API_PATHS.session('missing'))),
      404,
      'session_not_found',
    );
    await expectError(
      await server.fetch(readRequest(API_PATHS.session('a'.repeat(65)))),
      400,
      'invalid_session_id',
    );
    await expectError(await server.fetch(readRequest('/v1/sessions/a%20b')), 400, 'invalid_session_id');
    await ingest(batch('s1', [meta(T0)]));
    await expectError(
      await server.fetch(readRequest(`${API_PATHS.sessionEvents('s1')}?windowId=../x`)),
      400,
      'invalid_window_id',
    );
  });

  it('deletes a session and its events', async () => {
    await ingest(batch('s1', [meta(T0)]));
    const deleted = await server.fetch(readRequest(API_PATHS.session('s1'), { method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    await expectError(await server.fetch(readRequest(API_PATHS.session('s1'))), 404, 'session_not_found');
    await expectError(
      await server.fetch(readRequest(API_PATHS.session('s1'), { method: 'DELETE' })),
      404,
      'session_not_found',
    );
    // A re-sent batch after deletion starts a new session rather than being taken for a duplicate.
    expect(await ingest(batch('s1', [meta(T0)]))).toEqual({ ok: true, duplicate: false });
  });
});

describe('CORS', () => {
  const origin = 'https://app.shop.test';

  it('answers an ingest preflight from any origin when the project lists none', async () => {
    const response = await server.fetch(
      new Request('http://replaykit.test/v1/ingest', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-replaykit-key',
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-replaykit-key');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('lets the browser read ingest errors, so a recorder can tell 413 from a network failure', async () => {
    server = makeServer({ limits: { maxBodyBytes: 10 } });
    const response = await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { headers: { origin } }));
    expect(response.status).toBe(413);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('lets the browser read Retry-After on another origin, on ingest and read answers', async () => {
    server = makeServer({ limits: { ratePerSecond: 1, rateBurst: 1 } });
    await ingest(batch('s1', [meta(T0)]));
    const limited = await server.fetch(
      ingestRequest(batch('s1', [meta(T0 + 1)], { seq: 1 }), { headers: { origin } }),
    );
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    // Before, a page on another origin read null and retried on its own backoff.
    expect(limited.headers.get('access-control-expose-headers')).toBe('Retry-After');
    const read = await server.fetch(readRequest(API_PATHS.session('s1'), { headers: { origin } }));
    expect(read.headers.get('access-control-expose-headers')).toBe('Retry-After');
  });

  it("refuses origins outside a project's allowedOrigins", async () => {
    server = makeServer({
      projects: [{ ...TEST_PROJECTS[0]!, allowedOrigins: ['https://app.shop.test/'] }],
    });
    const allowed = await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { headers: { origin } }));
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);

    const foreign = await server.fetch(
      ingestRequest(batch('s2', [meta(T0)]), { headers: { origin: 'https://evil.test' } }),
    );
    await expectError(foreign, 403, 'origin_not_allowed');
    // Readable by that page, so that its recorder stops rather than retrying a CORS error.
    expect(foreign.headers.get('access-control-allow-origin')).toBe('https://evil.test');
    expect(await store.getSession('shop', 's2')).toBeUndefined();

    const preflight = await server.fetch(
      new Request('http://replaykit.test/v1/ingest', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
      }),
    );
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a read preflight with Authorization allowed', async () => {
    const response = await server.fetch(
      new Request(`http://replaykit.test${API_PATHS.session('s1')}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    const list = await server.fetch(readRequest(API_PATHS.sessions, { headers: { origin } }));
    expect(list.headers.get('access-control-allow-origin')).toBe(origin);
    // Once per answer, on the list and on one session.
    expect(list.headers.get('vary')).toBe('Origin');
    await ingest(batch('s1', [meta(T0)]));
    const one = await server.fetch(readRequest(API_PATHS.session('s1'), { headers: { origin } }));
    expect(one.headers.get('vary')).toBe('Origin');
  });

  it('limits read origins when readOrigins is set', async () => {
    server = makeServer({ readOrigins: ['https://admin.shop.test'] });
    const foreign = await server.fetch(readRequest(API_PATHS.sessions, { headers: { origin } }));
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const admin = await server.fetch(
      readRequest(API_PATHS.sessions, { headers: { origin: 'https://admin.shop.test' } }),
    );
    expect(admin.headers.get('access-control-allow-origin')).toBe('https://admin.shop.test');
  });
});

describe('configuration', () => {
  it('refuses keys shared between projects or roles, and malformed origins', () => {
    expect(() =>
      createReplayServer({ store, projects: [{ id: 'p', writeKey: 'same', readKey: 'same' }] }),
    ).toThrow(/distinct/);
    expect(() =>
      createReplayServer({
        store,
        projects: [{ id: 'p', writeKey: 'w', readKey: 'r', allowedOrigins: ['app.shop.test/path'] }],
      }),
    ).toThrow(/not an origin/);
    expect(() => createReplayServer({ store, projects: [] })).toThrow(/at least one project/);
  });

  it('refuses keys that an HTTP header cannot carry as they are, naming the project, the key and the character', () => {
    const make = (writeKey: string, readKey: string) => () =>
      createReplayServer({ store, projects: [TEST_PROJECTS[0]!, { id: 'blog', writeKey, readKey }] });
    // A read key from a file that kept its line break: "Bearer <key>" can never carry it.
    expect(make('w', 'rk_read_blog\n')).toThrow(
      /Project "blog": its readKey has a control character such as a line break at character 13 of 13; a key must be visible ASCII without spaces/,
    );
    expect(make('w', 'read key')).toThrow(/its readKey has a space at character 5 of 8/);
    expect(make(' w', 'r')).toThrow(/its writeKey has a space at character 1 of 2/);
    expect(make('wé', 'r')).toThrow(/its writeKey has a character outside ASCII at character 2 of 2/);
    expect(make('w\t', 'r')).toThrow(/its writeKey has a control character/);
    // Every visible ASCII character is fine.
    const printable = String.fromCharCode(...Array.from({ length: 94 }, (_, index) => 0x21 + index));
    expect(make(printable, 'r')).not.toThrow();
  });
});

async function readChunks(sessionId: string, query = '', key?: string) {
  const response = await server.fetch(
    readRequest(`${API_PATHS.sessionChunks(sessionId)}${query}`, key ? { key } : {}),
  );
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  const text = await response.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SessionChunk);
}

describe('chunk stream', () => {
  it('streams batches as NDJSON: seq order within a window, first event time across windows', async () => {
    // Sent out of order, in two windows whose batches interleave in time.
    await ingest(batch('s1', [click(T0 + 300)], { windowId: 'w-a', seq: 2 }));
    await ingest(batch('s1', [meta(T0), fullSnapshot(T0 + 1)], { windowId: 'w-a', seq: 0 }));
    await ingest(batch('s1', [click(T0 + 150)], { windowId: 'w-b', seq: 0 }));
    await ingest(batch('s1', [click(T0 + 100)], { windowId: 'w-a', seq: 1 }));
    await ingest(batch('s1', [click(T0 + 400)], { windowId: 'w-b', seq: 1 }));
    const chunks = await readChunks('s1');
    expect(chunks.map((chunk) => `${chunk.windowId}:${chunk.seq}`)).toEqual([
      'w-a:0',
      'w-a:1',
      'w-b:0',
      'w-a:2',
      'w-b:1',
    ]);
    expect(chunks[0]?.events).toEqual([meta(T0), fullSnapshot(T0 + 1)]);
  });

  it('resumes from a window and sequence number', async () => {
    for (let seq = 0; seq < 5; seq++) {
      await ingest(batch('s1', [click(T0 + seq)], { windowId: 'w-a', seq }));
    }
    await ingest(batch('s1', [click(T0 + 2)], { windowId: 'w-b', seq: 0 }));
    const resumed = await readChunks('s1', '?windowId=w-a&fromSeq=3');
    expect(resumed.map((chunk) => [chunk.windowId, chunk.seq])).toEqual([
      ['w-a', 3],
      ['w-a', 4],
    ]);
    expect((await readChunks('s1', '?windowId=w-b')).map((chunk) => chunk.seq)).toEqual([0]);
  });

  it('streams a large session without building the whole answer first', async () => {
    const bigEvents = (seq: number) =>
      Array.from({ length: 200 }, (_, index) =>
        custom(T0 + seq * 1_000 + index, 'tick', { pad: 'x'.repeat(500) }),
      );
    for (let seq = 0; seq < 20; seq++) {
      await ingest(batch('s1', bigEvents(seq), { seq }));
    }
    const response = await server.fetch(readRequest(API_PATHS.sessionChunks('s1')));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    // The first read holds at most the first batch's line: the rest is produced on demand.
    const firstText = new TextDecoder().decode(first.value);
    expect(firstText.split('\n').filter(Boolean)).toHaveLength(1);
    expect((JSON.parse(firstText) as SessionChunk).seq).toBe(0);
    await reader.cancel();
  });

  it('reports nothing to onError when the reader goes away while a batch is being read', async () => {
    for (let seq = 0; seq < 3; seq++) {
      await ingest(batch('s1', [click(T0 + seq)], { seq }));
    }
    // The second batch arrives only once the client has left, as a slow PostgreSQL read can.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Store = {
      ...store,
      async *readBatches(projectId, sessionId, options) {
        for await (const stored of store.readBatches(projectId, sessionId, options)) {
          if (stored.seq === 1) {
            await released;
          }
          yield stored;
        }
      },
    };
    const errors: unknown[] = [];
    server = makeServer({ store: slow, onError: (error) => errors.push(error) });
    const response = await server.fetch(readRequest(API_PATHS.sessionChunks('s1')));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const second = reader.read();
    const cancelled = reader.cancel();
    release();
    await cancelled;
    expect((await second).done).toBe(true);
    // A client that left is no failure of the server (`replaykit serve` logs onError as errors).
    expect(errors).toEqual([]);
  });

  it('needs the read key and answers 404 for another project, 400 for bad parameters', async () => {
    await ingest(batch('s1', [meta(T0)]));
    await expectError(
      await server.fetch(readRequest(API_PATHS.sessionChunks('s1'), { key: null })),
      401,
      'missing_key',
    );
    await expectError(
      await server.fetch(readRequest(API_PATHS.sessionChunks('s1'), { key: WRITE_KEY })),
      403,
      'invalid_key',
    );
    await expectError(
      await server.fetch(readRequest(API_PATHS.sessionChunks('s1'), { key: OTHER_READ_KEY })),
      404,
      'session_not_found',
    );
    for (const query of ['?fromSeq=1', '?windowId=window-1&fromSeq=-1', '?windowId=window-1&fromSeq=x']) {
      await expectError(
        await server.fetch(readRequest(`${API_PATHS.sessionChunks('s1')}${query}`)),
        400,
        'invalid_from_seq',
      );
    }
    await expectError(
      await server.fetch(
        readRequest(`${API_PATHS.sessionChunks('s1')}?windowId=${encodeURIComponent('../x')}`),
      ),
      400,
      'invalid_window_id',
    );
  });

  it('serves events with the clock correction made at ingest', async () => {
    const future = Date.now() + 24 * 60 * 60 * 1_000;
    await ingest(batch('s1', [meta(future), click(future + 500)]));
    const [chunk] = await readChunks('s1');
    const times = chunk?.events.map((event) => event.timestamp) ?? [];
    expect(times[1]).toBeLessThanOrEqual(Date.now());
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBe(500);
    const session = (
      (await (await server.fetch(readRequest(API_PATHS.session('s1')))).json()) as SessionResponse
    ).session;
    expect(session.startedAt).toBe(times[0]);
  });
});

describe('clock correction of a request’s start', () => {
  it('moves a request’s startedAt with its event, so its marker stands when it was sent', async () => {
    // A browser clock a day ahead: sent at +1 s, failed at +3 s of its own clock.
    const future = Date.now() + 24 * 60 * 60 * 1_000;
    await ingest(
      batch('s1', [
        meta(future),
        custom(future + 3_000, '$network', {
          method: 'POST',
          url: '/api/pay',
          status: 500,
          startedAt: future + 1_000,
          durationMs: 2_000,
        }),
      ]),
    );
    const [chunk] = await readChunks('s1');
    const request = chunk?.events[1] as RecordedEvent;
    const startedAt = (request.data as { payload: { startedAt: number } }).payload.startedAt;
    expect(request.timestamp - startedAt).toBe(2_000);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
    const { markers } = (await (
      await server.fetch(readRequest(API_PATHS.session('s1')))
    ).json()) as SessionResponse;
    expect(markers.map((marker) => [marker.label, marker.timestamp])).toEqual([
      ['POST /api/pay 500', startedAt],
    ]);
  });
});

describe('session summary over HTTP', () => {
  it('reports activity, keypresses, console, rage and dead clicks, failed requests, URLs and traits', async () => {
    const input = (time: number): RecordedEvent => ({
      type: EventType.IncrementalSnapshot,
      data: { source: IncrementalSource.Input, id: 3, text: 'x' },
      timestamp: time,
    });
    await ingest(
      batch('s1', [
        meta(T0, 'https://shop.test/'),
        input(T0 + 1_000),
        input(T0 + 2_000),
        custom(T0 + 2_500, '$console', { level: 'error', args: [] }),
        custom(T0 + 2_600, '$console', { level: 'warn', args: [] }),
        custom(T0 + 2_700, '$rage_click', { x: 1, y: 1 }),
        custom(T0 + 2_800, '$dead_click', { x: 1, y: 1 }),
        custom(T0 + 2_900, '$network', { status: 503 }),
        custom(T0 + 3_000, '$navigation', { url: 'https://shop.test/cart', kind: 'pushState' }),
        custom(T0 + 3_100, '$identify', { userId: 'u1', traits: { plan: 'pro' } }),
      ]),
    );
    await ingest(batch('s1', [click(T0 + 6_000)], { seq: 1 }));
    const { session } = (await (
      await server.fetch(readRequest(API_PATHS.session('s1')))
    ).json()) as SessionResponse;
    expect(session).toMatchObject({
      activeMs: 5_000,
      keypressCount: 2,
      consoleErrorCount: 1,
      consoleWarnCount: 1,
      rageClickCount: 1,
      deadClickCount: 1,
      failedRequestCount: 1,
      urls: ['https://shop.test/', 'https://shop.test/cart'],
      userId: 'u1',
      userTraits: { plan: 'pro' },
    });
  });
});
