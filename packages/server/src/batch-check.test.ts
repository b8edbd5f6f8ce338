import { BATCH_MAX_EVENTS, ID_MAX_LENGTH, parseBatch, SEQ_MAX } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { checkBatch } from './batch-check';

const event = { type: 3, data: { source: 1, positions: [] }, timestamp: 1_700_000_000_000 };
const good = { v: 1, sessionId: 'session-1', windowId: 'window_1', seq: 0, events: [event] };

/** Mutations of one field of an otherwise good batch, named for the failure message. */
const variants: Array<[string, unknown]> = [
  ['good', good],
  ['good with unknown top-level keys', { ...good, extra: true, meta: { a: 1 } }],
  ['good with unknown event keys', { ...good, events: [{ ...event, delay: 5, id: 'x' }] }],
  ['good with null data', { ...good, events: [{ ...event, data: null }] }],
  [
    'good with every event type',
    { ...good, events: [0, 1, 2, 3, 4, 5, 6].map((type) => ({ ...event, type })) },
  ],
  ['good at the id length limit', { ...good, sessionId: 'a'.repeat(ID_MAX_LENGTH) }],
  ['good at the largest seq', { ...good, seq: SEQ_MAX }],
  ['good with timestamp 0', { ...good, events: [{ ...event, timestamp: 0 }] }],
  ['good with a fractional timestamp', { ...good, events: [{ ...event, timestamp: 1.5 }] }],
  ['good with the latest timestamp', { ...good, events: [{ ...event, timestamp: Number.MAX_SAFE_INTEGER }] }],
  ['good with -0 as type and seq', { ...good, seq: -0, events: [{ ...event, type: -0 }] }],
  ['good with sentAt', { ...good, sentAt: 1_700_000_001_000 }],
  ['good with sentAt 0', { ...good, sentAt: 0 }],
  ['good with a fractional sentAt', { ...good, sentAt: 1_700_000_001_000.5 }],
  ['good with the latest sentAt', { ...good, sentAt: Number.MAX_SAFE_INTEGER }],
  ['sentAt string', { ...good, sentAt: '1700000001000' }],
  ['sentAt null', { ...good, sentAt: null }],
  ['sentAt negative', { ...good, sentAt: -1 }],
  ['sentAt 2^53', { ...good, sentAt: 2 ** 53 }],
  ['sentAt in nanoseconds', { ...good, sentAt: 1.7e18 }],
  ['sentAt an object', { ...good, sentAt: { at: 1 } }],
  ['sentAt bad and an event bad', { ...good, sentAt: -1, events: [{ ...event, timestamp: -1 }] }],
  ['null body', null],
  ['array body', [good]],
  ['string body', 'batch'],
  ['number body', 1],
  ['empty object', {}],
  ['v missing', { ...good, v: undefined }],
  ['good in format 2', { ...good, v: 2 }],
  ['v 3', { ...good, v: 3 }],
  ['v "1"', { ...good, v: '1' }],
  ['sessionId missing', { ...good, sessionId: undefined }],
  ['sessionId number', { ...good, sessionId: 12 }],
  ['sessionId empty', { ...good, sessionId: '' }],
  ['sessionId too long', { ...good, sessionId: 'a'.repeat(ID_MAX_LENGTH + 1) }],
  ['sessionId with a dot', { ...good, sessionId: 'a.b' }],
  ['sessionId with a space', { ...good, sessionId: 'a b' }],
  ['windowId missing', { ...good, windowId: undefined }],
  ['windowId with a slash', { ...good, windowId: 'w/1' }],
  ['seq missing', { ...good, seq: undefined }],
  ['seq string', { ...good, seq: '0' }],
  ['seq negative', { ...good, seq: -1 }],
  ['seq fractional', { ...good, seq: 1.5 }],
  ['seq too large', { ...good, seq: SEQ_MAX + 1 }],
  ['seq 1e300', { ...good, seq: 1e300 }],
  ['events missing', { ...good, events: undefined }],
  ['events object', { ...good, events: { 0: event } }],
  ['events empty', { ...good, events: [] }],
  ['events over the limit', { ...good, events: Array.from({ length: BATCH_MAX_EVENTS + 1 }, () => event) }],
  ['event null', { ...good, events: [event, null] }],
  ['event array', { ...good, events: [[event]] }],
  ['event string', { ...good, events: ['event'] }],
  ['event type missing', { ...good, events: [{ data: {}, timestamp: 1 }] }],
  ['event type 7', { ...good, events: [{ ...event, type: 7 }] }],
  ['event type -1', { ...good, events: [{ ...event, type: -1 }] }],
  ['event type 2.5', { ...good, events: [{ ...event, type: 2.5 }] }],
  ['event type "3"', { ...good, events: [{ ...event, type: '3' }] }],
  ['event data missing', { ...good, events: [{ type: 3, timestamp: 1 }] }],
  ['event timestamp missing', { ...good, events: [{ type: 3, data: {} }] }],
  ['event timestamp string', { ...good, events: [{ ...event, timestamp: '1' }] }],
  ['event timestamp negative', { ...good, events: [{ ...event, timestamp: -1 }] }],
  ['event timestamp null', { ...good, events: [{ ...event, timestamp: null }] }],
  ['event timestamp 2^53', { ...good, events: [{ ...event, timestamp: 2 ** 53 }] }],
  ['event timestamp in nanoseconds', { ...good, events: [{ ...event, timestamp: 1.7e18 }] }],
  ['bad event after good ones', { ...good, events: [event, event, { ...event, timestamp: -5 }] }],
  ['two bad fields', { ...good, sessionId: '', seq: -1, events: [] }],
];

/** Round-trips through JSON, as the ingest route only ever validates parsed JSON. */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

describe('checkBatch, the hot-path validator', () => {
  it.each(variants)('agrees with the zod schema on %s', (_name, value) => {
    const body = asJson(value);
    const fast = checkBatch(body);
    const contract = parseBatch(body);
    expect(fast.ok).toBe(contract.ok);
    if (fast.ok && contract.ok) {
      expect(fast.batch).toEqual(contract.batch);
    } else {
      expect(fast).toEqual(contract);
    }
  });

  it('covers good and bad batches alike', () => {
    const outcomes = variants.map(([, value]) => parseBatch(asJson(value)).ok);
    expect(outcomes.filter(Boolean).length).toBeGreaterThanOrEqual(10);
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThanOrEqual(40);
  });

  it('agrees with the zod schema on generated batches with one field broken at random', () => {
    // A deterministic generator: the same cases every run.
    let state = 12_345;
    const next = () => {
      state = (state * 1_664_525 + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    const odd: unknown[] = [
      undefined,
      null,
      true,
      -1,
      0,
      0.5,
      7,
      1e20,
      '',
      '1',
      'x.y',
      [],
      {},
      [1],
      { a: 1 },
    ];
    const pick = () => odd[Math.floor(next() * odd.length)];
    let refused = 0;
    for (let index = 0; index < 500; index++) {
      const events = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, n) => ({
        type: n % 7,
        data: { n },
        timestamp: 1_000 + n,
      }));
      const batch: Record<string, unknown> = { v: 1, sessionId: 's', windowId: 'w', seq: index, events };
      const roll = next();
      if (roll < 0.15) {
        batch[['v', 'sessionId', 'windowId', 'seq', 'sentAt', 'events'][Math.floor(next() * 6)] as string] =
          pick();
      } else if (roll < 0.85) {
        const target = events[Math.floor(next() * events.length)] as Record<string, unknown>;
        target[['type', 'data', 'timestamp'][Math.floor(next() * 3)] as string] = pick();
      }
      const body = asJson(batch);
      const fast = checkBatch(body);
      expect(fast).toEqual(parseBatch(body));
      refused += fast.ok ? 0 : 1;
    }
    expect(refused).toBeGreaterThan(100);
  });
});
