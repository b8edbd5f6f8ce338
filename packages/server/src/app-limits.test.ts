import { gzipSync } from 'node:zlib';
import { API_PATHS, type ErrorBody, type SessionListResponse, type SessionResponse } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  createReplayServer,
  type ReplayServer,
  type ReplayServerOptions,
  SWEEP_FIRST_DELAY_MS,
  SWEEP_INTERVAL_MAX_MS,
  SWEEP_PAGE_SESSIONS,
} from './app';
import { BATCH_VALUES_MAX, MAX_EVENT_NESTING } from './batch-decode';
import { MARKERS_PER_BATCH_MAX } from './ingest';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import {
  batch,
  click,
  custom,
  expectError as expectErrorAnswer,
  ingestRequest,
  meta,
  OTHER_WRITE_KEY,
  readRequest,
  T0,
  TEST_PROJECTS,
} from './test/support';

let store: Store;
let server: ReplayServer;

function makeServer(options: Partial<ReplayServerOptions> = {}): ReplayServer {
  server?.close();
  server = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {}, ...options });
  return server;
}

beforeEach(() => {
  store = createSqliteStore({ filename: ':memory:' });
  makeServer();
});

afterEach(async () => {
  server.close();
  await store.close();
});

async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  const body = await expectErrorAnswer(response, status, code);
  // Never internals: no stack frames, no SQL, no file paths.
  expect(body.error.message).not.toMatch(/\bat \S+:\d+|SQLITE|node_modules|\/src\//);
  return body;
}

async function ingestOk(body: object | Uint8Array, options: Parameters<typeof ingestRequest>[1] = {}) {
  const response = await server.fetch(ingestRequest(body, options));
  expect(response.status).toBe(200);
}

describe('rate limit per write key', () => {
  it('answers 429 rate_limited with Retry-After once the bucket is empty, per key', async () => {
    makeServer({ limits: { ratePerSecond: 1, rateBurst: 3 } });
    // The bucket's clock stands still, so a slow machine taking over a second for the first
    // batches does not refill a token before the fourth.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    for (let seq = 0; seq < 3; seq++) {
      await ingestOk(batch('s1', [click(T0 + seq)], { seq }));
    }
    const refused = await server.fetch(ingestRequest(batch('s1', [click(T0 + 3)], { seq: 3 })));
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expectError(refused, 429, 'rate_limited');
    // Another project's key has its own bucket.
    await ingestOk(batch('s2', [click(T0)]), { key: OTHER_WRITE_KEY });
    // Nothing of the refused batch was stored.
    const { session } = (await (
      await server.fetch(readRequest(API_PATHS.session('s1')))
    ).json()) as SessionResponse;
    expect(session.eventCount).toBe(3);
  });
});

describe('quotas', () => {
  it('refuses new sessions over maxSessions with 429 and a reason, but accepts more of an existing one', async () => {
    makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 2 } }, TEST_PROJECTS[1]!] });
    await ingestOk(batch('s1', [meta(T0)]));
    await ingestOk(batch('s2', [meta(T0)]));
    const refused = await server.fetch(ingestRequest(batch('s3', [meta(T0)])));
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const body = await expectError(refused, 429, 'quota_exceeded');
    expect(body.error.message).toContain('quota of 2');
    await ingestOk(batch('s1', [click(T0 + 1)], { seq: 1 }));
  });

  it('refuses every batch over maxBytes', async () => {
    makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxBytes: 300 } }, TEST_PROJECTS[1]!] });
    await ingestOk(batch('s1', [meta(T0)]));
    const body = await expectError(
      await server.fetch(
        ingestRequest(batch('s1', [custom(T0 + 1, 'x', { pad: 'y'.repeat(300) })], { seq: 1 })),
      ),
      429,
      'quota_exceeded',
    );
    expect(body.error.message).toContain('300 bytes');
  });

  it('counts batches being stored against maxBytes, so a burst cannot pass it together', async () => {
    const sized = (seq: number) => batch('burst', [meta(T0 + seq), click(T0 + seq + 1)], { seq });
    const size = JSON.stringify(sized(0)).length;
    makeServer({
      projects: [{ ...TEST_PROJECTS[0]!, quota: { maxBytes: 3 * size + 5 } }, TEST_PROJECTS[1]!],
    });
    // Usage measured once: later batches are checked against it and the batches in flight.
    await ingestOk(sized(0));
    const answers = await Promise.all(
      Array.from(
        { length: 9 },
        async (_, index) => (await server.fetch(ingestRequest(sized(index + 1)))).status,
      ),
    );
    expect(answers.filter((status) => status === 200)).toHaveLength(2);
    expect(answers.filter((status) => status === 429)).toHaveLength(7);
    expect((await store.usage('shop')).bytes).toBeLessThanOrEqual(3 * size + 5);
    // Refused batches hold nothing back: once a session is deleted, batches pass again.
    expect((await server.fetch(readRequest(API_PATHS.session('burst'), { method: 'DELETE' }))).status).toBe(
      204,
    );
    await ingestOk(batch('after', [meta(T0)]));
  });

  it('counts a new session whose first batch is being stored against maxSessions, until that batch fails', async () => {
    let storing: () => void = () => {};
    const stored = new Promise<void>((resolve) => {
      storing = resolve;
    });
    let fail: () => void = () => {};
    const failed = new Promise<void>((resolve) => {
      fail = resolve;
    });
    const failing: Store = {
      ...store,
      putBatch: async (input) => {
        if (input.sessionId !== 'doomed') {
          return store.putBatch(input);
        }
        storing();
        await failed;
        throw new Error('disk full');
      },
    };
    makeServer({
      store: failing,
      projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 2 } }, TEST_PROJECTS[1]!],
    });
    await ingestOk(batch('s1', [meta(T0)]));
    const doomed = server.fetch(ingestRequest(batch('doomed', [meta(T0)])));
    await stored;
    // Before, a session was counted only once stored: this one passed too, and the quota with it.
    const refused = await server.fetch(ingestRequest(batch('s2', [meta(T0)])));
    expect((await expectError(refused, 429, 'quota_exceeded')).error.message).toContain(
      'stores 2 sessions (counting sessions being started), at its quota of 2',
    );
    fail();
    await expectError(await doomed, 503, 'store_unavailable');
    // The failed batch holds nothing back.
    await ingestOk(batch('s2', [meta(T0)]));
    await expectError(await server.fetch(ingestRequest(batch('s3', [meta(T0)]))), 429, 'quota_exceeded');
  });

  it('starts a new session that fits while batches of stored sessions come and go during its check', async () => {
    /** A gate: a promise and the function that opens it. */
    const gate = () => {
      let open: () => void = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    };
    const storingA = gate();
    const storedA = gate();
    const storingB = gate();
    const storedB = gate();
    const asking = gate();
    const answered = gate();
    let holding = false;
    const slow: Store = {
      ...store,
      putBatch: async (input) => {
        if (holding && input.sessionId === 'a') {
          storingA.open();
          await storedA.opened;
        }
        if (holding && input.sessionId === 'b') {
          storingB.open();
          await storedB.opened;
        }
        return store.putBatch(input);
      },
      getSession: async (projectId, sessionId) => {
        if (sessionId === 'new') {
          asking.open();
          await answered.opened;
        }
        return store.getSession(projectId, sessionId);
      },
    };
    makeServer({
      store: slow,
      projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 3 } }, TEST_PROJECTS[1]!],
    });
    await ingestOk(batch('a', [meta(T0)]));
    await ingestOk(batch('b', [meta(T0)]));
    holding = true;
    // A batch of stored session `a` is in flight, so the new session's check asks the store.
    const a = server.fetch(ingestRequest(batch('a', [click(T0 + 1)], { seq: 1 })));
    await storingA.opened;
    const fresh = server.fetch(ingestRequest(batch('new', [meta(T0)])));
    await asking.opened;
    // Meanwhile `a`'s batch is stored and one of stored session `b` starts.
    storedA.open();
    expect((await a).status).toBe(200);
    const b = server.fetch(ingestRequest(batch('b', [click(T0 + 1)], { seq: 1 })));
    await storingB.opened;
    answered.open();
    // `b` is found while its batch is being written, which might be what stored it: the check
    // waits for that write's answer, and so may not hold it back.
    storedB.open();
    // Two sessions stored and one new: the quota of 3 has room for it.
    expect((await fresh).status).toBe(200);
    expect((await b).status).toBe(200);
    await expectError(await server.fetch(ingestRequest(batch('fourth', [meta(T0)]))), 429, 'quota_exceeded');
  });
  it('counts a new session whose first batch is stored but not yet answered when a later check finds it', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const written = new Set<string>();
    let wrote: () => void = () => {};
    const bothWritten = new Promise<void>((resolve) => {
      wrote = resolve;
    });
    const slow: Store = {
      ...store,
      // The first batches of `b` and `c` are in the store, but their answers are held.
      putBatch: async (input) => {
        const result = await store.putBatch(input);
        if (input.sessionId === 'b' || input.sessionId === 'c') {
          written.add(input.sessionId);
          if (written.size === 2) {
            wrote();
          }
          await released;
        }
        return result;
      },
      // The answers are let go only once the check of `d` has had the store's answer and
      // decided on it (within the same turn of the event loop).
      getSession: async (projectId, sessionId) => {
        const session = await store.getSession(projectId, sessionId);
        if (sessionId === 'd') {
          setImmediate(release);
        }
        return session;
      },
    };
    makeServer({
      store: slow,
      projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 3 } }, TEST_PROJECTS[1]!],
    });
    await ingestOk(batch('a', [meta(T0)]));
    const b = server.fetch(ingestRequest(batch('b', [meta(T0)])));
    const c = server.fetch(ingestRequest(batch('c', [meta(T0)])));
    await bothWritten;
    // At the quota counting `b` and `c`: the check asks the store, which already has them.
    // Before, they then counted as stored sessions but not yet in the usage, and `d` passed:
    // four sessions against a quota of three.
    const d = server.fetch(ingestRequest(batch('d', [meta(T0)])));
    expect((await b).status).toBe(200);
    expect((await c).status).toBe(200);
    await expectError(await d, 429, 'quota_exceeded');
    expect((await store.usage('shop')).sessions).toBe(3);
  });

  it('frees the quota as soon as a session is deleted', async () => {
    makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 1 } }, TEST_PROJECTS[1]!] });
    await ingestOk(batch('s1', [meta(T0)]));
    await expectError(await server.fetch(ingestRequest(batch('s2', [meta(T0)]))), 429, 'quota_exceeded');
    expect((await server.fetch(readRequest(API_PATHS.session('s1'), { method: 'DELETE' }))).status).toBe(204);
    // Before, the count measured before the delete was kept for 10 s, and the client was
    // told to come back in an hour.
    await ingestOk(batch('s2', [meta(T0)]));
  });

  it('counts a batch stored while usage is measured again, whether or not the measurement saw it', async () => {
    /** A gate: a promise and the function that opens it. */
    const gate = () => {
      let open: () => void = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    };
    const storing = gate();
    const stored = gate();
    const measuring = gate();
    const measured = gate();
    let holdMeasurements = false;
    const slow: Store = {
      ...store,
      putBatch: async (input) => {
        if (input.sessionId === 'a') {
          storing.open();
          await stored.opened;
        }
        return store.putBatch(input);
      },
      usage: async (projectId) => {
        const usage = await store.usage(projectId);
        if (holdMeasurements) {
          measuring.open();
          await measured.opened;
        }
        return usage;
      },
    };
    makeServer({
      store: slow,
      projects: [{ ...TEST_PROJECTS[0]!, quota: { maxSessions: 2 } }, TEST_PROJECTS[1]!],
    });
    await ingestOk(batch('s1', [meta(T0)]));
    const a = server.fetch(ingestRequest(batch('a', [meta(T0)])));
    await storing.opened;
    // The delete makes the next batch measure again, and `a` is stored while it does.
    expect((await server.fetch(readRequest(API_PATHS.session('s1'), { method: 'DELETE' }))).status).toBe(204);
    holdMeasurements = true;
    const b = server.fetch(ingestRequest(batch('b', [meta(T0)])));
    await measuring.opened;
    stored.open();
    expect((await a).status).toBe(200);
    measured.open();
    expect((await b).status).toBe(200);
    // Before, the measurement taken before `a` was stored replaced the count, and `c` passed too.
    await expectError(await server.fetch(ingestRequest(batch('c', [meta(T0)]))), 429, 'quota_exceeded');
    expect((await store.usage('shop')).sessions).toBe(2);
  });

  it('answers a repeat of a stored batch as a duplicate, not 429, once the byte quota is full', async () => {
    // No markers: the quota counts the body alone.
    const stored = batch('s1', [meta(T0), click(T0 + 1)]);
    const size = JSON.stringify(stored).length;
    makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxBytes: size + 10 } }, TEST_PROJECTS[1]!] });
    await ingestOk(stored);
    // The recorder lost the first answer and sends the batch again.
    const repeat = await server.fetch(ingestRequest(stored));
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual({ ok: true, duplicate: true });
    // A new batch is still refused.
    await expectError(
      await server.fetch(ingestRequest(batch('s1', [meta(T0 + 2)], { seq: 1 }))),
      429,
      'quota_exceeded',
    );
  });
});

describe('the marker index in the byte quota', () => {
  // A custom event of many compressible characters is small once gzipped, but its marker is
  // stored as JSON beside the body: it must count, or the quota could be passed a thousandfold.
  const noisyBatch = (seq: number, events: number, payloadLength: number) =>
    gzipSync(
      JSON.stringify(
        batch(
          'noisy',
          Array.from({ length: events }, (_, index) =>
            custom(T0 + seq * 1_000 + index, 'note', { text: 'a'.repeat(payloadLength) }),
          ),
          { seq },
        ),
      ),
    );

  it('leaves payloads over MARKER_PAYLOAD_MAX_LENGTH out of markers and keeps MARKERS_PER_BATCH_MAX per batch', async () => {
    const big = noisyBatch(0, 1, 1_000_000);
    expect(big.byteLength).toBeLessThan(5_000);
    await ingestOk(big);
    const many = noisyBatch(1, MARKERS_PER_BATCH_MAX + 50, 10);
    await ingestOk(many);
    const { session, markers } = (await (
      await server.fetch(readRequest(API_PATHS.session('noisy')))
    ).json()) as SessionResponse;
    expect(markers).toHaveLength(1 + MARKERS_PER_BATCH_MAX);
    expect(markers[0]).toEqual({
      id: 'window-1:0:0',
      kind: 'custom',
      label: 'note',
      timestamp: T0,
      payloadOmitted: true,
    });
    expect(markers[1]?.payload).toEqual({ text: 'a'.repeat(10) });
    // The events themselves keep every payload.
    const chunks = await (await server.fetch(readRequest(API_PATHS.sessionChunks('noisy')))).text();
    expect(chunks).toContain('a'.repeat(1_000_000));
    // The session's bytes are the bodies plus the markers as stored.
    const markerBytes = (seq: number) =>
      Buffer.byteLength(JSON.stringify(markers.filter((marker) => marker.id.startsWith(`window-1:${seq}:`))));
    expect(session.byteCount).toBe(big.byteLength + markerBytes(0) + many.byteLength + markerBytes(1));
    expect((await store.usage('shop')).bytes).toBe(session.byteCount);
  });

  it('counts the markers of each batch in maxBytes', async () => {
    const maxBytes = 250_000;
    makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxBytes } }, TEST_PROJECTS[1]!] });
    const answers: number[] = [];
    for (let seq = 0; seq < 10; seq++) {
      // About 3 KB gzipped, about 110 KB of markers.
      const response = await server.fetch(ingestRequest(noisyBatch(seq, MARKERS_PER_BATCH_MAX, 900)));
      await response.text();
      answers.push(response.status);
    }
    expect(answers).toEqual([200, 200, ...Array(8).fill(429)]);
    const usage = await store.usage('shop');
    expect(usage.bytes).toBeGreaterThan(200_000);
    expect(usage.bytes).toBeLessThanOrEqual(maxBytes);
  });
});

describe('ingest limits and refusals', () => {
  it('answers 413 event_too_large for one event over the per-event limit', async () => {
    makeServer({ limits: { maxEventBytes: 1_000 } });
    const body = await expectError(
      await server.fetch(
        ingestRequest(batch('s1', [meta(T0), custom(T0 + 1, 'big', { pad: 'x'.repeat(2_000) })])),
      ),
      413,
      'event_too_large',
    );
    expect(body.error.message).toContain('events.1');
    expect(body.error.event).toBe(1);
    await ingestOk(batch('s1', [meta(T0), custom(T0 + 1, 'small', { pad: 'x'.repeat(500) })]));
  });

  it.each([
    ['on the main thread', 0],
    ['in an ingest worker', 1],
  ])('counts the per-event limit in UTF-8 bytes, not characters (%s)', async (_name, ingestWorkers) => {
    makeServer({ limits: { maxEventBytes: 1_000 }, ingestWorkers });
    // 600 euro signs: 600 characters, 1,800 bytes; written as is and as \u escapes.
    const euros = custom(T0 + 1, 'big', { pad: '€'.repeat(600) });
    const asIs = JSON.stringify(batch('s1', [meta(T0), euros]));
    const escaped = asIs.replaceAll('€', '\\u20ac');
    for (const body of [asIs, escaped]) {
      const refused = await expectError(await server.fetch(ingestRequest(body)), 413, 'event_too_large');
      expect(refused.error.event).toBe(1);
    }
    // 300 of them, 900 bytes, fit.
    await ingestOk(batch('s1', [meta(T0), custom(T0 + 1, 'fits', { pad: '€'.repeat(300) })]));
  });

  it.each([
    ['on the main thread', 0],
    ['in an ingest worker', 1],
  ])(
    'measures an event as JSON also in a body smaller than the limit, whose numbers grow when written out (%s)',
    async (_name, ingestWorkers) => {
      makeServer({ limits: { maxEventBytes: 1_000 }, ingestWorkers });
      // 625 bytes as sent; JSON.stringify writes each 1e20 as 100000000000000000000 (2,267 bytes).
      const grows = `{"v":1,"sessionId":"s1","windowId":"w","seq":0,"events":[{"type":5,"data":{"tag":"x","payload":[${Array(100).fill('1e20').join(',')}]},"timestamp":${T0}}]}`;
      // The same batch is refused whether or not it is padded past the limit, and read either way.
      for (const body of [grows, grows.replace('{"type":5', '{"type":5'.padStart(1_100))]) {
        const refused = await expectError(await server.fetch(ingestRequest(body)), 413, 'event_too_large');
        expect(refused.error.event).toBe(0);
        expect(await server.fetch(ingestRequest(body.replaceAll('1e20', '1e2')))).toHaveProperty(
          'status',
          200,
        );
      }
    },
  );

  it.each([
    ['read by the scan, on the main thread', 0, undefined],
    ['read by the scan, in an ingest worker', 1, undefined],
    // Bodies larger than maxEventBytes are read with JSON.parse.
    ['read with JSON.parse, on the main thread', 0, 1_000_000],
    ['read with JSON.parse, in an ingest worker', 1, 1_000_000],
  ])(
    `refuses a small gzip body holding more than BATCH_VALUES_MAX values before building them (%s)`,
    async (_name, ingestWorkers, maxEventBytes) => {
      makeServer({ ingestWorkers, ...(maxEventBytes === undefined ? {} : { limits: { maxEventBytes } }) });
      /** A batch whose one mutation holds `values` objects, arrays and commas in all. */
      const withValues = (values: number) => {
        // The body, the events array, the event, its data and its array: 5, and the 7 commas
        // between the members of the batch, the event and its data; each object 2 more (itself
        // and a comma), but the first 1.
        const objects = (values - 11) / 2;
        return gzipSync(
          `{"v":1,"sessionId":"bomb","windowId":"w","seq":0,"events":[{"type":3,"timestamp":${T0},"data":{"source":0,"adds":[${'{},'.repeat(objects - 1)}{}]}}]}`,
        );
      };
      const over = withValues(BATCH_VALUES_MAX + 1);
      // About 6 MB of {},{},… from a few KB: JSON.parse would build 1,000,000 objects of it.
      expect(over.byteLength).toBeLessThan(20_000);
      const refused = await expectError(await server.fetch(ingestRequest(over)), 413, 'body_too_large');
      expect(refused.error.message).toContain(`more than ${BATCH_VALUES_MAX} JSON values`);
      if (maxEventBytes === undefined) {
        expect(await server.fetch(ingestRequest(withValues(BATCH_VALUES_MAX - 1)))).toHaveProperty(
          'status',
          200,
        );
      }
    },
  );

  it(`refuses an event nested more than ${MAX_EVENT_NESTING} levels deep, and reads one at the limit back`, async () => {
    /** An event whose object and array levels number `levels` in all (a DOM snapshot's shape). */
    const nestedEvent = (levels: number, timestamp: number) => {
      // The event and its data make 2 levels, each element 2 more (itself and its childNodes);
      // the innermost is a text node (1 level) or an empty element (2), to meet `levels` exactly.
      let node: Record<string, unknown> =
        levels % 2 === 1 ? { type: 3, id: 1, textContent: 'deep' } : { type: 2, id: 1, childNodes: [] };
      for (let depth = levels % 2 === 1 ? 1 : 2; depth + 2 < levels; depth += 2) {
        node = { type: 2, tagName: 'div', id: depth + 1, attributes: {}, childNodes: [node] };
      }
      return { type: 2, data: { node, initialOffset: { top: 0, left: 0 } }, timestamp };
    };
    const refused = await expectError(
      await server.fetch(
        ingestRequest(batch('deep', [meta(T0), nestedEvent(MAX_EVENT_NESTING + 1, T0 + 1)])),
      ),
      400,
      'invalid_batch',
    );
    expect(refused.error.message).toContain(
      `events.1 nests objects and arrays more than ${MAX_EVENT_NESTING} levels`,
    );
    // Which event, for a recorder to send the rest without it.
    expect(refused.error.event).toBe(1);
    // Nothing of the refused batch was stored.
    expect((await server.fetch(readRequest(API_PATHS.session('deep')))).status).toBe(404);

    await ingestOk(batch('deep', [meta(T0), nestedEvent(MAX_EVENT_NESTING, T0 + 1)]));
    const events = await server.fetch(readRequest(API_PATHS.sessionEvents('deep')));
    expect(events.status).toBe(200);
    expect(((await events.json()) as { events: unknown[] }).events).toHaveLength(2);
    const chunks = await server.fetch(readRequest(API_PATHS.sessionChunks('deep')));
    expect(chunks.status).toBe(200);
    expect((await chunks.text()).trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['on the main thread', 0],
    ['in an ingest worker', 1],
  ])(
    'refuses an event nested deeper than any stack with 400, even in a batch over maxEventBytes (%s)',
    async (_, ingestWorkers) => {
      makeServer({ limits: { maxEventBytes: 1_000 }, ingestWorkers });
      // Built as text: JSON.stringify itself cannot write this value.
      const levels = 1_000_000;
      const body = JSON.stringify(
        batch('abyss', [meta(T0), custom(T0 + 1, 'deep', { inner: 'INNER' })]),
      ).replace('"INNER"', `${'['.repeat(levels)}${']'.repeat(levels)}`);
      const refused = await expectError(await server.fetch(ingestRequest(body)), 400, 'invalid_batch');
      expect(refused.error.message).toContain(
        `events.1 nests objects and arrays more than ${MAX_EVENT_NESTING} levels`,
      );
      expect(refused.error.event).toBe(1);
    },
  );

  it('answers 404 unknown_project for a project id the server does not have, 403 for a mismatched key', async () => {
    await expectError(
      await server.fetch(ingestRequest(batch('s1', [meta(T0)]), { query: '?project=nope' })),
      404,
      'unknown_project',
    );
    await expectError(
      await server.fetch(
        ingestRequest(batch('s1', [meta(T0)]), { headers: { 'x-replaykit-project': 'blog' } }),
      ),
      403,
      'invalid_key',
    );
    await ingestOk(batch('s1', [meta(T0)]), { query: '?project=shop' });
  });

  it.each([
    [
      'a hostile session id',
      { v: 1, sessionId: '../../etc/passwd', windowId: 'w', seq: 0, events: [meta(T0)] },
    ],
    ['an id too long', { v: 1, sessionId: 'a'.repeat(65), windowId: 'w', seq: 0, events: [meta(T0)] }],
    [
      'SQL in an id',
      { v: 1, sessionId: "x'; DROP TABLE sessions;--", windowId: 'w', seq: 0, events: [meta(T0)] },
    ],
    ['a string seq', { v: 1, sessionId: 's', windowId: 'w', seq: '0', events: [meta(T0)] }],
    ['a fractional seq', { v: 1, sessionId: 's', windowId: 'w', seq: 1.5, events: [meta(T0)] }],
    [
      'a string timestamp',
      { v: 1, sessionId: 's', windowId: 'w', seq: 0, events: [{ type: 4, data: {}, timestamp: 'now' }] },
    ],
    [
      'an unknown event type',
      { v: 1, sessionId: 's', windowId: 'w', seq: 0, events: [{ type: 42, data: {}, timestamp: T0 }] },
    ],
    ['events not an array', { v: 1, sessionId: 's', windowId: 'w', seq: 0, events: { 0: meta(T0) } }],
    ['a JSON array body', [1, 2, 3]],
  ])('answers 400 invalid_batch for %s and stores nothing', async (_name, body) => {
    await expectError(await server.fetch(ingestRequest(body as object)), 400, 'invalid_batch');
    const list = (await (await server.fetch(readRequest(API_PATHS.sessions))).json()) as SessionListResponse;
    expect(list.sessions).toEqual([]);
  });

  it('corrects events far in the past, keeping their spacing, and leaves recent ones alone', async () => {
    const now = Date.now();
    const longAgo = now - 60 * 24 * 60 * 60 * 1_000;
    await ingestOk(batch('old', [meta(longAgo), click(longAgo + 250)]));
    await ingestOk(batch('recent', [meta(T0), click(T0 + 250)]));
    const old = (
      (await (await server.fetch(readRequest(API_PATHS.session('old')))).json()) as SessionResponse
    ).session;
    expect(old.startedAt).toBeGreaterThanOrEqual(now - 250);
    expect(old.durationMs).toBe(250);
    const recent = (
      (await (await server.fetch(readRequest(API_PATHS.session('recent')))).json()) as SessionResponse
    ).session;
    expect(recent.startedAt).toBe(T0);
  });
});

describe('health and readiness', () => {
  it('is ready while the store answers, and not after close() or when the store is gone', async () => {
    const ready = await server.fetch(new Request('http://replaykit.test/readyz'));
    expect(ready.status).toBe(200);
    server.close();
    await expectError(await server.fetch(new Request('http://replaykit.test/readyz')), 503, 'shutting_down');
    makeServer();
    await store.close();
    await expectError(
      await server.fetch(new Request('http://replaykit.test/readyz')),
      503,
      'store_unavailable',
    );
    expect((await server.fetch(new Request('http://replaykit.test/healthz'))).status).toBe(200);
  });
});

describe('retention', () => {
  it('sweeps sessions older than the retention, per project, with all their data', async () => {
    makeServer({
      projects: [{ ...TEST_PROJECTS[0]!, retentionDays: 1 }, TEST_PROJECTS[1]!],
      retention: { days: 30, sweepIntervalMs: 0 },
    });
    const day = 24 * 60 * 60 * 1_000;
    // Recent sessions, then a sweep run as if 2 days (shop) had passed.
    await ingestOk(batch('s1', [meta(T0), custom(T0 + 1, 'checkout', { step: 'pay' })]));
    await ingestOk(batch('s2', [meta(T0)]), { key: OTHER_WRITE_KEY });
    const later = Date.now() + 2 * day;
    expect(await server.sweep(later)).toEqual({ shop: 1, blog: 0 });
    await expectError(await server.fetch(readRequest(API_PATHS.session('s1'))), 404, 'session_not_found');
    const chunks = await server.fetch(readRequest(API_PATHS.sessionChunks('s1')));
    expect(chunks.status).toBe(404);
    const filtered = (await (
      await server.fetch(readRequest(`${API_PATHS.sessions}?event=checkout`))
    ).json()) as SessionListResponse;
    expect(filtered.sessions).toEqual([]);
    // The blog project keeps 30 days.
    expect(await server.sweep(Date.now() + 31 * day)).toEqual({ shop: 0, blog: 1 });
  });

  it('lets other work run between pages of a long sweep, instead of stopping every request until it ends', async () => {
    makeServer({
      retention: { days: 1, sweepIntervalMs: 0 },
      limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    });
    const pages = 8;
    for (let index = 0; index < pages * SWEEP_PAGE_SESSIONS; index++) {
      await ingestOk(batch(`s${index}`, [meta(T0)]));
    }
    // Timers stand for requests: neither runs while the sweep holds the thread.
    let turns = 0;
    const ticker = setInterval(() => {
      turns++;
    }, 0);
    try {
      expect(await server.sweep(Date.now() + 2 * 24 * 60 * 60 * 1_000)).toEqual({
        shop: pages * SWEEP_PAGE_SESSIONS,
        blog: 0,
      });
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(0);
  });

  it('stops a sweep between two pages once closed, before the store it deletes from is closed too', async () => {
    const errors: unknown[] = [];
    makeServer({
      retention: { days: 1, sweepIntervalMs: 0 },
      limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
      onError: (error) => errors.push(error),
    });
    for (let index = 0; index < 2 * SWEEP_PAGE_SESSIONS; index++) {
      await ingestOk(batch(`s${index}`, [meta(T0)]));
    }
    const sweeping = server.sweep(Date.now() + 2 * 24 * 60 * 60 * 1_000);
    // A SIGTERM between two pages: `replaykit serve` closes the server, then the store.
    await new Promise((resolve) => setTimeout(resolve, 0));
    server.close();
    await store.close();
    // It went on to the next page, on the closed database: "The database connection is not open".
    expect(await sweeping).toEqual({ shop: SWEEP_PAGE_SESSIONS });
    expect(errors).toEqual([]);
  });

  it('sweeps on its own every sweepIntervalMs', async () => {
    // Retention of one millisecond: the session expires as soon as it is stored.
    makeServer({ retention: { days: 1 / 86_400_000, sweepIntervalMs: 20 } });
    await ingestOk(batch('s1', [meta(T0)]));
    await vi.waitFor(
      async () => {
        expect((await server.fetch(readRequest(API_PATHS.session('s1')))).status).toBe(404);
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it.each([
    ['throws', false],
    ['rejects (an async hook)', true],
  ])(
    'keeps running when onError %s on a failed sweep, and logs the throw with the error it was given',
    async (_how, async) => {
      const storeFailure = new Error('could not obtain lock on relation "sessions"');
      const failing: Store = {
        ...store,
        deleteSessionsEndedBefore: () => Promise.reject(storeFailure),
      };
      const hookFailure = new Error('the log shipper is down');
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      onTestFinished(() => logged.mockRestore());
      makeServer({
        store: failing,
        retention: { sweepIntervalMs: 20 },
        onError: async
          ? async () => {
              await Promise.resolve();
              throw hookFailure;
            }
          : () => {
              throw hookFailure;
            },
      });
      // Before, the hook's throw (or its promise's rejection) rejected the sweeper's promise, which nothing awaits: an
      // unhandled rejection, which ends a Node process.
      await vi.waitFor(
        () => expect(logged.mock.calls.some((call) => call.includes(hookFailure))).toBe(true),
        {
          timeout: 5_000,
          interval: 20,
        },
      );
      const [call] = logged.mock.calls.filter((args) => args.includes(hookFailure));
      expect(String(call?.[0])).toContain('the onError hook threw');
      expect(call).toContain(storeFailure);
      // The server still answers.
      expect((await server.fetch(new Request('http://localhost/healthz'))).status).toBe(200);
    },
  );

  it('first sweeps SWEEP_FIRST_DELAY_MS after it starts, not one interval later', async () => {
    makeServer({ retention: { days: 1 / 86_400_000, sweepIntervalMs: 0 } });
    await ingestOk(batch('s1', [meta(T0)]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      // A process restarted more often than its sweep interval (an hour) must still sweep.
      makeServer({ retention: { days: 1 / 86_400_000 } });
      await vi.advanceTimersByTimeAsync(SWEEP_FIRST_DELAY_MS - 1);
      expect((await server.fetch(readRequest(API_PATHS.session('s1')))).status).toBe(200);
      await vi.advanceTimersByTimeAsync(1);
    } finally {
      vi.useRealTimers();
    }
    await vi.waitFor(
      async () => {
        expect((await server.fetch(readRequest(API_PATHS.session('s1')))).status).toBe(404);
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it.each([
    // Monthly: past what a timer takes, so Node ran the sweeper every millisecond instead.
    ['30 days', 30 * 24 * 60 * 60 * 1_000],
    // These turned the sweeper off without a word, as only 0 should.
    ['negative', -1],
    ['not a number', Number.NaN],
    ['a fraction', 0.5],
  ])(
    'refuses a retention.sweepIntervalMs that is %s at start, saying what it takes',
    (_name, sweepIntervalMs) => {
      expect(() => makeServer({ retention: { sweepIntervalMs } })).toThrow(
        `retention.sweepIntervalMs must be a whole number of ms from 0 (no built-in sweeper: run replaykit sweep from a scheduler) to ${SWEEP_INTERVAL_MAX_MS}`,
      );
    },
  );

  it('takes a sweepIntervalMs of SWEEP_INTERVAL_MAX_MS, and 0 for no sweeper', () => {
    makeServer({ retention: { sweepIntervalMs: SWEEP_INTERVAL_MAX_MS } });
    makeServer({ retention: { sweepIntervalMs: 0 } });
  });

  it('accepts the same session id again after it was swept (a fresh start, not a duplicate)', async () => {
    makeServer({ retention: { days: 1, sweepIntervalMs: 0 } });
    await ingestOk(batch('s1', [meta(T0)]));
    await server.sweep(Date.now() + 2 * 24 * 60 * 60 * 1_000);
    const response = await server.fetch(ingestRequest(batch('s1', [meta(T0)])));
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
  });

  it.each([
    ['bodyTimeoutMs', 2 ** 31, /limits.bodyTimeoutMs can be at most 2147483647; got 2147483648/],
    ['maxDecompressedBytes', 2 ** 33, /limits.maxDecompressedBytes can be at most 2147483647/],
    ['maxBodyBytes', Number.MAX_SAFE_INTEGER, /limits.maxBodyBytes can be at most 2147483647/],
    ['maxEventBytes', 2 ** 31, /limits.maxEventBytes can be at most 2147483647/],
  ])('refuses limits.%s over what it can hold (%d) at start, naming the most', (name, value, message) => {
    expect(() => makeServer({ limits: { [name]: value } })).toThrow(message);
  });

  it('takes each limit at its most, and inflates a body over 4 MiB under it', async () => {
    makeServer({
      limits: { bodyTimeoutMs: 2 ** 31 - 1, maxDecompressedBytes: 2 ** 31 - 1, maxBodyBytes: 2 ** 31 - 1 },
    });
    // Over the size inflated synchronously (4 MiB), so it inflates on the thread pool.
    const large = gzipSync(
      JSON.stringify(batch('big', [meta(T0), custom(T0 + 1, 'pad', { pad: 'x'.repeat(5 * 1024 * 1024) })])),
    );
    const response = await server.fetch(ingestRequest(new Uint8Array(large)));
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
  });

  it('refuses a misspelt option at start, naming the closest known one, at every level', () => {
    const project = TEST_PROJECTS[0]!;
    // Options built outside a literal (read from a file, or from JavaScript), as a typo reaches them.
    const misspelt = (options: object) => () => makeServer(options as Partial<ReplayServerOptions>);
    expect(misspelt({ projects: [{ ...project, quota: { maxSesions: 10 } }] })).toThrow(
      'Project "shop" quota: unknown option "maxSesions" (did you mean "maxSessions"?); the options are maxSessions, maxBytes.',
    );
    expect(misspelt({ limits: { maxBodyByte: 1_000 } })).toThrow(
      'limits: unknown option "maxBodyByte" (did you mean "maxBodyBytes"?)',
    );
    expect(misspelt({ projects: [{ ...project, allowedOrigin: ['https://shop.test'] }] })).toThrow(
      'projects[0]: unknown option "allowedOrigin" (did you mean "allowedOrigins"?)',
    );
    expect(misspelt({ retention: { day: 7 } })).toThrow(
      'retention: unknown option "day" (did you mean "days"?)',
    );
    expect(misspelt({ cors: { readOrigin: ['https://admin.test'] } })).toThrow(
      'cors: unknown option "readOrigin" (did you mean "readOrigins"?)',
    );
    expect(misspelt({ ingestWorker: 0 })).toThrow(
      'createReplayServer: unknown option "ingestWorker" (did you mean "ingestWorkers"?)',
    );
    // Nothing close: every option is listed instead.
    expect(misspelt({ verbose: true })).toThrow(
      /^createReplayServer: unknown option "verbose"; the options are store, projects,/,
    );
  });

  it('refuses nonsense retention and quota settings at start', () => {
    expect(() => makeServer({ retention: { days: 0 } })).toThrow(/retention.days must be a positive number/);
    expect(() => makeServer({ projects: [{ ...TEST_PROJECTS[0]!, quota: { maxBytes: -1 } }] })).toThrow(
      /quota.maxBytes must be a positive whole number/,
    );
  });
});
