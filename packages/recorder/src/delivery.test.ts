import { parseRetryAfterMs } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BatchStore,
  createDelivery,
  type Delivery,
  type OutgoingBatch,
  retryDelayMs,
  type SendResult,
} from './delivery';
import { BATCH_SEQ_STRIDE, RETRY_AFTER_MAX_MS, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './limits';
import { classifyStatus } from './transport';

/** Four small events, for the splitting tests. */
const FOUR_EVENTS = [
  '{"a":1,"timestamp":1}',
  '{"a":2,"timestamp":2}',
  '{"a":3,"timestamp":3}',
  '{"a":4,"timestamp":4}',
];

function batch(seq: number, events: string[] = [`{"type":3,"timestamp":${1000 + seq}}`]): OutgoingBatch {
  return {
    sessionId: 's',
    windowId: 'w',
    seq,
    events,
    bytes: events.reduce((total, event) => total + event.length, 0),
    createdAt: seq,
  };
}

interface Harness {
  delivery: Delivery;
  sent: OutgoingBatch[];
  attempts: number[];
  dropped: unknown[];
  /** What `onRefused` was told. */
  refusals: string[];
  /** How many times `onNeedFullSnapshot` was called. */
  snapshotsAsked: number;
  /** How many times `onIdle` was called. */
  idle: number;
  answers: SendResult[];
  maxConcurrent: number;
  stored: Map<string, OutgoingBatch>;
  /** Seqs written to the store, in order. */
  puts: number[];
}

function harness(options: { memoryMaxBytes?: number; latencyMs?: number } = {}): Harness {
  const state: Harness = {
    delivery: undefined as unknown as Delivery,
    sent: [],
    attempts: [],
    dropped: [],
    refusals: [],
    snapshotsAsked: 0,
    idle: 0,
    answers: [],
    maxConcurrent: 0,
    stored: new Map(),
    puts: [],
  };
  let concurrent = 0;
  const store: BatchStore = {
    put: async (item) => {
      state.puts.push(item.seq);
      state.stored.set(`${item.seq}`, item);
    },
    remove: async (item) => {
      state.stored.delete(`${item.seq}`);
    },
  };
  state.delivery = createDelivery({
    send: async (item) => {
      concurrent++;
      state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
      state.attempts.push(item.seq);
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 10));
      concurrent--;
      const answer = state.answers.shift() ?? { kind: 'sent' };
      if (answer.kind === 'sent') {
        state.sent.push(item);
      }
      return answer;
    },
    store,
    onDropped: (payload) => state.dropped.push(payload),
    onRefused: (refusal) => state.refusals.push(refusal),
    onNeedFullSnapshot: () => {
      state.snapshotsAsked++;
    },
    onIdle: () => {
      state.idle++;
    },
    memoryMaxBytes: options.memoryMaxBytes,
    random: () => 0.5,
  });
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Delivery', () => {
  it('sends one batch at a time, in order, and forgets each once acknowledged', async () => {
    const h = harness();
    for (const seq of [0, 1, 2]) {
      h.delivery.enqueue(batch(seq));
    }
    const done = h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(h.sent.map((item) => item.seq)).toEqual([0, 1, 2]);
    expect(h.maxConcurrent).toBe(1);
    expect(h.stored.size).toBe(0);
  });

  it('says it is idle only once everything is acknowledged, not while a batch waits for a retry', async () => {
    const h = harness();
    h.answers.push({ kind: 'retry', reason: '503' });
    h.delivery.enqueue(batch(0));
    h.delivery.enqueue(batch(1));
    const first = h.delivery.drain();
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(h.idle).toBe(0);
    // The retry (750 ms) sends both.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.sent.map((item) => item.seq)).toEqual([0, 1]);
    expect(h.idle).toBe(1);
    // A drain with nothing queued says so at once.
    await h.delivery.drain();
    expect(h.idle).toBe(2);
  });

  it('retries network errors and 5xx with growing, jittered delays and keeps the batch until sent', async () => {
    const h = harness();
    h.answers.push(
      { kind: 'retry', reason: 'network error' },
      { kind: 'retry', reason: '503' },
      { kind: 'retry', reason: '500' },
    );
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.attempts).toEqual([0]);
    // First retry: base delay × (0.5 + 0.5 × random 0.5) = 750 ms.
    await vi.advanceTimersByTimeAsync(749);
    expect(h.attempts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(11);
    expect(h.attempts).toEqual([0, 0]);
    expect(h.stored.has('0')).toBe(true);
    // Second retry waits twice as long (1,500 ms).
    await vi.advanceTimersByTimeAsync(1_499);
    expect(h.attempts).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(11);
    expect(h.attempts).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(3_010);
    expect(h.sent.map((item) => item.seq)).toEqual([0]);
    expect(h.stored.size).toBe(0);
  });

  it('honours Retry-After on 429 instead of its own backoff', async () => {
    const h = harness();
    h.answers.push({ kind: 'retry', afterMs: 7_000, reason: '429' });
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(6_990);
    expect(h.attempts).toEqual([0]);
    // Plus up to 10% (at most 1 s) of jitter: 7,000 + 0.5 × 700.
    await vi.advanceTimersByTimeAsync(400);
    expect(h.sent.map((item) => item.seq)).toEqual([0]);
  });

  it('never retries sooner than its own backoff, however often Retry-After says 0', async () => {
    const h = harness();
    for (let index = 0; index < 50; index++) {
      h.answers.push({ kind: 'retry', afterMs: 0, reason: '503' });
    }
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    // Backoff with random 0.5: 750, 1,500, 3,000 ms after attempts of 10 ms each.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.attempts).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(h.attempts).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(3_100);
    expect(h.attempts).toEqual([0, 0, 0, 0]);
  });

  it('waits for the backoff when it is longer than a short Retry-After, and never past the cap', async () => {
    const h = harness();
    h.answers.push(
      ...Array.from({ length: 5 }, (): SendResult => ({ kind: 'retry', reason: 'down' })),
      { kind: 'retry', afterMs: 1_000, reason: '503' },
      { kind: 'retry', afterMs: 24 * 3_600_000, reason: '429' },
    );
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    // Five failures: 750 + 1,500 + 3,000 + 6,000 + 12,000 ms of backoff, plus 10 ms per attempt.
    await vi.advanceTimersByTimeAsync(23_300);
    expect(h.attempts).toHaveLength(6);
    // The sixth failure's backoff is 22,500 ms (30 s capped, half random): longer than the 1.1 s asked.
    await vi.advanceTimersByTimeAsync(22_000);
    expect(h.attempts).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(600);
    expect(h.attempts).toHaveLength(7);
    // A day asked for: 10 min (RETRY_AFTER_MAX_MS) plus up to 1 s of jitter.
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_MAX_MS);
    expect(h.attempts).toHaveLength(7);
    await vi.advanceTimersByTimeAsync(600);
    expect(h.attempts).toHaveLength(8);
  });

  it('drops a batch the server refuses with another 4xx, says so, and goes on', async () => {
    const h = harness();
    h.answers.push({ kind: 'rejected', status: 400, reason: 'bad batch' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    h.delivery.enqueue(batch(0));
    h.delivery.enqueue(batch(1));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.attempts).toEqual([0, 1]);
    expect(h.sent.map((item) => item.seq)).toEqual([1]);
    expect(h.dropped).toEqual([{ reason: 'batch_rejected', count: 1, bytes: batch(0).bytes }]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('400'));
    warn.mockRestore();
  });

  it('stops at a refused write key, origin or endpoint, keeping every batch, until asked again', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const status of [401, 403, 404, 405]) {
      const h = harness();
      h.answers.push({ kind: 'rejected', status, reason: 'unknown key' });
      h.delivery.enqueue(batch(0));
      h.delivery.enqueue(batch(1));
      void h.delivery.drain();
      await vi.advanceTimersByTimeAsync(RETRY_AFTER_MAX_MS);
      expect(h.attempts).toEqual([0]);
      expect(h.dropped).toEqual([]);
      expect(h.refusals).toEqual([`the server refused a batch (${status}): unknown key`]);
      // The developer sees it in the console too, once.
      expect(warn).toHaveBeenLastCalledWith(`[replaykit] ${h.refusals[0]}`);
      expect([...h.stored.keys()]).toEqual(['0', '1']);
      // A flush (the key fixed on the server) sends them.
      void h.delivery.drain();
      await vi.advanceTimersByTimeAsync(100);
      expect(h.sent.map((item) => item.seq)).toEqual([0, 1]);
    }
    expect(warn).toHaveBeenCalledTimes(4);
    warn.mockRestore();
  });

  it('splits a batch refused with 413 into halves, each numbered by its first event, so they sort in order', async () => {
    const h = harness();
    const events = FOUR_EVENTS;
    h.answers.push({ kind: 'too_large' }, { kind: 'too_large' });
    h.delivery.enqueue(batch(5 * BATCH_SEQ_STRIDE, events));
    h.delivery.enqueue(batch(6 * BATCH_SEQ_STRIDE));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(200);
    // 4 events → [2, 2]; the first half is refused again → [1, 1]; then all land. The server
    // orders a window's batches by seq: a fresh seq for a second half put its events after
    // those of the next batch, and after those of the other half split later.
    const base = 5 * BATCH_SEQ_STRIDE;
    expect(h.sent.map((item) => [item.seq, item.events])).toEqual([
      [base, [events[0]]],
      [base + 1, [events[1]]],
      [base + 2, [events[2], events[3]]],
      [6 * BATCH_SEQ_STRIDE, batch(6 * BATCH_SEQ_STRIDE).events],
    ]);
    expect(h.sent.flatMap((item) => item.events).slice(0, 4)).toEqual(events);
  });

  it('splits a batch of the previous release (seqs one by one) into parts no later batch of its window has', async () => {
    const h = harness();
    const events = FOUR_EVENTS;
    h.answers.push({ kind: 'too_large' });
    // Left in IndexedDB by the previous release: its parts numbered from 3 took 5, the next
    // batch's seq, and the server dropped that batch as a repeat.
    h.delivery.enqueue(batch(3, events));
    h.delivery.enqueue(batch(5));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(200);
    expect(h.sent.map((item) => [item.seq, item.events])).toEqual([
      [4 * BATCH_SEQ_STRIDE, events.slice(0, 2)],
      [4 * BATCH_SEQ_STRIDE + 2, events.slice(2)],
      [5, batch(5).events],
    ]);
  });

  it('replaces a lone event refused with 413 by a $dropped marker', async () => {
    const h = harness();
    h.answers.push({ kind: 'too_large' });
    const big = `{"type":2,"data":"${'x'.repeat(1000)}","timestamp":42}`;
    h.delivery.enqueue(batch(0, [big]));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent).toHaveLength(1);
    const marker = JSON.parse(h.sent[0]?.events[0] ?? '{}');
    expect(marker).toEqual({
      type: 5,
      data: { tag: '$dropped', payload: { reason: 'event_too_large', count: 1, bytes: big.length } },
      timestamp: 42,
    });
  });

  it('backs off when even the $dropped marker is refused as too large, instead of sending it again at once', async () => {
    const h = harness();
    // A proxy whose body limit is below any batch: every request gets a 413.
    h.answers.push(...Array.from({ length: 50 }, () => ({ kind: 'too_large' }) as const));
    h.delivery.enqueue(batch(0, ['{"a":1,"timestamp":1}', '{"b":2,"timestamp":2}']));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(200);
    // The batch, its first half, that event's marker, and a marker of that marker (with the
    // marker's length); the next would be the same marker again.
    const atOnce = h.attempts.length;
    expect(atOnce).toBeLessThan(10);
    // Then the first retry comes after the backoff (0.5–1 s), not 10 ms later.
    await vi.advanceTimersByTimeAsync(400);
    expect(h.attempts).toHaveLength(atOnce);
    expect(h.sent).toEqual([]);
  });

  it('replaces the one event a 413 names by a $dropped marker at once, without splitting, under its seq', async () => {
    const h = harness();
    h.answers.push({ kind: 'too_large', index: 2 });
    const big = `{"type":3,"data":"${'x'.repeat(1000)}","timestamp":42}`;
    const events = ['{"a":1,"timestamp":1}', '{"a":2,"timestamp":2}', big, '{"a":4,"timestamp":4}'];
    h.delivery.enqueue(batch(5, events));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent.map((item) => item.seq)).toEqual([5]);
    expect(h.sent[0]?.events).toEqual([
      events[0],
      events[1],
      JSON.stringify({
        type: 5,
        data: { tag: '$dropped', payload: { reason: 'event_too_large', count: 1, bytes: big.length } },
        timestamp: 42,
      }),
      events[3],
    ]);
    expect(h.dropped).toEqual([]);
  });

  it('sends a batch again without the one event a 400 names, a $dropped marker in its place, under its seq', async () => {
    const h = harness();
    h.answers.push({ kind: 'rejected_event', index: 1, reason: 'events.1 nests too deep' });
    const events = [
      '{"type":4,"timestamp":40}',
      '{"type":5,"data":[[[]]],"timestamp":41}',
      '{"type":3,"timestamp":43}',
    ];
    h.delivery.enqueue(batch(0, events));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.attempts).toEqual([0, 0]);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.events[0]).toBe(events[0]);
    expect(JSON.parse(h.sent[0]?.events[1] ?? '{}')).toEqual({
      type: 5,
      data: { tag: '$dropped', payload: { reason: 'event_rejected', count: 1, bytes: events[1]?.length } },
      timestamp: 41,
    });
    expect(h.sent[0]?.events[2]).toBe(events[2]);
    // Nothing else was dropped: the batch itself went through.
    expect(h.dropped).toEqual([]);
  });

  it('drops the batch when a 400 names an event it does not have, or its own marker', async () => {
    const h = harness();
    h.answers.push({ kind: 'rejected_event', index: 5, reason: 'no such event' });
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent).toEqual([]);
    expect(h.dropped).toEqual([expect.objectContaining({ reason: 'batch_rejected', count: 1 })]);
  });

  it('drops the oldest waiting batches past the memory cap, keeps the one in flight, and leaves a marker', async () => {
    const h = harness({ memoryMaxBytes: 140, latencyMs: 1_000 });
    h.answers.push({ kind: 'retry', reason: 'down' });
    const fortyFour = (seq: number) => batch(seq, [`{"timestamp":${seq},"p":"${'x'.repeat(22)}"}`]);
    h.delivery.enqueue(fortyFour(0));
    void h.delivery.drain();
    h.delivery.enqueue(fortyFour(1));
    h.delivery.enqueue(fortyFour(2));
    expect(h.dropped).toEqual([]);
    h.delivery.enqueue(fortyFour(3));
    expect(h.delivery.pending.map((item) => item.seq)).toEqual([0, 2, 3]);
    expect(h.dropped).toEqual([{ reason: 'buffer_full', count: 1, bytes: fortyFour(1).bytes }]);
    expect(h.stored.has('1')).toBe(false);
  });

  it('asks for a fresh full snapshot after a drop only while none waits after the gap', async () => {
    const h = harness({ memoryMaxBytes: 140 });
    h.answers.push({ kind: 'retry', reason: 'down' });
    const fortyFour = (seq: number, type = 3) =>
      batch(seq, [`{"type":${type},"timestamp":${seq},"p":"${'x'.repeat(11)}"}`]);
    h.delivery.enqueue(fortyFour(0, 2));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(20);
    h.delivery.enqueue(fortyFour(1));
    h.delivery.enqueue(fortyFour(2));
    h.delivery.enqueue(fortyFour(3));
    // The snapshot went with the oldest batch: one is asked for.
    expect(h.delivery.pending.map((item) => item.seq)).toEqual([1, 2, 3]);
    expect(h.snapshotsAsked).toBe(1);
    // Its batch pushes the queue over the cap again: the oldest goes, and that is all.
    h.delivery.enqueue(fortyFour(4, 2));
    h.delivery.enqueue(fortyFour(5));
    expect(h.delivery.pending.map((item) => item.seq)).toEqual([3, 4, 5]);
    expect(h.snapshotsAsked).toBe(1);
  });

  it('writes to the store only what has to wait, and forgets it once delivered', async () => {
    const h = harness();
    const puts = h.puts;
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(20);
    expect(puts).toEqual([]);
    h.answers.push({ kind: 'retry', reason: 'down' });
    h.delivery.enqueue(batch(1));
    h.delivery.enqueue(batch(2));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(20);
    expect(puts).toEqual([1, 2]);
    h.delivery.enqueue(batch(3));
    expect(puts).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.sent.map((item) => item.seq)).toEqual([0, 1, 2, 3]);
    expect(h.stored.size).toBe(0);
  });

  it('retries at once when asked (the browser came back online)', async () => {
    const h = harness();
    h.answers.push({ kind: 'retry', reason: 'offline' });
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(20);
    expect(h.sent).toHaveLength(0);
    void h.delivery.retryNow();
    await vi.advanceTimersByTimeAsync(20);
    expect(h.sent.map((item) => item.seq)).toEqual([0]);
  });
});

describe('back online during a wait', () => {
  it("keeps the wait a 429's Retry-After or a 503 asked for, and cuts a network error's short", async () => {
    for (const answer of [
      { kind: 'retry', afterMs: 7_000, reason: '429', status: 429 },
      { kind: 'retry', reason: '503', status: 503 },
    ] satisfies SendResult[]) {
      const h = harness();
      h.answers.push(answer);
      h.delivery.enqueue(batch(0));
      void h.delivery.drain();
      await vi.advanceTimersByTimeAsync(20);
      // The browser says it is online: the server answered, so the network was never the issue.
      void h.delivery.retryNow();
      await vi.advanceTimersByTimeAsync(20);
      expect(h.attempts, answer.reason).toEqual([0]);
      await vi.advanceTimersByTimeAsync(8_000);
      expect(h.sent.map((item) => item.seq)).toEqual([0]);
    }
    const h = harness();
    h.answers.push({ kind: 'retry', reason: 'network error: Failed to fetch' });
    h.delivery.enqueue(batch(0));
    void h.delivery.drain();
    await vi.advanceTimersByTimeAsync(20);
    void h.delivery.retryNow();
    await vi.advanceTimersByTimeAsync(20);
    expect(h.sent.map((item) => item.seq)).toEqual([0]);
  });
});

describe('retry policy', () => {
  it('doubles from the base delay up to the cap, with half of it random', () => {
    expect(retryDelayMs(0, () => 0)).toBe(RETRY_BASE_DELAY_MS / 2);
    expect(retryDelayMs(0, () => 1)).toBe(RETRY_BASE_DELAY_MS);
    expect(retryDelayMs(3, () => 1)).toBe(RETRY_BASE_DELAY_MS * 8);
    expect(retryDelayMs(30, () => 1)).toBe(RETRY_MAX_DELAY_MS);
  });

  it('retries network-ish statuses only, and reads Retry-After as seconds or a date', () => {
    expect(classifyStatus(200, null, '')).toEqual({ kind: 'sent' });
    expect(classifyStatus(413, null, '')).toEqual({ kind: 'too_large' });
    expect(classifyStatus(503, null, '')).toMatchObject({ kind: 'retry' });
    expect(classifyStatus(503, null, '')).toMatchObject({ kind: 'retry', status: 503 });
    // The server's body time limit (a slow uplink): split like a 413, not sent whole again.
    expect(classifyStatus(408, null, '')).toEqual({ kind: 'too_large' });
    expect(classifyStatus(429, '3', '')).toMatchObject({ kind: 'retry', afterMs: 3_000 });
    expect(classifyStatus(400, null, 'nope')).toEqual({ kind: 'rejected', status: 400, reason: 'nope' });
    const naming = '{"error":{"code":"invalid_batch","message":"events.2 nests too deep","event":2}}';
    expect(classifyStatus(400, null, naming)).toEqual({ kind: 'rejected_event', index: 2, reason: naming });
    expect(classifyStatus(413, null, naming)).toEqual({ kind: 'too_large', index: 2 });
    const bad = '{"error":{"code":"invalid_batch","message":"x","event":-1}}';
    expect(classifyStatus(400, null, bad)).toMatchObject({ kind: 'rejected' });
    expect(classifyStatus(403, null, naming)).toMatchObject({ kind: 'rejected', status: 403 });
    expect(classifyStatus(403, null, '')).toMatchObject({ kind: 'rejected' });
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs(null)).toBeUndefined();
  });

  it("measures a Retry-After date against the response's Date, never the page's clock", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // The page's clock is an hour fast, then an hour slow: neither changes the 6 s asked for.
    for (const pageNow of [Date.UTC(2030, 0, 1, 13), Date.UTC(2030, 0, 1, 11)]) {
      vi.setSystemTime(pageNow);
      expect(parseRetryAfterMs('Tue, 01 Jan 2030 12:00:06 GMT', 'Tue, 01 Jan 2030 12:00:00 GMT')).toBe(6_000);
      expect(
        classifyStatus(503, 'Tue, 01 Jan 2030 12:00:06 GMT', '', 'Tue, 01 Jan 2030 12:00:00 GMT'),
      ).toMatchObject({ kind: 'retry', afterMs: 6_000 });
      // No readable Date (another origin does not expose it): no Retry-After, the backoff applies.
      expect(parseRetryAfterMs('Tue, 01 Jan 2030 12:00:06 GMT')).toBeUndefined();
      expect(classifyStatus(503, 'Tue, 01 Jan 2030 12:00:06 GMT', '')).toMatchObject({
        kind: 'retry',
        afterMs: undefined,
      });
    }
    expect(parseRetryAfterMs('Tue, 01 Jan 2030 11:59:00 GMT', 'Tue, 01 Jan 2030 12:00:00 GMT')).toBe(0);
  });
});
