import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from './app';
import { decodeBatch } from './batch-decode';
import {
  acquireBatchDecoder,
  type BatchDecoder,
  defaultIngestWorkers,
  ingestWorkerThreads,
  replaceSpawnerForTests,
} from './ingest-pool';
import { batch, click, custom, meta, T0 } from './test/support';

const encoder = new TextEncoder();
/** An event time the skew correction moves (fixed, so both decodings see the same bytes). */
const AN_HOUR_AHEAD = Date.now() + 3_600_000;
const json = (value: unknown) => encoder.encode(JSON.stringify(value));

/** Bodies the ingest route may get, good and bad, each as the bytes sent. */
const BODIES: Array<[string, () => Uint8Array]> = [
  [
    'plain JSON',
    () => json(batch('s1', [meta(T0), click(T0 + 1), custom(T0 + 2, 'add_to_cart', { sku: 'a' })])),
  ],
  ['gzip JSON', () => gzipSync(JSON.stringify(batch('s1', [meta(T0), click(T0 + 5)], { seq: 3 })))],
  ['events from a wrong clock', () => json(batch('s2', [click(AN_HOUR_AHEAD)]))],
  ['an empty body', () => new Uint8Array(0)],
  ['malformed JSON', () => encoder.encode('{"v":1,')],
  ['a wrong type', () => json({ ...batch('s1', [click(T0)]), seq: 'one' })],
  ['a hostile id', () => json(batch('../etc/passwd', [click(T0)]))],
  ['corrupt gzip', () => Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3])],
  ['a gzip bomb', () => gzipSync(new Uint8Array(2 * 1024 * 1024))],
  ['invalid UTF-8', () => Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])],
  [
    'an event over the per-event limit',
    () => json(batch('s1', [custom(T0, 'big', { text: 'x'.repeat(2_000) })])),
  ],
];

const LIMITS = { ...DEFAULT_LIMITS, maxDecompressedBytes: 1024 * 1024, maxEventBytes: 1_000 };

const acquired: BatchDecoder[] = [];
afterEach(() => {
  for (const decoder of acquired.splice(0)) {
    decoder.release();
  }
});

function acquire(size: number | undefined): BatchDecoder {
  const decoder = acquireBatchDecoder(size, (error) => {
    throw error;
  });
  acquired.push(decoder);
  return decoder;
}

describe('ingest workers', () => {
  it('give the same result and refusal as decoding inline, and hand the body back', async () => {
    const decoder = acquire(2);
    const receivedAt = Date.now();
    for (const [name, make] of BODIES) {
      const inline = await decodeBatch(make(), receivedAt, LIMITS);
      const sent = make();
      // A copy (a Buffer's slice() would be a view of the same memory).
      const copy = new Uint8Array(sent);
      const { result, body } = await decoder.decode(sent, receivedAt, LIMITS);
      expect(result, name).toEqual(inline);
      expect(Buffer.from(body).equals(Buffer.from(copy)), name).toBe(true);
    }
  });

  it('move the body to the worker instead of copying it', async () => {
    const decoder = acquire(1);
    const sent = json(batch('s1', [click(T0)]));
    const length = sent.byteLength;
    const { body } = await decoder.decode(sent, Date.now(), LIMITS);
    // Transferred: the sender's view is detached, and the bytes came back whole.
    expect(sent.byteLength).toBe(0);
    expect(body.byteLength).toBe(length);
  });

  it('copy a body that is a view into a larger buffer (a Buffer pool), leaving that buffer intact', async () => {
    const decoder = acquire(1);
    const whole = json(batch('s1', [click(T0)]));
    for (const larger of [new Uint8Array(whole.byteLength + 10), Buffer.alloc(whole.byteLength + 10)]) {
      larger.set(whole, 5);
      const view = larger.subarray(5, 5 + whole.byteLength);
      const { result } = await decoder.decode(view, Date.now(), LIMITS);
      expect(result.ok).toBe(true);
      expect(larger.byteLength).toBe(whole.byteLength + 10);
    }
    // A small Buffer lives inside Node's shared pool: moving that memory would break others.
    const pooled = Buffer.from(JSON.stringify(batch('s1', [click(T0)])));
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
    const { result } = await decoder.decode(pooled, Date.now(), LIMITS);
    expect(result.ok).toBe(true);
    expect(pooled.buffer.byteLength).toBeGreaterThan(0);
  });

  it('are shared within a process, and end after the last user lets go', async () => {
    // The pools of the tests before end first (they linger after their last release).
    await vi.waitFor(() => expect(ingestWorkerThreads()).toBe(0), { timeout: 10_000, interval: 50 });
    const first = acquire(3);
    const second = acquire(3);
    await Promise.all(
      Array.from({ length: 6 }, (_, seq) =>
        (seq % 2 ? first : second).decode(json(batch('s1', [click(T0)], { seq })), Date.now(), LIMITS),
      ),
    );
    const running = ingestWorkerThreads();
    expect(running).toBeGreaterThan(0);
    expect(running).toBeLessThanOrEqual(3);
    first.release();
    second.release();
    await vi.waitFor(() => expect(ingestWorkerThreads()).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('decode inline, and fail no batch, where a worker cannot start', async () => {
    const { Worker } = await import('node:worker_threads');
    replaceSpawnerForTests({
      spawn: () => new Worker('throw new Error("no workers here");', { eval: true }),
      availableParallelism: 2,
    });
    const errors: unknown[] = [];
    try {
      const decoder = acquireBatchDecoder(5, (error) => errors.push(error));
      acquired.push(decoder);
      const receivedAt = Date.now();
      const outcomes = await Promise.all(
        [0, 1, 2].map((seq) => decoder.decode(json(batch('s1', [click(T0)], { seq })), receivedAt, LIMITS)),
      );
      expect(outcomes.map((outcome) => outcome.result.ok && outcome.result.seq)).toEqual([0, 1, 2]);
      // Later batches skip the workers altogether.
      expect((await decoder.decode(json(batch('s1', [click(T0)])), receivedAt, LIMITS)).result.ok).toBe(true);
      expect(String(errors[0])).toMatch(/cannot start here.*no workers here/);
      expect(errors).toHaveLength(1);
    } finally {
      replaceSpawnerForTests(undefined);
    }
  });

  it('decode inline with size 0, and default to one per core beyond the first, 1 to 4', async () => {
    const decoder = acquire(0);
    const sent = json(batch('s1', [click(T0)]));
    expect((await decoder.decode(sent, Date.now(), LIMITS)).body).toBe(sent);
    expect([1, 2, 3, 8, 64].map(defaultIngestWorkers)).toEqual([1, 1, 2, 4, 4]);
  });
});
