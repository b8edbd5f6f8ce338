import type { DroppedPayload } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import type { OutgoingBatch } from './delivery';
import { BATCH_SEQ_STRIDE, PERSIST_MAX_AGE_MS, PERSIST_MAX_BATCHES } from './limits';
import { createBatchStore } from './persist';
import { readStoredQueue } from './test/stored-queue';

/** The keys of this file's records in the recorder's IndexedDB queue, whatever their ingest URL. */
async function storedKeys(): Promise<string[]> {
  const keys = (await readStoredQueue((batches) => batches.getAllKeys())) as string[];
  return keys.filter((key) => key.startsWith(`${SESSION_ID}/`));
}

// Other test files' pages share the origin's IndexedDB: this file's batches have a session of their own.
const SESSION_ID = 'persist-test-session';

const batch = (windowId: string, createdAt: number): OutgoingBatch => ({
  sessionId: SESSION_ID,
  windowId,
  seq: 0,
  events: ['{"type":5,"data":{"tag":"left","payload":{}},"timestamp":1}'],
  bytes: 60,
  createdAt,
});

/** Batch `seq` of a window: two events, the first at 1,000,000 + 10 × seq, created in seq order. */
function numberedBatches(windowId: string): (seq: number) => OutgoingBatch {
  const start = Date.now();
  return (seq) => {
    const events = [1, 2].map(
      (offset) => `{"type":3,"data":{},"timestamp":${1_000_000 + seq * 10 + offset}}`,
    );
    return {
      sessionId: SESSION_ID,
      windowId,
      seq,
      events,
      bytes: events.join('').length,
      createdAt: start + seq,
    };
  };
}

/** The `$dropped` marker a batch holds, if it is a marker record. */
function markerOf(item: OutgoingBatch | undefined) {
  return JSON.parse(item?.events[0] ?? '{}') as {
    data?: { tag?: string; payload?: DroppedPayload };
    timestamp?: number;
  };
}

describe('the IndexedDB batch queue', () => {
  it('deletes expired batches of any ingest URL, not only of its own', async () => {
    const now = Date.now();
    // A page once sent to another key or endpoint (changed since, or a project no page sends
    // to any more): no page takes those batches over, so only their age can end them.
    const former = createBatchStore('https://replays.example/v1/ingest?key=old');
    const recent = batch('recent-window', now - 1_000);
    await former.put(batch('expired-window', now - PERSIST_MAX_AGE_MS - 1));
    await former.put(recent);

    const current = createBatchStore('https://replays.example/v1/ingest?key=new');
    expect(await current.takeOver('this-window', now)).toEqual([]);
    expect(await storedKeys()).toEqual([`${SESSION_ID}/recent-window/0`]);
    await former.remove(recent);
  });

  it('leaves a persist_full $dropped marker where it evicts batches past PERSIST_MAX_BATCHES, unless they are sent', async () => {
    const windowId = 'crowded-window';
    const numbered = numberedBatches(windowId);
    const page = createBatchStore('https://replays.example/v1/ingest?key=crowded');
    // An outage: every batch waits in IndexedDB, three more than it keeps.
    for (let seq = 0; seq < PERSIST_MAX_BATCHES + 3; seq++) {
      await page.put(numbered(seq));
    }
    // The page goes away before it could send them; the next page takes over what is left.
    const next = createBatchStore('https://replays.example/v1/ingest?key=crowded');
    const taken = await next.takeOver(windowId);
    expect(taken.length).toBeLessThanOrEqual(PERSIST_MAX_BATCHES);
    const [first, ...rest] = taken;
    // The evicted batches were deleted without a trace: a gap in the replay, no marker.
    const marker = markerOf(first);
    expect(marker.data?.tag).toBe('$dropped');
    const evicted = PERSIST_MAX_BATCHES + 3 - rest.length;
    // At the time of the first evicted batch, counting them all, numbered at the end of the
    // block the last one's parts would take (the previous release's seqs: its seq + 1).
    expect(marker.timestamp).toBe(1_000_001);
    expect(first?.seq).toBe((evicted + 1) * BATCH_SEQ_STRIDE - 1);
    expect(marker.data?.payload).toEqual({
      reason: 'persist_full',
      count: evicted * 2,
      bytes: evicted * numbered(0).bytes,
    });
    expect(rest.map((item) => item.seq)).toEqual(
      Array.from({ length: rest.length }, (_, index) => evicted + index),
    );
    // Sent after all (the page came back online): the batches and the marker record go.
    for (let seq = 0; seq < PERSIST_MAX_BATCHES + 3; seq++) {
      await page.remove(numbered(seq));
    }
    expect(await storedKeys()).toEqual([]);
  });

  it('counts in its persist_full marker only the evicted batches the page has not sent since', async () => {
    const windowId = 'recovering-window';
    const numbered = numberedBatches(windowId);
    const total = PERSIST_MAX_BATCHES + 3;
    const page = createBatchStore('https://replays.example/v1/ingest?key=recovering');
    for (let seq = 0; seq < total; seq++) {
      await page.put(numbered(seq));
    }
    // Batches evicted from IndexedDB are still in the page's memory: the network comes back
    // and it sends the two oldest before going away. Its marker counted them as lost all the same.
    await page.remove(numbered(0));
    await page.remove(numbered(1));
    const [first, ...rest] = await createBatchStore(
      'https://replays.example/v1/ingest?key=recovering',
    ).takeOver(windowId);
    const evicted = total - rest.length;
    expect(evicted).toBeGreaterThan(2);
    const marker = markerOf(first);
    expect(first?.seq).toBe((evicted + 1) * BATCH_SEQ_STRIDE - 1);
    // From the first batch still missing, counting only those.
    expect(marker.timestamp).toBe(1_000_021);
    expect(marker.data?.payload).toEqual({
      reason: 'persist_full',
      count: (evicted - 2) * 2,
      bytes: (evicted - 2) * numbered(0).bytes,
    });
    for (let seq = 2; seq < total; seq++) {
      await page.remove(numbered(seq));
    }
    expect(await storedKeys()).toEqual([]);
  });

  it('numbers its persist_full marker with a seq no batch or split part of the window takes, alike on every page', async () => {
    // This release's seqs: one block of BATCH_SEQ_STRIDE per batch, split parts inside it.
    const windowId = 'numbered-window';
    const numbered = numberedBatches(windowId);
    const ofThisRelease = (seq: number): OutgoingBatch => ({
      ...numbered(seq),
      seq: (seq + 1) * BATCH_SEQ_STRIDE,
    });
    const target = 'https://replays.example/v1/ingest?key=numbered';
    const page = createBatchStore(target);
    const total = PERSIST_MAX_BATCHES + 2;
    for (let seq = 0; seq < total; seq++) {
      await page.put(ofThisRelease(seq));
    }
    // The oldest are evicted, the marker numbered at the end of the block of the last of them.
    // Under that batch's own seq (as before), the server took the marker for a repeat once the
    // page had sent the batch after all, and the gap it stood for went unseen.
    const [first, ...rest] = await createBatchStore(target).takeOver(windowId);
    const evicted = total - rest.length;
    expect(evicted).toBeGreaterThan(1);
    expect(markerOf(first).data?.payload).toMatchObject({ reason: 'persist_full', count: evicted * 2 });
    expect(first?.seq).toBe((evicted + 1) * BATCH_SEQ_STRIDE - 1);
    expect(rest.map((item) => item.seq)).not.toContain(first?.seq);
    // The page sends the last evicted batch after all: its marker now counts the others only,
    // at the end of the block of the last of those, and no longer at the end of the other.
    await page.remove(ofThisRelease(evicted - 1));
    const [again] = await createBatchStore(target).takeOver(windowId);
    expect(again?.seq).toBe(evicted * BATCH_SEQ_STRIDE - 1);
    expect(markerOf(again).data?.payload).toMatchObject({ reason: 'persist_full', count: (evicted - 1) * 2 });
    expect(await storedKeys()).not.toContain(`${SESSION_ID}/${windowId}/${first?.seq}`);
    // A page that adopted the marker record and sent it removes it under the key it was stored at.
    const adopting = createBatchStore(target);
    await adopting.takeOver(windowId);
    await adopting.remove(again as OutgoingBatch);
    expect(await storedKeys()).not.toContain(`${SESSION_ID}/${windowId}/${again?.seq}`);
    for (let seq = 0; seq < total; seq++) {
      await page.remove(ofThisRelease(seq));
    }
    expect(await storedKeys()).toEqual([]);
  });
});
