import type { IngestBatch } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Compressor } from './compress';
import { createDelivery, type OutgoingBatch } from './delivery';
import { createTransport } from './transport';

const T = Date.UTC(2030, 0, 1, 12);
const HOUR = 3_600_000;

/** Packs nothing, so the test reads the body as sent; counts the packs. */
function plainCompressor(): Compressor & { packs: number } {
  const compressor = {
    mode: 'none' as const,
    packs: 0,
    async pack(text: string) {
      compressor.packs++;
      return new TextEncoder().encode(text);
    },
    close() {},
  };
  return compressor;
}

const outgoing = (seq: number): OutgoingBatch => ({
  sessionId: 's',
  windowId: 'w',
  seq,
  events: [JSON.stringify({ type: 4, data: { href: 'https://shop.test/' }, timestamp: T - 1_000 })],
  bytes: 60,
  createdAt: T - 1_000,
});

async function bodyOf(body: unknown): Promise<IngestBatch> {
  return JSON.parse(await new Response(body as BodyInit).text()) as IngestBatch;
}

let sent: IngestBatch[];
let answers: Array<() => Response>;
const originalBeacon = navigator.sendBeacon;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T);
  sent = [];
  answers = [];
});

afterEach(() => {
  vi.useRealTimers();
  navigator.sendBeacon = originalBeacon;
});

function makeTransport(compressor = plainCompressor()) {
  const fetchImpl = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    sent.push(await bodyOf(init?.body));
    const answer = answers.shift();
    if (!answer) {
      throw new TypeError('Failed to fetch');
    }
    return answer();
  }) as typeof fetch;
  return createTransport('https://replays.test', 'rk_test', compressor, fetchImpl);
}

describe('sentAt, the time a batch is sent', () => {
  it('is the time of each attempt: a retry hours later (offline) says so, with the events unchanged', async () => {
    const transport = makeTransport();
    const delivery = createDelivery({
      send: (batch) => transport.send(batch),
      onDropped: () => {},
      onRefused: () => {},
    });
    delivery.enqueue(outgoing(0));
    // Offline: the first attempt fails, and the batch waits.
    await delivery.drain();
    expect(sent.map((batch) => batch.sentAt)).toEqual([T]);
    // Two hours later the browser is back online: the batch goes again, stamped anew.
    vi.setSystemTime(T + 2 * HOUR);
    answers.push(() => new Response('{"ok":true,"duplicate":false}', { status: 200 }));
    await delivery.retryNow();
    expect(sent.map((batch) => batch.sentAt)).toEqual([T, T + 2 * HOUR]);
    expect(sent[1]?.events).toEqual(sent[0]?.events);
    expect(sent[1]).toMatchObject({ v: 1, sessionId: 's', windowId: 'w', seq: 0 });
    expect(delivery.pending).toHaveLength(0);
  });

  it('is the time of the retry after a 503, and of the format 1 re-send after a 400', async () => {
    const compressor = plainCompressor();
    const transport = makeTransport(compressor);
    const batch = outgoing(0);
    answers.push(() => new Response('down', { status: 503 }));
    expect(await transport.send(batch)).toMatchObject({ kind: 'retry' });
    vi.setSystemTime(T + 30_000);
    answers.push(
      () => new Response('{"error":{"code":"invalid_batch","message":"v must be 1"}}', { status: 400 }),
    );
    vi.spyOn(compressor, 'pack').mockImplementation(async (text) => {
      // Packing takes a while (a busy worker): the stamp is from before it, not after.
      vi.setSystemTime(Date.now() + 50);
      return new TextEncoder().encode(text);
    });
    answers.push(() => new Response('{"ok":true}', { status: 200 }));
    expect(await transport.send(batch)).toEqual({ kind: 'sent' });
    expect(sent.map((body) => body.sentAt)).toEqual([T, T + 30_000, T + 30_050]);
  });

  it('on page hide, is now for a batch not attempted yet, and for one whose last attempt is older than 2 s', async () => {
    const transport = makeTransport();
    const beacons: IngestBatch[] = [];
    const waiting: Promise<void>[] = [];
    navigator.sendBeacon = (_url: string | URL, data?: BodyInit | null) => {
      waiting.push(bodyOf(data).then((body) => void beacons.push(body)));
      return true;
    };
    const attempted = outgoing(0);
    await transport.send(attempted); // fails: the network is down
    vi.setSystemTime(T + 20_000);
    // Plain JSON, built now (keepalive fetch while it fits the budget).
    expect(transport.sendOnPageHide(outgoing(1))).toBe(true);
    // The body packed for the failed attempt 20 s ago is not reused: its sentAt would say T,
    // and a server correcting a wrong clock by it would place the batch 20 s late, for good.
    expect(transport.sendOnPageHide(attempted)).toBe(true);
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    await Promise.all(waiting);
    const hidden = [...sent.slice(1), ...beacons];
    expect(hidden.map((body) => [body.seq, body.sentAt])).toEqual([
      [1, T + 20_000],
      [0, T + 20_000],
    ]);
  });

  it('on page hide, reuses the body of an attempt under way (2 s old at most), packed as it was', async () => {
    const compressor = plainCompressor();
    const transport = makeTransport(compressor);
    vi.spyOn(compressor, 'pack').mockImplementation(async () =>
      // A marked body, to tell it from one built on page hide.
      new TextEncoder().encode(
        JSON.stringify({ v: 1, sessionId: 's', windowId: 'w', seq: 0, sentAt: T, packed: true, events: [] }),
      ),
    );
    const attempted = outgoing(0);
    await transport.send(attempted);
    vi.setSystemTime(T + 2_000);
    expect(transport.sendOnPageHide(attempted)).toBe(true);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toMatchObject({ seq: 0, sentAt: T, packed: true });
  });

  it('on page hide, falls back to the old packed body when the browser takes no plain one (too large)', async () => {
    const transport = makeTransport();
    const beaconed: unknown[] = [];
    // The beacon quota (64 KiB) refuses the plain body; keepalive is too small for it as well.
    navigator.sendBeacon = (_url: string | URL, data?: BodyInit | null) => {
      beaconed.push(data);
      return false;
    };
    // About 25,000 characters of JSON: as plain JSON it is counted as up to 75 KB, over the
    // keepalive budget; packed (here not compressed at all) it is 25 KB and fits.
    const large: OutgoingBatch = {
      ...outgoing(0),
      events: [
        JSON.stringify({ type: 5, data: { tag: 'x', payload: 'y'.repeat(25_000) }, timestamp: T - 1_000 }),
      ],
    };
    await transport.send(large); // fails: the network is down
    vi.setSystemTime(T + 20_000);
    expect(transport.sendOnPageHide(large)).toBe(true);
    expect(beaconed).toHaveLength(1);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    // A stale sentAt, but the batch lands rather than wait for a next page that may not come.
    expect(sent[1]).toMatchObject({ seq: 0, sentAt: T });
  });
});
