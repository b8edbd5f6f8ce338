import { describe, expect, it } from 'vitest';
import type { OutgoingBatch } from './delivery';
import { PERSIST_MAX_AGE_MS } from './limits';
import { createBatchStore } from './persist';

/** The keys of this file's records in the recorder's IndexedDB queue, whatever their ingest URL. */
async function storedKeys(): Promise<string[]> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('replaykit', 1);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const request = database.transaction('batches').objectStore('batches').getAllKeys();
      request.onsuccess = () =>
        resolve((request.result as string[]).filter((key) => key.startsWith(`${SESSION_ID}/`)));
      request.onerror = () => reject(request.error);
    });
  } finally {
    database.close();
  }
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
});
